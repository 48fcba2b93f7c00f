"""Which run belongs to which frame, and how a first Ctrl-C becomes a safe stop.

The last run of each frame is kept by the id of the frame (frames cannot be
hashed), so ``status()`` can bring a run still going up to date first and
``df.salesfinity.last_run`` finds a run whose cell was interrupted. An entry
goes when its frame does.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import weakref
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Generic, TypeVar

__all__ = ["Registry", "interrupt_flag"]

_R = TypeVar("_R")


class Registry(Generic[_R]):
    """The last run of each live frame."""

    def __init__(self, frame_of: Callable[[_R], object | None]) -> None:
        self._frame_of = frame_of
        self._runs: dict[int, _R] = {}

    def remember(self, run: _R) -> None:
        frame = self._frame_of(run)
        if frame is None:
            return
        key = id(frame)
        if key not in self._runs:
            weakref.finalize(frame, self._runs.pop, key, None)
        self._runs[key] = run

    def last(self, frame: Any) -> _R | None:
        run = self._runs.get(id(frame))
        if run is not None and self._frame_of(run) is not frame:
            return None
        return run

    def runs(self) -> list[_R]:
        return list(self._runs.values())


@contextlib.contextmanager
def interrupt_flag() -> Iterator[threading.Event]:
    """Turn the first SIGINT into a flag while a run is being waited for.

    A ``KeyboardInterrupt`` raised at an arbitrary line could land between
    counting a batch and writing it into the frame; a flag lets the waiting loop
    stop the run at a safe point. A second interrupt raises as usual. Outside
    the main thread signals cannot be caught, and the flag simply stays unset.
    """
    flag = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
