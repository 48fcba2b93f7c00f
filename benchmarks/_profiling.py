"""Where the client's CPU goes: pyinstrument on the caller's thread and the engine's loop.

Each sample is put in the first category with a needle in one of its frames.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Profilers:
    """pyinstrument on the run's two threads: the caller's and the engine's loop."""

    def __init__(self) -> None:
        from pyinstrument import Profiler

        self.main = Profiler(interval=0.0005, async_mode="disabled")
        self.loop = Profiler(interval=0.0005, async_mode="disabled")

    def start(self) -> None:
        from sfy_pandas.run import _loop

        self._on_loop(_loop, self.loop.start)
        self.main.start()

    def stop(self) -> dict[str, Any]:
        from sfy_pandas.run import _loop

        main = self.main.stop()
        self._on_loop(_loop, self.loop.stop)
        loop = self.loop.last_session
        assert loop is not None
        return {"main": split(main.frame_records), "loop": split(loop.frame_records)}

    @staticmethod
    def _on_loop(runner: Any, call: Callable[[], object]) -> None:
        done = threading.Event()

        def go() -> None:
            call()
            done.set()

        runner.loop_thread().call_soon_threadsafe(go)
        done.wait(10)


#: Where a sample's time goes: the first category with a needle in one of the
#: sample's frames ("function\0file\0line") takes it.
CATEGORIES = (
    ("journal (SQLite)", ("sfy_pandas/journal/", "sqlite3")),
    ("reading the column (map_rows, URL parser)", ("map_rows\x00", "sfy_pandas/_linkedin/")),
    ("frame writes (pandas)", ("sfy_pandas/frame/", "site-packages/pandas/", "/numpy/")),
    ("progress", ("sfy_pandas/progress/",)),
    ("HTTP (httpx, httpcore, h11)", ("/httpx/", "/httpcore/", "/h11/", "/anyio/")),
    ("sfy_pandas: engine, client, pacing, parsing", ("sfy_pandas/",)),
)
OTHER = "asyncio event loop, other"
IDLE = "idle"
#: Built-in calls that wait: the loop's poll for sockets, the caller's wait for the run.
_WAITING = {"epoll.poll", "poll.poll", "select.select", "lock.acquire", "SimpleQueue.get", "sleep"}


def split(records: list[tuple[list[str], float]]) -> dict[str, float]:
    """Seconds of samples per category; waiting (select, a queue) is ``idle``."""
    seconds: dict[str, float] = {}
    for stack, duration in records:
        name = _category(stack)
        seconds[name] = seconds.get(name, 0.0) + duration
    return seconds


def _category(stack: list[str]) -> str:
    files = [frame.split("\x00")[1] if "\x00" in frame else frame for frame in stack]
    if stack and stack[-1].split("\x00")[0] in _WAITING and files[-1] == "<built-in>":
        return IDLE
    for name, needles in CATEGORIES:
        if any(needle in frame for frame in stack for needle in needles):
            return name
    return OTHER


def cpu_split(profile: dict[str, dict[str, float]]) -> str:
    """Shares of the busy (not idle) sampled time of both threads, largest first."""
    busy: dict[str, float] = {}
    for thread in profile.values():
        for name, seconds in thread.items():
            if name != IDLE:
                busy[name] = busy.get(name, 0.0) + seconds
    total = sum(busy.values()) or 1.0
    order = [name for name, _ in CATEGORIES] + [OTHER]
    parts = sorted(((busy.get(n, 0.0) / total, n) for n in order), reverse=True)
    return ", ".join(f"{name} {share:.0%}" for share, name in parts if share >= 0.005)
