"""An enrichment run as the analyst holds it: wait for it, stop it, read its summary.

The engine runs on the background loop thread. Its updates are counted there
(:class:`Tally`) and the progress view is redrawn from there, so the widget
moves while the analyst works in other cells (``wait=False``). The frame is
only ever written from the analyst's thread: when ``wait()`` or ``status()``
ends, or between cells through IPython's ``pre_run_cell`` event; never from the
loop thread while a cell might be reading it.

Why not as answers come: pandas' ``string`` columns are Arrow arrays, and
writing a few rows into one copies the whole column, so writing each batch as
it came made a run quadratic in the frame's length (10,000 rows: 46 of 54 s
spent in those writes).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import sys
import time
import warnings
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

import pandas as pd

from ..engine._engine import RunStats, Update
from ..frame import _answers
from ..frame import _rows as _frame
from ..progress._snapshot import Outcome, ProgressSnapshot, ProgressView, format_summary
from . import _loop
from ._enrichment import BatchStop
from ._registry import Registry, interrupt_flag
from ._tally import Tally

__all__ = ["Batch", "EnrichmentRun", "last_run"]

#: One batch, as the run starts it: given where to leave the engine (to stop
#: it), where updates go and where warnings go, the coroutine that runs it.
Batch = Callable[
    [BatchStop, Callable[[list[Update]], None], Callable[[str], None]],
    Coroutine[Any, Any, RunStats],
]

#: How often the waiting thread wakes to show warnings and redraw the clock.
_DRAIN_INTERVAL = 0.1
#: After a hard stop, how long the engine may take to write down what it holds.
_SETTLE_SECONDS = 5.0


class EnrichmentRun:
    """One ``enrich()`` or ``status()`` call; its repr is a short summary.

    With ``wait=False`` the call returns at once and the progress view keeps
    moving; :meth:`wait` (or the frame's ``status()``, or simply running the
    next cell) brings the frame up to date.
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
        self._tally = Tally(row_map)
        self._view = view
        self._note = note
        self._resume_hint = resume_hint
        # Warnings for the analyst, shown from the analyst's thread, where the
        # caller's warning filters apply.
        self._warnings: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._slot = BatchStop()
        self._future: concurrent.futures.Future[RunStats] | None = None
        self._started = time.monotonic()
        self._ended_at: float | None = None
        self._stats: RunStats | None = None
        self._closed = False
        self._view_closed = False

    # -- starting (the run object's side, not the analyst's) -----------------

    def _start(self, batch: Batch) -> None:
        """Start the batch on the background loop; updates are counted and drawn there."""
        self._future = _loop.submit(batch(self._slot, self._on_updates, self._warnings.put))
        self._future.add_done_callback(self._engine_ended)
        _RUNS.remember(self)
        _catch_up_between_cells()

    async def _run_here(self, batch: Batch) -> None:
        """Run the batch on the caller's own loop, writing the frame as answers come."""
        _RUNS.remember(self)
        try:
            stats = await batch(self._slot, self._on_updates_here, _warn_here)
        except BaseException:
            self._close(stopped=True, hint=False)
            raise
        self._ended_at = time.monotonic()
        self._finish_with(stats)

    def _on_updates(self, updates: list[Update]) -> None:
        """The engine's update callback on the loop thread: count and redraw, no frame."""
        self._tally.add(updates)
        self._redraw()

    def _on_updates_here(self, updates: list[Update]) -> None:
        self._tally.add(updates)
        self._write_frame()
        self._redraw()

    def _engine_ended(self, future: concurrent.futures.Future[RunStats]) -> None:
        """When the engine returns (loop thread): stop the clock, draw the last figures."""
        self._ended_at = time.monotonic()
        if not future.cancelled() and future.exception() is None:
            self._close_view(stopped=future.result().interrupted)

    def _redraw(self) -> None:
        with self._tally.lock:
            if not self._view_closed:
                self._view.update(self._snapshot())

    def _close_view(self, *, stopped: bool) -> None:
        with self._tally.lock:
            if self._view_closed:
                return
            self._view_closed = True
            snapshot = self._snapshot()
            self._view.close(snapshot, Outcome.of(snapshot, stopped=stopped))

    # -- waiting -------------------------------------------------------------

    def wait(self) -> EnrichmentRun:
        """Block until the run ends, then write its answers into the frame.

        An interrupt (Jupyter's stop button, Ctrl-C) stops the run: nothing more
        is created, every id already received is kept, and the rows not sent are
        marked ``not-sent``; then ``KeyboardInterrupt`` is raised again. A second
        interrupt stops waiting for creates still in flight.
        """
        future = self._future
        if future is None or self._closed:
            return self
        with interrupt_flag() as interrupted:
            asked_to_stop = False
            try:
                while not future.done():
                    if interrupted.is_set() and not asked_to_stop:
                        asked_to_stop = True
                        _loop.call_soon(self._slot.stop)
                    concurrent.futures.wait([future], timeout=_DRAIN_INTERVAL)
                    self._write_frame(at_least=self._write_chunk())
                    self._show_warnings()
                    self._redraw()  # the clock moves even while no answer comes
            except KeyboardInterrupt:
                # The second interrupt: abandon creates still in flight (the next
                # run counts them in doubt) and end now.
                future.cancel()
                concurrent.futures.wait([future], timeout=_SETTLE_SECONDS)
        self._finish(future, stopped=interrupted.is_set())
        if interrupted.is_set():
            raise KeyboardInterrupt
        return self

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

    def _show_warnings(self) -> None:
        with contextlib.suppress(queue.Empty):
            while True:
                warnings.warn(self._warnings.get_nowait(), UserWarning, stacklevel=4)

    def _write_frame(self, *, at_least: int = 1) -> None:
        """Write each profile's newest answer to all its rows, one assignment per chunk."""
        if self._tally.unwritten < at_least:
            return
        answers = self._tally.take_unwritten()
        frame = self._frame_ref()
        if answers and frame is not None:
            _answers.write_updates(frame, self._tally.rows, answers)

    def _write_chunk(self) -> int:
        """While waiting, answers go in once this many are held: a rerun's million
        reach the frame as they are read, in a bounded number of writes (each copies
        the output columns)."""
        return max(_answers.WRITE_PROFILES, self._tally.rows.total // 10)

    def _catch_up(self) -> None:
        """Between two cells (the analyst's thread): write what came in, finish if ended."""
        self._show_warnings()
        future = self._future
        ended = future is not None and future.done() and not future.cancelled()
        if ended and future is not None and future.exception() is None:
            self._finish(future)
            return
        self._write_frame()

    def _finish(
        self, future: concurrent.futures.Future[RunStats], *, stopped: bool = False
    ) -> None:
        try:
            stats = future.result()
        except (concurrent.futures.CancelledError, asyncio.CancelledError):
            stats, stopped = None, True
        except BaseException as exc:
            self._show_warnings()
            self._close(stopped=True, hint=False)  # the error says what happened
            raise exc from None
        self._show_warnings()
        self._finish_with(stats, stopped=stopped)

    def _finish_with(self, stats: RunStats | None, *, stopped: bool = False) -> None:
        """Record the engine's figures, write the frame, close the progress view."""
        self._stats = stats
        self._close(stopped=stopped or bool(stats and stats.interrupted))

    def _close(self, *, stopped: bool, hint: bool = True) -> None:
        if self._closed:
            return
        self._closed = True
        if self._ended_at is None:
            self._ended_at = time.monotonic()
        self._write_frame()
        self._close_view(stopped=stopped)
        if stopped and hint and self._resume_hint:
            print(self._resume_hint, file=sys.stderr)

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
        return {status.value: n for status, n in self._tally.counts().items()}

    @property
    def credits_used(self) -> int:
        """Credits this run spent: one per email found by a lookup it watched resolve.

        Answers reused from the journal cost nothing and are not counted.
        """
        return self._tally.credits

    def _snapshot(self) -> ProgressSnapshot:
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return ProgressSnapshot(
            total=self._tally.rows.total,
            counts=self._tally.counts(),
            credits_used=self._tally.credits,
            elapsed=end - self._started,
            note=self._note,
            resumed=self._tally.reused_rows,
        )

    def __repr__(self) -> str:
        snapshot = self._snapshot()
        if not self._closed:
            return f"<EnrichmentRun running: {format_summary(snapshot)}>"
        outcome = Outcome.of(snapshot, stopped=bool(self._stats and self._stats.interrupted))
        return f"<EnrichmentRun {format_summary(snapshot, outcome=outcome)}>"


def _warn_here(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=2)


_RUNS: Registry[EnrichmentRun] = Registry(lambda run: run._frame_ref())


def last_run(frame: pd.DataFrame) -> EnrichmentRun | None:
    """The last run started on ``frame``, finished or not."""
    return _RUNS.last(frame)


_hooked = False


def _catch_up_between_cells() -> None:
    """In IPython, bring every running frame up to date before each cell runs."""
    global _hooked  # noqa: PLW0603 - one hook per process is the point
    if _hooked:
        return
    try:
        from IPython import get_ipython
    except ImportError:
        return
    events = getattr(get_ipython(), "events", None)
    if events is None:
        return
    events.register("pre_run_cell", _catch_up_all)
    _hooked = True


def _catch_up_all(*_: object) -> None:
    for run in _RUNS.runs():
        if not run.done and run._future is not None:
            run._catch_up()
