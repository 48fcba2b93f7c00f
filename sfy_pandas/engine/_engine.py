"""One enrichment run: create each profile's lookup once, read it when it is likely final.

Pure asyncio, no pandas. The input is a list of unique profiles (canonical URL x
type); the output is a stream of :class:`Update` batches handed to a callback,
plus :class:`RunStats` at the end. The work is split by job:

- ``_resume``: what the journal already knows, and profiles another process is creating;
- ``_creating``: the create workers, under the budget (``_budget``), with the journal;
- ``_reading``: the read loop, asking only for lookups that are due (``_schedule``),
  timed by what the run learns of lookup times (``_timing``);
- ``_unknown``: ids the API's answers leave out;
- ``_book``: the running lookups, the stats and what goes out.

Every wait is bounded by ``max_wait``, so a run given one returns on time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence

from .._errors import APIConnectionError, AuthenticationError, SalesfinityError
from ..journal._journal import Journal, ProfileKey
from ._book import RunBook, Running
from ._budget import Budget
from ._creating import Creator
from ._reading import Reader
from ._resume import resume_from_journal
from ._schedule import ReadPlan
from ._timing import LookupTimes
from ._types import (
    DEFAULT_CREATE_CONCURRENCY,
    EngineOptions,
    Job,
    LookupAPI,
    RunStats,
    Update,
)
from ._unknown import UnknownIds

__all__ = [
    "DEFAULT_CREATE_CONCURRENCY",
    "Engine",
    "EngineOptions",
    "Job",
    "LookupAPI",
    "RunStats",
    "Update",
]

log = logging.getLogger("sfy_pandas")

#: With ``max_wait``, the most a create still in flight at the deadline may add.
_DEADLINE_GRACE = 0.25


class Engine:
    """Runs one enrichment; create it, then ``await engine.run()`` on one loop."""

    def __init__(
        self,
        client: LookupAPI,
        journal: Journal,
        jobs: Sequence[Job],
        on_update: Callable[[list[Update]], None],
        options: EngineOptions | None = None,
        *,
        resume: Mapping[str, ProfileKey] | None = None,
        warn: Callable[[str], None] | None = None,
        budget: Budget | None = None,
    ) -> None:
        """``resume``: lookups already created (id -> profile), to read and never create.

        ``warn`` receives analyst-facing warnings (a balance too low for the run,
        ids the API no longer knew); by default they are logged. ``budget``: a
        :class:`Budget` shared with other engines of one run; by default one is
        made from ``options.max_credits``.
        """
        self._client = client
        # Kept as given, not copied: a row map's jobs are made as they are read.
        self._jobs = jobs
        self.options = options = options or EngineOptions()
        self.stats = RunStats(profiles=len(self._jobs))
        self._budget = budget if budget is not None else Budget(options.max_credits)
        self._book = RunBook(journal, self.stats, on_update, warn or log.warning)
        for lookup_id, key in (resume or {}).items():
            self._book.running[lookup_id] = Running(key, None, None)
        self.stats.resumed = len(self._book.running)
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self._times = LookupTimes(options.lookup_median, options.lookup_spread)
        self._creator = Creator(client, self._book, self._budget, options, self._stop)
        self._creator.changed = self._wake
        self._started: float | None = None
        self._stopped = False
        self._jobs_by_key: dict[ProfileKey, Job] | None = None

    @property
    def budget(self) -> Budget:
        return self._budget

    @property
    def lookup_times(self) -> LookupTimes:
        """What the run has learned of lookup times (``quantile(p)``, ``median()``)."""
        return self._times

    def stop(self) -> None:
        """Stop creating and reading; safe to call from the engine's loop only.

        From another thread use ``loop.call_soon_threadsafe(engine.stop)``.
        """
        self._stopped = True
        self._stop.set()
        self._wake.set()
        self._budget.wake()

    async def run(self) -> RunStats:
        """Do the whole run; returns when every profile is final, on stop, or at ``max_wait``."""
        started = self._started = time.monotonic()
        max_wait = self.options.max_wait
        deadline = None if max_wait is None else started + max_wait
        failure: str | None = None
        try:
            await self._run(deadline)
            return self.stats
        except Exception as exc:  # whatever ends the run, its unsent rows must say so
            failure = f"not sent: the run failed ({exc})"
            raise
        finally:
            self._stop.set()
            self._budget.wake()
            grace = self.options.stop_grace
            if deadline is not None:
                grace = min(grace, max(deadline + _DEADLINE_GRACE - time.monotonic(), 0.0))
            try:
                await self._creator.settle(grace)
                self._finish(failure)
            finally:
                self._book.flush()  # nothing published is left behind, even when cancelled
            self.stats.elapsed = time.monotonic() - started

    async def _run(self, deadline: float | None) -> None:
        to_create = resume_from_journal(self._book, self._jobs, refresh=self.options.refresh)
        if self.options.dry_run:
            self.stats.max_cost = len(to_create)
            self._book.mark_not_sent(to_create, "dry run: not sent")
            return
        if to_create:
            try:
                await self._check_balance(len(to_create), deadline)
            except Exception as exc:  # a wrong key: nothing was queued yet, say so on each
                self._book.mark_not_sent(to_create, f"not sent: the run failed ({exc})")
                raise
        plan = ReadPlan(self._times, self.options)
        unknown = UnknownIds(self._client, self._book, self._creator, self.options, self._job_for)
        reader = Reader(
            self._client,
            self._book,
            budget=self._budget,
            creator=self._creator,
            plan=plan,
            options=self.options,
            stop=self._stop,
            wake=self._wake,
            deadline=deadline,
            unknown=unknown,
        )
        self._plan = plan
        self._creator.submit(to_create)
        await reader.run()
        if self._creator.failure is not None:
            raise self._creator.failure

    async def _check_balance(self, creates: int, deadline: float | None) -> None:
        """Read the balance first: a wrong key fails here, before anything is sent."""
        timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            balance = await asyncio.wait_for(self._client.credits(), timeout)
        except (AuthenticationError, APIConnectionError):
            # A wrong key or an API out of reach fails every create the same
            # way: one clear error now beats a slow trickle of error rows.
            raise
        except (SalesfinityError, asyncio.TimeoutError) as exc:
            log.debug("could not read the credit balance: %s", exc)
            return
        self.stats.balance = balance
        limit = self._budget.limit
        budget = creates if limit is None else limit
        if balance < min(creates, budget):
            self._book.note(
                f"Your balance is {balance} credits; this run may need up to "
                f"{min(creates, budget)} (one per email found). Lookups beyond the "
                "balance will be refused and left 'not-sent'."
            )

    def _job_for(self, key: ProfileKey) -> Job:
        if self._jobs_by_key is None:
            self._jobs_by_key = {job.key: job for job in self._jobs}
        return self._jobs_by_key.get(key) or Job(key)

    # -- ending --------------------------------------------------------------

    def _finish(self, failure: str | None) -> None:
        """Say what became of every profile not sent, and of the lookups left running."""
        creator, book, stats = self._creator, self._book, self.stats
        unsent = creator.drain()
        if creator.journal_broken and failure is None:
            for job in unsent:
                book.fail(job.key, creator.halted or "not sent: the journal cannot record it")
        else:
            book.mark_not_sent(unsent, failure or self._unsent_reason())
        # Lookups left running may still be charged: their units stay taken,
        # but no other batch of a shared budget waits for them.
        self._budget.abandon(book.running)
        if stats.recreated:
            book.note(
                f"{stats.recreated} journaled lookups were unknown to the API; "
                "they were sent again."
            )
        if stats.unknown_ids:
            book.note(f"{stats.unknown_ids} lookups were unknown to the API; marked 'error'.")

    def _unsent_reason(self) -> str:
        creator = self._creator
        if creator.halted is not None:
            return creator.halted
        if self.stats.timed_out:
            return "not sent: max_wait reached; run enrich() again to send it"
        if self._stopped:
            self.stats.interrupted = True
            return "not sent: the run was stopped; run enrich() again to send it"
        if self._budget.limit is not None:
            return f"not sent: max_credits={self._budget.limit} reached"
        return "not sent"

    # -- estimates -----------------------------------------------------------

    def eta_seconds(self) -> float | None:
        """Seconds until the run is likely over; None until it can be estimated.

        From the learned lookup times and the learned request rate: the creates
        and reads still to send at that rate, then the last lookup's likely time.
        """
        started, book = self._started, self._book
        if started is None or self._times.resolved < 3:
            return None
        now = time.monotonic()
        stats = self.stats
        requests = stats.created + stats.reads
        if requests < 10 or now <= started:
            return None
        rate = requests / (now - started)
        queued = self._creator.queued
        reads_each = stats.reads / max(stats.created, 1)
        left = queued * (1.0 + reads_each) + len(book.running)
        sending = left / rate
        likely = self._times.quantile(self.options.read_quantile)
        last = book.last_created
        running = 0.0 if last is None else last + likely - now
        return max(sending + (likely if queued else 0.0), running, 0.0)
