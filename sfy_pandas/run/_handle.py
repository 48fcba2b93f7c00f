"""An enrichment run as the analyst holds it: wait for it, stop it, read its summary.

The engine runs on the background loop thread and hands batches of updates to a
thread-safe queue; the thread that waits (the notebook's) drains the queue,
counts each batch, redraws progress and, when the run ends, writes every
profile's last answer into the frame in one assignment, so pandas and the widget
are only ever touched from the caller's thread.

Why once at the end: pandas' ``string`` columns are Arrow arrays, and writing a
few rows into one copies the whole column, so writing each batch as it came
made a run quadratic in the frame's length (10,000 rows: 46 of 54 s spent in
those writes). Nobody can read the frame while ``wait()`` runs anyway: the
waiting thread is the only one that drains the queue.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import signal
import sys
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Coroutine, Iterator
from types import FrameType
from typing import Any

import pandas as pd

from .._models import Status
from ..engine._engine import RunStats, Update
from ..frame import _rows as _frame
from ..journal._journal import ProfileKey
from ..progress._snapshot import Outcome, ProgressSnapshot, ProgressView, format_summary
from . import _loop
from ._enrichment import BatchStop

__all__ = ["Batch", "EnrichmentRun", "active_run", "last_run"]

#: One batch, as the run starts it: given where to leave the engine (to stop
#: it), where updates go and where warnings go, the coroutine that runs it.
Batch = Callable[
    [BatchStop, Callable[[list[Update]], None], Callable[[str], None]],
    Coroutine[Any, Any, RunStats],
]

#: How often the waiting thread wakes to apply updates and redraw.
_DRAIN_INTERVAL = 0.1
#: After a hard stop, how long the engine may take to write down what it holds.
_SETTLE_SECONDS = 5.0


class EnrichmentRun:
    """One ``enrich()`` or ``status()`` call; its repr is a short summary.

    With ``wait=False`` the call returns at once: :meth:`wait` (or the frame's
    ``status()``) brings the frame up to date.
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        row_map: _frame.RowMap,
        view: ProgressView,
        *,
        note: str = "",
        resume_hint: str = "",
    ) -> None:
        self._frame_ref = weakref.ref(frame)
        self._rows = row_map
        self._view = view
        self._note = note
        self._resume_hint = resume_hint
        # Batches of updates, or a warning for the analyst (shown from this thread,
        # where the caller's warning filters apply).
        self._queue: queue.SimpleQueue[list[Update] | str] = queue.SimpleQueue()
        self._slot = BatchStop()
        self._future: concurrent.futures.Future[RunStats] | None = None
        self._started = time.monotonic()
        self._finished_at: float | None = None
        self._stats: RunStats | None = None
        self._closed = False
        self._resumed = 0
        self._credits = 0
        # Each profile's newest update not yet in the frame. Written as they come
        # when the engine runs on the caller's own loop (aenrich), else at the end.
        self._unwritten: dict[ProfileKey, Update] = {}
        self._defer_writes = False

    # -- starting (the run object's side, not the analyst's) -----------------

    def _enqueue(self, updates: list[Update]) -> None:
        """The engine's update callback on the loop thread: only queues."""
        self._queue.put(updates)

    def _enqueue_warning(self, message: str) -> None:
        """The engine's warning callback on the loop thread: only queues."""
        self._queue.put(message)

    def _start(self, batch: Batch) -> None:
        """Start the batch on the background loop; :meth:`wait` follows it."""
        self._defer_writes = True
        self._future = _loop.submit(batch(self._slot, self._enqueue, self._enqueue_warning))
        _remember(self)

    async def _run_here(self, batch: Batch) -> None:
        """Run the batch on the caller's own loop, writing the frame as answers come."""
        _remember(self)
        try:
            stats = await batch(self._slot, self._ingest, _warn_here)
        except BaseException:
            self._close(stopped=True, hint=False)
            raise
        self._finish_with(stats)

    # -- waiting -------------------------------------------------------------

    def wait(self) -> EnrichmentRun:
        """Block until the run ends, keeping the frame and progress up to date.

        An interrupt (Jupyter's stop button, Ctrl-C) stops the run: nothing more
        is created, every id already received is kept, and the rows not sent are
        marked ``not-sent``; then ``KeyboardInterrupt`` is raised again. A second
        interrupt stops waiting for creates still in flight.
        """
        future = self._future
        if future is None or self._closed:
            return self
        with _interrupt_flag() as interrupted:
            asked_to_stop = False
            try:
                while not future.done():
                    if interrupted.is_set() and not asked_to_stop:
                        asked_to_stop = True
                        _loop.call_soon(self._slot.stop)
                    # Wake on the interval (or the end), not on every update: one
                    # wake per create would cost the engine's thread a switch each.
                    concurrent.futures.wait([future], timeout=_DRAIN_INTERVAL)
                    self._drain()
            except KeyboardInterrupt:
                # The second interrupt: abandon creates still in flight (the next
                # run counts them in doubt) and end now.
                future.cancel()
                concurrent.futures.wait([future], timeout=_SETTLE_SECONDS)
        self._finish(future, stopped=interrupted.is_set())
        if interrupted.is_set():
            raise KeyboardInterrupt
        return self

    def _drain(self) -> None:
        """Take everything the engine has queued so far, without waiting."""
        batches: list[Update] = []
        try:
            item = self._queue.get_nowait()
            while True:
                if isinstance(item, str):
                    warnings.warn(item, UserWarning, stacklevel=4)
                else:
                    batches.extend(item)
                item = self._queue.get_nowait()
        except queue.Empty:
            pass
        self._ingest(batches)

    def _ingest(self, updates: list[Update]) -> None:
        """Count updates, keep them for the frame, redraw; only from the caller's thread."""
        if updates:
            self._credits += sum(
                1
                for u in updates
                if u.status is Status.COMPLETED
                and not u.cached
                and self._rows.status_of.get(u.key) is not Status.COMPLETED
            )
            self._rows.apply(updates)
            self._resumed += sum(len(self._rows.rows[u.key]) for u in updates if u.cached)
            for update in updates:
                self._unwritten[update.key] = update
            if not self._defer_writes:
                self._write_frame()
        self._view.update(self._snapshot())

    def _write_frame(self) -> None:
        """Write each profile's newest update to all its rows, in one assignment."""
        if not self._unwritten:
            return
        frame = self._frame_ref()
        if frame is not None:
            _frame.write_updates(frame, self._rows.rows, self._unwritten.values())
        self._unwritten.clear()

    def _finish(
        self, future: concurrent.futures.Future[RunStats], *, stopped: bool = False
    ) -> None:
        try:
            stats = future.result()
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            stats, stopped = None, True
        except BaseException as exc:
            self._drain()
            self._close(stopped=True, hint=False)  # the error says what happened
            raise exc from None
        self._drain()
        self._finish_with(stats, stopped=stopped)

    def _finish_with(self, stats: RunStats | None, *, stopped: bool = False) -> None:
        """Record the engine's figures and close the progress view."""
        self._stats = stats
        self._close(stopped=stopped or bool(stats and stats.interrupted))

    def _close(self, *, stopped: bool, hint: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        self._finished_at = time.monotonic()
        self._write_frame()
        snapshot = self._snapshot()
        self._view.close(snapshot, Outcome.of(snapshot, stopped=stopped))
        if stopped and hint and self._resume_hint:
            print(self._resume_hint, file=sys.stderr)

    def stop(self) -> EnrichmentRun:
        """Stop a run started with ``wait=False``: nothing more is created.

        Every id already received is kept, rows not sent are marked
        ``not-sent``, and the frame is brought up to date before this returns.
        """
        if self._future is not None and not self._closed:
            _loop.call_soon(self._slot.stop)
            concurrent.futures.wait([self._future])
            self._finish(self._future, stopped=True)
        return self

    # -- reading -------------------------------------------------------------

    @property
    def done(self) -> bool:
        """True once the run has ended and the frame holds its last answers."""
        return self._closed

    @property
    def stats(self) -> RunStats | None:
        """The engine's figures (creates, reuses, in doubt, polls), once it ended."""
        return self._stats

    @property
    def counts(self) -> dict[str, int]:
        """Rows per status, as strings, without the empty ones."""
        return {status.value: n for status, n in self._counts().items() if n}

    @property
    def credits_used(self) -> int:
        """Credits this run spent: one per email found by a lookup it watched resolve.

        Answers reused from the journal cost nothing and are not counted.
        """
        return self._credits

    @property
    def _elapsed(self) -> float:
        end = self._finished_at if self._finished_at is not None else time.monotonic()
        return end - self._started

    def _snapshot(self) -> ProgressSnapshot:
        return ProgressSnapshot(
            total=self._rows.total,
            counts=self._counts(),
            credits_used=self.credits_used,
            elapsed=self._elapsed,
            note=self._note,
            resumed=self._resumed,
        )

    def _counts(self) -> dict[Status, int]:
        return {status: n for status, n in self._rows.counts.items() if n}

    def __repr__(self) -> str:
        snapshot = self._snapshot()
        if not self._closed:
            return f"<EnrichmentRun running: {format_summary(snapshot)}>"
        outcome = Outcome.of(snapshot, stopped=bool(self._stats and self._stats.interrupted))
        return f"<EnrichmentRun {format_summary(snapshot, outcome=outcome)}>"


@contextlib.contextmanager
def _interrupt_flag() -> Iterator[threading.Event]:
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


def _warn_here(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=2)


#: The last run of each frame, by the id of the frame, so ``status()`` can bring
#: a run still going up to date first and ``df.salesfinity.last_run`` finds a
#: run whose cell was interrupted. Dropped when the frame is.
_LAST: dict[int, EnrichmentRun] = {}


def _remember(run: EnrichmentRun) -> None:
    frame = run._frame_ref()
    if frame is None:
        return
    key = id(frame)
    if key not in _LAST:
        weakref.finalize(frame, _LAST.pop, key, None)
    _LAST[key] = run


def last_run(frame: pd.DataFrame) -> EnrichmentRun | None:
    """The last run started on ``frame``, finished or not."""
    run = _LAST.get(id(frame))
    if run is not None and run._frame_ref() is not frame:
        return None
    return run


def active_run(frame: pd.DataFrame) -> EnrichmentRun | None:
    """The unfinished run writing into ``frame``, if any."""
    run = last_run(frame)
    return run if run is not None and not run.done else None
