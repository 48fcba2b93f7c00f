"""One enrichment run: create each profile's lookup once, poll until all are final.

Pure asyncio, no pandas. The input is a list of unique profiles (canonical URL x
type); the output is a stream of :class:`Update` batches handed to a callback,
plus :class:`RunStats` at the end. Creates go out concurrently under a small
bound (the client paces them further); every running lookup is polled in
batches of at most 200 with a short first interval and exponential backoff. The
journal is consulted before every create and told every answer, so a killed
run resumes instead of paying twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .._contract import MAX_BATCH
from .._errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    SalesfinityError,
)
from .._models import Lookup, Status
from ..journal._journal import ClaimResult, Entry, Journal, ProfileKey, State, owner_is_alive

__all__ = ["Engine", "EngineOptions", "Job", "RunStats", "Update"]

log = logging.getLogger("sfy_pandas")


class LookupAPI(Protocol):
    """The part of :class:`~sfy_pandas.AsyncSalesfinity` a run needs."""

    async def create(
        self,
        linkedin_url: str,
        type: str = "work",
        *,
        external_id: str | None = None,
        callback_url: str | None = None,
    ) -> Lookup: ...

    async def query(self, ids: Sequence[str]) -> list[Lookup]: ...

    async def credits(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Job:
    """One unique profile to enrich."""

    key: ProfileKey
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """A profile's new state, to be written to every row of that profile."""

    key: ProfileKey
    status: Status
    lookup_id: str | None = None
    email: str | None = None
    email_type: str | None = None
    message: str | None = None
    #: A final answer reused from the journal: no request, no charge.
    cached: bool = False

    @classmethod
    def of(cls, key: ProfileKey, lookup: Lookup, message: str | None = None) -> Update:
        return cls(key, lookup.status, lookup.id, lookup.email, lookup.email_type, message)

    @classmethod
    def reused(cls, key: ProfileKey, lookup: Lookup) -> Update:
        return cls(
            key, lookup.status, lookup.id, lookup.email, lookup.email_type, None, cached=True
        )


