"""Creating: send each profile's create once, under the budget, with the journal's say.

The journal records the intent (a claim) before each create and the id the
moment it arrives. A create that ends without an id gives its claim back in one
place, :meth:`Creator._give_up`, which releases the journal row and the budget
unit together and tells the row why.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from .._errors import (
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    JournalError,
    SalesfinityError,
)
from .._models import Lookup, Status
from ..journal._journal import Claim, ClaimResult
from ._book import RunBook, Running
from ._budget import Budget
from ._types import EngineOptions, Job, LookupAPI, Update

__all__ = ["Creator"]

_STOPPED_MESSAGE = (
    "stopped before the API answered; the next run sends it again and counts it as in doubt"
)


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a create that got no id means for its claim and its row."""

    maybe_sent: bool
    status: Status
    message: str
    reraise: bool = False
    #: Why no further create should be sent, if this stops them all.
    halt: str | None = None


def _outcome_of(exc: BaseException) -> _Outcome:
    if isinstance(exc, asyncio.CancelledError):
        return _Outcome(True, Status.NOT_SENT, _STOPPED_MESSAGE, reraise=True)
    if isinstance(exc, InsufficientCreditsError):
        reason = f"not sent: no credits left ({exc.status_code})"
        return _Outcome(False, Status.NOT_SENT, reason, halt=reason)
    if isinstance(exc, AuthenticationError):
        return _Outcome(False, Status.NOT_SENT, f"not sent: {exc}", reraise=True)
    if isinstance(exc, BadRequestError):
        return _Outcome(False, Status.ERROR, f"refused by the API ({exc.status_code}): {exc}")
    if isinstance(exc, SalesfinityError):
        # After every retry the create's fate is unknown: keep it in doubt so
        # a rerun re-sends it and says so, rather than silently skipping it.
        return _Outcome(True, Status.ERROR, f"create failed after retries: {exc}")
    return _Outcome(True, Status.ERROR, f"create failed: {exc}", reraise=True)


