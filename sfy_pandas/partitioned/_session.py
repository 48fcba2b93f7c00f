"""The one place a partitioned run sends requests: a session over batches of profiles.

``open_session(options)`` gives a :class:`Session` that owns one HTTP client
(so one learned pace), one journal and one credit budget for the whole run;
``session.submit(jobs)`` enriches one batch of distinct profiles and returns
the newest answer of each; ``close()`` ends it. Every face of a partitioned run
goes through this module, so it is the only one that changes when the run
object takes over.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..client._client import AsyncSalesfinity
from ..engine._engine import (
    DEFAULT_CREATE_CONCURRENCY,
    Engine,
    EngineOptions,
    Job,
    RunStats,
    Update,
)
from ..journal._journal import Journal, ProfileKey
from ..pandas._accessor import _journal_for, _Target, _target
from ..run import _runner

__all__ = ["Session", "SessionOptions", "open_session"]

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


class Session:
    """One client, one journal, one budget, over every batch a run submits."""

    def __init__(self, options: SessionOptions) -> None:
        self.options = options
        self.target: _Target = _target(options.api_key, options.base_url)
        self.journal: Journal = _journal_for(options.journal, self.target)
        self.stats = RunStats()
        self._engine_options = EngineOptions(
            dry_run=options.dry_run,
            refresh=options.refresh,
            callback_url=options.callback_url,
            create_concurrency=options.concurrency or DEFAULT_CREATE_CONCURRENCY,
            poll_initial=options.poll_interval,
        )
        self._client: AsyncSalesfinity | None = None
        self._engine: Engine | None = None
        self._started = time.monotonic()
        #: Lookups of earlier batches left running (max_wait): each may still be charged.
        self._still_running = 0

    def __repr__(self) -> str:  # the key stays out
        return f"Session(base_url={self.target.base_url!r}, journal={self.journal!r})"

    @property
    def out_of_time(self) -> bool:
        wait = self.options.max_wait
        return wait is not None and time.monotonic() - self._started >= wait

    def submit(
        self,
        jobs: Sequence[Job],
        on_updates: Callable[[list[Update]], None] | None = None,
    ) -> dict[ProfileKey, Update]:
        """Enrich one batch until each profile is final (or the run's time is up).

        ``on_updates`` is called on this thread with each batch of updates as
        they arrive. A KeyboardInterrupt stops the batch the way it stops a
        pandas run, and is raised again once the batch has settled.
        """
        updates: queue.SimpleQueue[list[Update]] = queue.SimpleQueue()
        latest: dict[ProfileKey, Update] = {}

        def drain() -> None:
            while True:
                try:
                    batch = updates.get_nowait()
                except queue.Empty:
                    return
                for update in batch:
                    latest[update.key] = update
                if on_updates is not None:
                    on_updates(batch)

        future = _runner.submit(self._run_batch(list(jobs), self._batch_options(), updates.put))
        interrupted = False
        while True:
            try:
                stats = future.result(timeout=_DRAIN_SECONDS)
                break
            except concurrent.futures.TimeoutError:
                drain()
            except KeyboardInterrupt:
                interrupted = True
                self._stop()
        drain()
        self._add(stats)
        self._still_running += sum(1 for u in latest.values() if u.status.is_running)
        if interrupted:
            raise KeyboardInterrupt
        return latest

    def close(self) -> None:
        """Close the HTTP client and the journal; the session cannot submit again."""
        client, self._client = self._client, None
        try:
            if client is not None:
                _runner.submit(client.aclose()).result()
        finally:
            self.journal.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one batch -------------------------------------------------------------

    def _batch_options(self) -> EngineOptions:
        """This batch's share: what the earlier batches left of the budget and the time."""
        options = self._engine_options
        limit = self.options.max_credits
        if limit is not None:
            spent = self.stats.credits_used + self._still_running
            options = dataclasses.replace(options, max_credits=max(limit - spent, 0))
        wait = self.options.max_wait
        if wait is not None:
            left = max(wait - (time.monotonic() - self._started), 0.0)
            options = dataclasses.replace(options, max_wait=left)
        return options

    async def _run_batch(
        self, jobs: list[Job], options: EngineOptions, emit: Callable[[list[Update]], None]
    ) -> RunStats:
        if self._client is None:
            self._client = AsyncSalesfinity(self.target.api_key, base_url=self.target.base_url)
        engine = Engine(self._client, self.journal, jobs, emit, options)
        self._engine = engine
        before = dict(self._client.stats.requests)
        limited, doubtful = self._client.stats.rate_limited, self._client.stats.ambiguous_creates
        try:
            return await engine.run()
        finally:
            self._engine = None
            stats = engine.stats
            now = self._client.stats
            stats.requests = {k: v - before.get(k, 0) for k, v in now.requests.items()}
            stats.rate_limited = now.rate_limited - limited
            stats.ambiguous_creates = now.ambiguous_creates - doubtful

    def _stop(self) -> None:
        engine = self._engine
        if engine is not None:
            _runner.call_soon(engine.stop)

    def _add(self, batch: RunStats) -> None:
        """Add one batch's figures to the run's."""
        total = self.stats
        for name in _SUMMED:
            setattr(total, name, getattr(total, name) + getattr(batch, name))
        for name in ("finals", "requests"):
            merged: dict[str, int] = getattr(total, name)
            for key, value in getattr(batch, name).items():
                merged[key] = merged.get(key, 0) + value
        total.interrupted |= batch.interrupted
        total.timed_out |= batch.timed_out
        if batch.balance is not None:
            total.balance = batch.balance
        total.elapsed = time.monotonic() - self._started


_SUMMED: tuple[str, ...] = tuple(
    f.name
    for f in dataclasses.fields(RunStats)
    if f.type in ("int", int) and f.name not in ("balance",)
)


def open_session(options: SessionOptions) -> Session:
    """Start a session (the bundled simulator, if asked for, starts here)."""
    return Session(options)