#: Creates in flight at once by default. Small on purpose: a create whose answer
#: is lost when the process dies is in doubt, so this bounds the doubt; and past
#: a handful in flight the HTTP client's own CPU cost climbs (FACTS: httpcore).
DEFAULT_CREATE_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How a run behaves; the defaults suit the real API."""

    max_credits: int | None = None
    dry_run: bool = False
    refresh: bool = False
    callback_url: str | None = None
    #: Creates in flight at once (see DEFAULT_CREATE_CONCURRENCY).
    create_concurrency: int = DEFAULT_CREATE_CONCURRENCY
    poll_initial: float = 1.0
    poll_max: float = 30.0
    poll_backoff: float = 1.5
    #: Stop polling after this many seconds; rows still running keep their id
    #: and are finished later by ``status()``. None waits until all are final.
    max_wait: float | None = None
    #: Once stopped, how long in-flight creates may take to answer before
    #: they are abandoned (and counted in doubt by the next run).
    stop_grace: float = 10.0
    #: Rounds a running id may be missing from the API's answers before the
    #: row is marked as an error.
    missing_rounds: int = 5


@dataclass(slots=True)
class RunStats:
    """What happened, in numbers an analyst can check."""

    profiles: int = 0
    created: int = 0
    reused: int = 0
    resumed: int = 0
    in_doubt: int = 0
    waited_on_other_process: int = 0
    not_sent: int = 0
    errors: int = 0
    credits_used: int = 0
    balance: int | None = None
    max_cost: int = 0
    poll_rounds: int = 0
    status_calls: int = 0
    interrupted: bool = False
    timed_out: bool = False
    elapsed: float = 0.0
    finals: dict[str, int] = field(default_factory=dict)
    #: Filled in from the HTTP client when the run ends: requests sent per
    #: endpoint, 429s received, and creates whose answer was lost and that were
    #: sent again (each may have made a second, chargeable lookup).
    requests: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    ambiguous_creates: int = 0


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
    ) -> None:
        """``resume``: lookups already created (id -> profile), to poll and never create.

        ``warn`` receives analyst-facing warnings (a balance too low for the run);
        by default they are logged.
        """
        self._client = client
        self._journal = journal
        self._jobs = list(jobs)
        self._emit = on_update
        self.options = options or EngineOptions()
        self.stats = RunStats(profiles=len(self._jobs))
        self._running: dict[str, ProfileKey] = dict(resume or {})
        self.stats.resumed = len(self._running)
        self._warn = warn or log.warning
        self._missing: dict[str, int] = {}
        self._waiting: dict[ProfileKey, Job] = {}
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
        self._inflight: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()
        self._creators_done = asyncio.Event()
        self._poll_now = asyncio.Event()
        self._out_of_credits: str | None = None
        self._failure: str | None = None
        self._budget = _Budget(self.options.max_credits)

    def stop(self) -> None:
        """Stop creating and polling; safe to call from the engine's loop only.

        From another thread use ``loop.call_soon_threadsafe(engine.stop)``.
        """
        self._stop.set()
        self._poll_now.set()
        self._budget.wake()

    async def run(self) -> RunStats:
        """Do the whole run; returns when every profile is final, or on stop."""
        started = time.monotonic()
        try:
            to_create = self._resume_from_journal()
            if self.options.dry_run:
                self.stats.max_cost = len(to_create)
                self._mark_not_sent(to_create, "dry run: not sent")
                return self.stats
            for job in to_create:
                self._queue.put_nowait(job)
            if to_create:
                await self._check_balance(len(to_create))
            poller = asyncio.create_task(self._poll_loop(started))
            try:
                await self._create_all()
                self._creators_done.set()
                self._poll_now.set()
                await poller
            finally:
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
            return self.stats
        except Exception as exc:  # whatever ends the run, its unsent rows must say so
            self._failure = f"not sent: the run failed ({exc})"
            raise
        finally:
            await self._settle_inflight()
            self._mark_not_sent(self._drain_queue(), self._unsent_reason())
            self.stats.elapsed = time.monotonic() - started

    # -- start -------------------------------------------------------------

    def _resume_from_journal(self) -> list[Job]:
        """Reuse what the journal knows; return the jobs that need a create."""
        entries = self._journal.entries(job.key for job in self._jobs)
        updates: list[Update] = []
        to_create: list[Job] = []
        for job in self._jobs:
            entry = entries.get(job.key)
            lookup = entry.as_lookup() if entry is not None else None
            if entry is None or lookup is None:
                to_create.append(job)
            elif entry.state is State.CREATED:
                self._running[lookup.id] = job.key
                self.stats.resumed += 1
                updates.append(Update.of(job.key, lookup))
            elif entry.state is State.RESOLVED and not self.options.refresh:
                self.stats.reused += 1
                updates.append(Update.reused(job.key, lookup))
            else:
                to_create.append(job)
        del entries  # before the updates go out: on a big rerun both are large
        self._publish(updates)
        return to_create

    async def _check_balance(self, creates: int) -> None:
        """Read the balance first: a wrong key fails here, before anything is sent."""
        try:
            balance = await self._client.credits()
        except (AuthenticationError, APIConnectionError):
            # A wrong key or an API out of reach fails every create the same
            # way: one clear error now beats a slow trickle of error rows.
            raise
        except SalesfinityError as exc:
            log.debug("could not read the credit balance: %s", exc)
            return
        self.stats.balance = balance
        budget = creates if self.options.max_credits is None else self.options.max_credits
        if balance < min(creates, budget):
            self._warn(
                f"Your balance is {balance} credits; this run may need up to "
                f"{min(creates, budget)} (one per email found). Lookups beyond the "
                "balance will be refused and left 'not-sent'."
            )

    # -- creating ------------------------------------------------------------

    async def _create_all(self) -> None:
        """Run the create workers until the queue is empty, they fail, or the run stops."""
        pending: set[asyncio.Task[Any]] = {
            asyncio.create_task(self._create_worker())
            for _ in range(max(1, self.options.create_concurrency))
        }
        stopper = asyncio.create_task(self._stop.wait())
        workers = set(pending)
        try:
            while pending:
                done, pending = await asyncio.wait(
                    pending | {stopper}, return_when=asyncio.FIRST_COMPLETED
                )
                if stopper in done:
                    return  # in-flight creates are shielded: _settle_inflight waits for them
                pending.discard(stopper)
                for task in done:
                    task.result()  # re-raise a worker's failure (a refused key, say)
        finally:
            stopper.cancel()
            for worker in workers:
                worker.cancel()
            await asyncio.gather(stopper, *workers, return_exceptions=True)

    async def _create_worker(self) -> None:
        while not self._stopped_creating():
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            if not await self._budget.acquire(self._stop):
                self._queue.put_nowait(job)
                return
            task = asyncio.create_task(self._create_one(job))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            # Shielded: stopping the run must not cut a create off mid-answer,
            # or its id would be lost and the profile left in doubt.
            await asyncio.shield(task)

    def _stopped_creating(self) -> bool:
        return self._stop.is_set() or self._out_of_credits is not None

    async def _create_one(self, job: Job) -> None:
        claim = self._journal.claim(job.key, refresh=self.options.refresh)
        if claim.result is ClaimResult.REUSE:
            self._budget.release()
            self._reuse(job, claim.entry)
            return
        if claim.result is ClaimResult.WAIT:
            self._budget.release()
            self._waiting[job.key] = job
            self.stats.waited_on_other_process += 1
            return
        if claim.result is ClaimResult.SEND_IN_DOUBT:
            self.stats.in_doubt += 1
        url, kind = job.key
        try:
            lookup = await self._client.create(
                url, kind, external_id=job.external_id, callback_url=self.options.callback_url
            )
        except asyncio.CancelledError:
            self._journal.release(job.key, maybe_sent=True)
            self._budget.release()
            self.stats.not_sent += 1
            self._publish(
                [
                    Update(
                        job.key,
                        Status.NOT_SENT,
                        message="stopped before the API answered; the next run sends it "
                        "again and counts it as in doubt",
                    )
                ]
            )
            raise
        except InsufficientCreditsError as exc:
            self._journal.release(job.key, maybe_sent=False)
            self._budget.release()
            self._out_of_credits = f"not sent: no credits left ({exc.status_code})"
            self._mark_not_sent([job], self._out_of_credits)
            return
        except AuthenticationError:
            self._journal.release(job.key, maybe_sent=False)
            raise
        except BadRequestError as exc:
            self._journal.release(job.key, maybe_sent=False)
            self._budget.release()
            self._fail(job.key, f"refused by the API ({exc.status_code}): {exc}")
            return
        except SalesfinityError as exc:
            # After every retry the create's fate is unknown: keep it in doubt so
            # a rerun re-sends it and says so, rather than silently skipping it.
            self._journal.release(job.key, maybe_sent=True)
            self._budget.release()
            self._fail(job.key, f"create failed after retries: {exc}")
            return
        self._journal.record_created(job.key, lookup)
        self.stats.created += 1
        self._budget.started(lookup.id)
        if lookup.status.is_running:
            self._running[lookup.id] = job.key
        else:
            self._resolved(lookup.id, lookup.status)
        self._publish([Update.of(job.key, lookup)])

    def _reuse(self, job: Job, entry: Entry | None) -> None:
        lookup = entry.as_lookup() if entry is not None else None
        if lookup is None:
            return
        if lookup.status.is_running:
            self._running[lookup.id] = job.key
            self.stats.resumed += 1
            self._publish([Update.of(job.key, lookup)])
        else:
            self.stats.reused += 1
            self._publish([Update.reused(job.key, lookup)])

    def _fail(self, key: ProfileKey, message: str) -> None:
        self.stats.errors += 1
        self._publish([Update(key, Status.ERROR, message=message)])

    # -- polling -------------------------------------------------------------

    async def _poll_loop(self, started: float) -> None:
        options = self.options
        interval = options.poll_initial
        while not self._stop.is_set():
            if self._creators_done.is_set() and not self._running and not self._waiting:
                return
            if options.max_wait is not None and time.monotonic() - started > options.max_wait:
                self.stats.timed_out = True
                return
            self._poll_now.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._poll_now.wait(), interval)
            if self._stop.is_set():
                return
            polled = bool(self._running)
            changed = await self._poll_round()
            changed |= await self._check_waiting()
            # Back off while lookups sit unchanged, and while creates are still going
            # out: under a rate limit every status call takes a create's place, and
            # the last round (when the creates end) asks for everything anyway.
            # With nothing to poll yet the first ids must not wait for a long interval.
            creating = not self._creators_done.is_set()
            interval = (
                min(interval * options.poll_backoff, options.poll_max)
                if polled and (creating or not changed)
                else options.poll_initial
            )

    async def _poll_round(self) -> bool:
        """Ask for every running lookup once, 200 at a time; True if any changed."""
        ids = list(self._running)
        if not ids:
            return False
        self.stats.poll_rounds += 1
        batches = [ids[i : i + MAX_BATCH] for i in range(0, len(ids), MAX_BATCH)]
        self.stats.status_calls += len(batches)
        log.debug(
            "polling round %d: %d running lookups in %d status calls",
            self.stats.poll_rounds,
            len(ids),
            len(batches),
        )
        answers = await asyncio.gather(
            *(self._client.query(batch) for batch in batches), return_exceptions=True
        )
        changed = False
        updates: list[Update] = []
        resolved: list[tuple[ProfileKey, Lookup]] = []
        for batch, answer in zip(batches, answers, strict=True):
            if isinstance(answer, AuthenticationError):
                raise answer
            if isinstance(answer, BaseException):
                if not isinstance(answer, SalesfinityError):
                    raise answer
                log.warning("a status query failed, will ask again: %s", answer)
                continue
            seen = {lookup.id: lookup for lookup in answer}
            for lookup_id in batch:
                lookup = seen.get(lookup_id)
                key = self._running.get(lookup_id)
                if key is None:
                    continue
                if lookup is None:
                    changed |= self._count_missing(lookup_id, key, updates)
                    continue
                self._missing.pop(lookup_id, None)
                updates.append(Update.of(key, lookup))
                if not lookup.status.is_running:
                    del self._running[lookup_id]
                    self._resolved(lookup_id, lookup.status)
                    resolved.append((key, lookup))
                    changed = True
        self._journal.record_lookups(resolved)
        self._publish(updates)
        return changed

    def _count_missing(self, lookup_id: str, key: ProfileKey, updates: list[Update]) -> bool:
        misses = self._missing.get(lookup_id, 0) + 1
        self._missing[lookup_id] = misses
        if misses < self.options.missing_rounds:
            return False
        del self._running[lookup_id]
        self._resolved(lookup_id)
        self._journal.forget(key)
        self.stats.errors += 1
        updates.append(
            Update(key, Status.ERROR, lookup_id, message=f"the API no longer knows {lookup_id}")
        )
        return True

    async def _check_waiting(self) -> bool:
        """Profiles another process was creating: take its id, or take over if it died."""
        if not self._waiting:
            return False
        entries = self._journal.entries(self._waiting)
        now = time.time()
        changed = False
        for key, job in list(self._waiting.items()):
            entry = entries.get(key)
            if (
                entry is not None
                and entry.state is State.SENDING
                and owner_is_alive(entry.owner, entry.claimed_at, now)
            ):
                continue  # the other process is still sending it
            del self._waiting[key]
            changed = True
            if entry is not None and entry.state is not State.SENDING:
                self._reuse(job, entry)
            elif not self._stopped_creating() and await self._budget.acquire(self._stop):
                await self._create_one(job)  # its owner died unanswered: the claim says so
            else:
                self._mark_not_sent([job], self._unsent_reason())
        return changed

    def _resolved(self, lookup_id: str, status: Status | None = None) -> None:
        if status is Status.COMPLETED:
            self.stats.credits_used += 1
        self._budget.finished(lookup_id, charged=status is Status.COMPLETED)

    # -- ending --------------------------------------------------------------

    async def _settle_inflight(self) -> None:
        if not self._inflight:
            return
        _done, pending = await asyncio.wait(self._inflight, timeout=self.options.stop_grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def _drain_queue(self) -> list[Job]:
        jobs: list[Job] = []
        while not self._queue.empty():
            jobs.append(self._queue.get_nowait())
        jobs.extend(self._waiting.values())
        self._waiting.clear()
        return jobs

    def _unsent_reason(self) -> str:
        if self._failure is not None:
            return self._failure
        if self._out_of_credits is not None:
            return self._out_of_credits
        if self._stop.is_set():
            self.stats.interrupted = True
            return "not sent: the run was stopped; run enrich() again to send it"
        if self.options.max_credits is not None:
            return f"not sent: max_credits={self.options.max_credits} reached"
        return "not sent"

    def _mark_not_sent(self, jobs: Sequence[Job], reason: str) -> None:
        if not jobs:
            return
        self.stats.not_sent += len(jobs)
        self._publish([Update(job.key, Status.NOT_SENT, message=reason) for job in jobs])

    def _publish(self, updates: list[Update]) -> None:
        if updates:
            for update in updates:
                if update.status.is_final:
                    name = update.status.value
                    self.stats.finals[name] = self.stats.finals.get(name, 0) + 1
            self._emit(updates)


class _Budget:
    """``max_credits``: never more lookups running or charged than the budget.

    A lookup holds one unit from its create until it resolves; a completed one
    keeps it (it was charged), any other outcome gives it back. So a budget of
    N never starts a lookup that could be the (N+1)-th charge, yet uses every
    credit that not-found answers leave unspent.
    """

    def __init__(self, limit: int | None) -> None:
        self._limit = limit
        self._held = 0
        self._holders: set[str] = set()
        self._changed = asyncio.Event()

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Take one unit; False when the budget is spent for good or the run stops."""
        if self._limit is None:
            return True
        while self._held >= self._limit:
            if not self._holders or stop.is_set():
                return False  # every unit is charged: nothing will come back
            self._changed.clear()
            await self._changed.wait()
        self._held += 1
        return True

    def wake(self) -> None:
        """Let waiters look again (the run is stopping)."""
        self._changed.set()

    def release(self) -> None:
        """Give back a unit whose create did not start a lookup."""
        if self._limit is not None:
            self._held -= 1
            self._changed.set()

    def started(self, lookup_id: str) -> None:
        if self._limit is not None:
            self._holders.add(lookup_id)

    def finished(self, lookup_id: str, *, charged: bool) -> None:
        if self._limit is None or lookup_id not in self._holders:
            return
        self._holders.discard(lookup_id)
        if not charged:
            self._held -= 1
        self._changed.set()
