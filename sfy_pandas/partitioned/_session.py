"""The one place a partitioned run sends requests: a session over batches of profiles.

``open_session(options)`` gives a :class:`Session` that owns one HTTP client
(so one learned pace), one journal and one credit budget for the whole run;
``session.submit(jobs)`` starts one batch of distinct profiles,
``session.wait(batches)`` hands out their updates until one ends (its
``answers`` then hold the newest update of each profile); ``close()`` ends it.
Every face of a partitioned run goes through this module, so it is the only
one that changes when the run object takes over.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import os
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .._models import Status
from ..engine._engine import Job, RunStats, Update
from ..journal._journal import ProfileKey
from ..run import _loop
from ..run._enrichment import BatchStop, Enrichment
from ..run._options import RunOptions
from ..run._target import Target

__all__ = ["Batch", "Session", "SessionOptions", "open_session", "run_options"]

#: How often the waiting thread hands the engine's updates to the caller.
_DRAIN_SECONDS = 0.2


@dataclass(frozen=True)
class SessionOptions:
    """What one partitioned run is allowed to do; checked by the face before it is built."""

    kind: str = "work"
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    journal: str | os.PathLike[str] | None = None
    max_credits: int | None = None
    dry_run: bool = False
    refresh: bool = False
    concurrency: int | None = None
    poll_interval: float = 1.0
    max_wait: float | None = None
    callback_url: str | None = None


@dataclass(eq=False)
class Batch:
    """One submitted batch of profiles: its jobs, and the newest answer of each so far."""

    jobs: list[Job]
    future: concurrent.futures.Future[RunStats] = field(repr=False)
    answers: dict[ProfileKey, Update] = field(default_factory=dict, repr=False)

    @property
    def created(self) -> bool:
        """Every profile has had its first answer: the batch is only polling now."""
        return len(self.answers) >= len(self.jobs)


#: Batches polling at once. Only one is ever creating (see :meth:`Session.can_submit`).
PARALLEL_BATCHES = 4


class Session:
    """One client, one journal, one budget, over every batch a run submits.

    Batches overlap: the next one may start once every batch in flight has
    had all its creates answered, so a batch's wait for its slowest lookups is
    spent creating the next batch's, and no more creates are in flight (or in
    doubt, if the process dies) than one batch allows.
    """

    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self._run = Enrichment(run_options(options))
        self.target: Target = self._run.target
        #: The journal file (None when off): the run's folder goes beside it.
        self.journal_path = self._run.journal_path
        self.stats = RunStats()
        self._stops: list[BatchStop] = []
        self._updates: queue.SimpleQueue[tuple[Batch, list[Update]]] = queue.SimpleQueue()
        self._started = time.monotonic()
        #: Lookups charged so far, as the updates say (for the progress view).
        self._charged = 0

    def __repr__(self) -> str:  # the key stays out
        return f"Session({self._run!r})"

    @property
    def charged(self) -> int:
        """Credits charged so far in this run, batches in flight included."""
        return self._charged

    @property
    def out_of_time(self) -> bool:
        wait = self.options.max_wait
        return wait is not None and time.monotonic() - self._started >= wait

    def can_submit(self, in_flight: Sequence[Batch]) -> bool:
        """Room for another batch: fewer than the limit, and none still creating.

        With ``max_credits`` the batches go one at a time: the run counts a
        batch's charges when it ends, and the next one's budget is what is left.
        """
        if self.options.max_credits is not None and in_flight:
            return False
        return len(in_flight) < PARALLEL_BATCHES and all(b.created for b in in_flight)

    def submit(self, jobs: Sequence[Job]) -> Batch:
        """Start enriching one batch of distinct profiles; returns at once."""
        future: concurrent.futures.Future[RunStats] = concurrent.futures.Future()
        batch = Batch(list(jobs), future)
        running = _loop.submit(self._run_batch(batch))
        running.add_done_callback(lambda done: _copy_outcome(done, future))
        return batch

    def wait(
        self,
        in_flight: Sequence[Batch],
        on_updates: Callable[[list[Update]], None] | None = None,
        *,
        until: Callable[[], bool] | None = None,
    ) -> list[Batch]:
        """Hand out updates until a batch ends (or ``until()`` holds); returns those that ended.

        ``on_updates`` is called on this thread with each list of updates. A
        KeyboardInterrupt stops every batch the way it stops a pandas run, and
        is raised again once they have settled.
        """
        try:
            while True:
                self._drain(on_updates)
                done = [b for b in in_flight if b.future.done()]
                if done or (until is not None and until()):
                    break
                concurrent.futures.wait(
                    [b.future for b in in_flight],
                    timeout=_DRAIN_SECONDS,
                    return_when=concurrent.futures.FIRST_COMPLETED,
                )
        except KeyboardInterrupt:
            self._settle(in_flight, on_updates)
            raise
        self._drain(on_updates)
        try:
            for batch in done:
                self._finish(batch)
        except BaseException:  # a refused key, say: the other batches stop too
            self._settle([b for b in in_flight if not b.future.done()], on_updates)
            raise
        return done

    def _settle(
        self, in_flight: Sequence[Batch], on_updates: Callable[[list[Update]], None] | None
    ) -> None:
        """Stop every batch, wait until each has settled, and count what they did."""
        for stop in list(self._stops):
            _loop.call_soon(stop.stop)
        concurrent.futures.wait([b.future for b in in_flight])
        self._drain(on_updates)
        for batch in in_flight:
            with contextlib.suppress(Exception):  # the first failure is the one raised
                self._finish(batch)

    def close(self) -> None:
        """Close the HTTP client and the journal; the session cannot submit again."""
        self._run.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one batch -------------------------------------------------------------

    async def _run_batch(self, batch: Batch) -> RunStats:
        stop = BatchStop()
        self._stops.append(stop)
        try:
            return await self._run.run_batch(
                batch.jobs, lambda u: self._updates.put((batch, u)), stop=stop
            )
        finally:
            self._stops.remove(stop)

    def _drain(self, on_updates: Callable[[list[Update]], None] | None) -> None:
        while True:
            try:
                batch, updates = self._updates.get_nowait()
            except queue.Empty:
                return
            updates = [self._in_run_terms(u) for u in updates]
            for update in updates:
                old = batch.answers.get(update.key)
                if (
                    update.status is Status.COMPLETED
                    and not update.cached
                    and (old is None or old.status is not Status.COMPLETED)
                ):
                    self._charged += 1
                batch.answers[update.key] = update
            if on_updates is not None:
                on_updates(updates)

    def _in_run_terms(self, update: Update) -> Update:
        """A batch's engine knows only its share of max_credits: name the run's own limit."""
        limit = self.options.max_credits
        message = update.message
        if (
            limit is not None
            and update.status is Status.NOT_SENT
            and message is not None
            and message.startswith("not sent: max_credits=")
        ):
            return dataclasses.replace(update, message=f"not sent: max_credits={limit} reached")
        return update

    def _finish(self, batch: Batch) -> None:
        """Add a finished batch's figures to the run's (its failure is raised here)."""
        stats = batch.future.result()
        total = self.stats
        for name in _SUMMED:
            setattr(total, name, getattr(total, name) + getattr(stats, name))
        for name in ("finals", "requests"):
            merged: dict[str, int] = getattr(total, name)
            for key, value in getattr(stats, name).items():
                merged[key] = merged.get(key, 0) + value
        total.interrupted |= stats.interrupted
        total.timed_out |= stats.timed_out
        if stats.balance is not None:
            total.balance = stats.balance
        total.elapsed = time.monotonic() - self._started


def _copy_outcome(
    done: concurrent.futures.Future[RunStats], future: concurrent.futures.Future[RunStats]
) -> None:
    exc = done.exception()
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(done.result())


_SUMMED: tuple[str, ...] = tuple(
    f.name
    for f in dataclasses.fields(RunStats)
    if f.type in ("int", int) and f.name not in ("balance",)
)


def run_options(options: SessionOptions) -> RunOptions:
    """The run object's options; raises, naming the argument, if one is wrong."""
    if isinstance(options.kind, (tuple, list)) and len(options.kind) > 1:
        # Each partition's answers go into one set of columns.
        raise ValueError(
            f"type: a Dask frame is enriched one type at a time, not {tuple(options.kind)!r}; "
            "run enrich once per type"
        )
    return RunOptions(
        type=options.kind,
        max_credits=options.max_credits,
        dry_run=options.dry_run,
        refresh=options.refresh,
        api_key=options.api_key,
        base_url=options.base_url,
        journal=options.journal,
        concurrency=options.concurrency,
        poll_interval=options.poll_interval,
        max_wait=options.max_wait,
        callback_url=options.callback_url,
    )


def open_session(options: SessionOptions) -> Session:
    """Start a session (the bundled simulator, if asked for, starts here)."""
    return Session(options)