class Creator:
    """The create workers of one engine, fed by :meth:`submit`."""

    def __init__(
        self,
        client: LookupAPI,
        book: RunBook,
        budget: Budget,
        options: EngineOptions,
        stop: asyncio.Event,
    ) -> None:
        self._client = client
        self._book = book
        self._budget = budget
        self._options = options
        self._stop = stop
        self._queue: deque[Job] = deque()
        self._workers: set[asyncio.Task[None]] = set()
        #: Workers in the middle of a create: stopping waits for their answers.
        self._busy: set[asyncio.Task[None]] = set()
        self._settling = False
        #: Why creating stopped for good (no credits, a journal that cannot record).
        self.halted: str | None = None
        #: Creating stopped because the journal cannot record intents.
        self.journal_broken = False
        #: A worker's failure that ends the run (a refused key, say).
        self.failure: BaseException | None = None
        #: Profiles another live process is creating right now.
        self.waiting: dict[tuple[str, str], Job] = {}
        #: Creates answered (with an id or not): reads may take a share of these.
        self.sent = 0
        self.changed = asyncio.Event()

    # -- what the rest of the engine asks ---------------------------------

    @property
    def queued(self) -> int:
        return len(self._queue)

    def stopped(self) -> bool:
        return self._stop.is_set() or self.halted is not None

    def ready(self) -> bool:
        """True when a create could go out now: queued, allowed, and not held by the budget."""
        return bool(self._queue) and not self.stopped() and self._budget.available()

    def idle(self) -> bool:
        """True when nothing is queued, being sent or about to be."""
        return not self._queue and not self._workers

    def stuck(self) -> bool:
        """True when what is queued can never go out (stopped, halted, budget spent)."""
        if self._workers:
            return False
        return self.stopped() or self._budget.spent()

    def submit(self, jobs: Iterable[Job]) -> None:
        """Queue profiles to create, starting workers as needed."""
        self._queue.extend(jobs)
        if self.stopped():
            return
        while self._queue and len(self._workers) < max(1, self._options.create_concurrency):
            worker = asyncio.create_task(self._worker())
            self._workers.add(worker)
            worker.add_done_callback(self._worker_ended)

    def drain(self) -> list[Job]:
        """Take every profile not sent (queued or left waiting on another process)."""
        jobs = list(self._queue)
        self._queue.clear()
        jobs.extend(self.waiting.values())
        self.waiting.clear()
        return jobs

    async def settle(self, grace: float) -> None:
        """Stop the workers; give in-flight creates ``grace`` seconds to answer."""
        self._settling = True  # a worker whose create answers takes no other job
        workers, busy = set(self._workers), set(self._busy)
        # Cut off only what is not mid-create (waiting for the budget): a create
        # cut off mid-answer would lose its id and leave the profile in doubt.
        for worker in workers - busy:
            worker.cancel()
        if busy:
            _done, pending = await asyncio.wait(busy, timeout=max(grace, 0.0))
            for worker in pending:
                worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)

    # -- the workers -------------------------------------------------------

    def _worker_ended(self, worker: asyncio.Task[None]) -> None:
        self._workers.discard(worker)
        if not worker.cancelled() and worker.exception() is not None and self.failure is None:
            self.failure = worker.exception()
            self._stop.set()
            self._budget.wake()
        self.changed.set()

    async def _worker(self) -> None:
        # Each create runs in the worker itself, not in a task of its own: a task
        # per create cost about a third of the client's CPU per create (httpx
        # and anyio keep state per task). settle() lets a busy worker finish.
        worker = asyncio.current_task()
        assert worker is not None
        while self._queue and not self.stopped() and not self._settling:
            job = self._queue.popleft()
            if not await self._budget.acquire(self._stop):
                self._queue.appendleft(job)
                return
            self._busy.add(worker)
            try:
                await self._create_one(job)
            finally:
                self._busy.discard(worker)

    async def _create_one(self, job: Job) -> None:
        """One create, holding one budget unit: the unit goes with the lookup or comes back."""
        claim = self._claim(job)
        if claim is None or claim.result in (ClaimResult.REUSE, ClaimResult.WAIT):
            self._budget.release()
            return
        if claim.result is ClaimResult.SEND_IN_DOUBT:
            self._book.stats.in_doubt += 1
        url, kind = job.key
        try:
            lookup = await self._client.create(
                url, kind, external_id=job.external_id, callback_url=self._options.callback_url
            )
        except BaseException as exc:
            outcome = _outcome_of(exc)
            self._give_up(job, outcome)
            if outcome.reraise:
                raise
            return
        finally:
            self.sent += 1
            self.changed.set()
        self._created(job, lookup)

    def _claim(self, job: Job) -> Claim | None:
        """The journal's say on this profile; None when it cannot record the intent."""
        book = self._book
        try:
            claim = book.journal.claim(job.key, refresh=self._options.refresh)
        except JournalError as exc:
            # A create the journal cannot record could be paid twice: never send it.
            message = f"not sent: the journal cannot record it ({exc})"
            self.halted = message
            self.journal_broken = True
            book.fail(job.key, message)
            return None
        if claim.result is ClaimResult.REUSE:
            self._reuse(job, claim)
        elif claim.result is ClaimResult.WAIT:
            self.waiting[job.key] = job
            book.stats.waited_on_other_process += 1
        return claim

    def _reuse(self, job: Job, claim: Claim) -> None:
        lookup = claim.entry.as_lookup() if claim.entry is not None else None
        if lookup is None:
            return
        book = self._book
        if lookup.status.is_running:
            book.add_running(lookup, Running(job.key, None, None))
            book.stats.resumed += 1
            book.publish([Update.of(job.key, lookup)])
        else:
            book.stats.reused += 1
            book.publish([Update.reused(job.key, lookup)])

    def _give_up(self, job: Job, outcome: _Outcome) -> None:
        """Release a claim that got no id: the journal row, the budget unit, the row."""
        book = self._book
        book.release(job.key, maybe_sent=outcome.maybe_sent)
        self._budget.release()
        if outcome.halt is not None:
            self.halted = outcome.halt
        if outcome.status is Status.ERROR:
            book.fail(job.key, outcome.message)
        else:
            book.stats.not_sent += 1
            book.publish([Update(job.key, outcome.status, message=outcome.message)])

    def _created(self, job: Job, lookup: Lookup) -> None:
        book = self._book
        message = None
        try:
            book.journal.record_created(job.key, lookup)
        except JournalError as exc:
            # Sent and answered: the lookup exists, so it is read like any other.
            book.stats.journal_failures += 1
            message = f"the journal could not record {lookup.id} ({exc}); a rerun may send it again"
        book.stats.created += 1
        self._budget.started(lookup.id)
        update = Update.of(job.key, lookup, message)
        if lookup.status.is_running:
            record = Running(job.key, time.monotonic(), time.time())
            book.add_running(lookup, record)
        else:
            book.resolved(lookup.id, lookup.status)
            self._budget.finished(lookup.id, charged=lookup.status is Status.COMPLETED)
        book.publish([update])
