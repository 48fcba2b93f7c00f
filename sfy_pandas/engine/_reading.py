"""Reading: ask for the lookups that are due, and take in what the API says.

A round starts when the earliest lookup is due (and, with the batch query, no
sooner than ``poll_initial`` after the last round started). With the batch
query a round asks for every due lookup, 200 a call. With one GET per lookup,
every read takes a request from the rate limit the creates also need: while a
create is ready to go, reads may only take a share of the requests: all of
``read_share`` when the run's requests set its end, half when its lookups do
(``_share``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Sequence

from .._contract import MAX_BATCH
from .._deadline import within
from .._errors import AuthenticationError, SalesfinityError
from .._models import Lookup, Status
from ._book import Answers, RunBook, Running
from ._budget import Budget
from ._creating import Creator
from ._resume import check_waiting
from ._schedule import ReadPlan
from ._share import ReadShare
from ._types import EngineOptions, LookupAPI, Update
from ._unknown import UnknownIds

__all__ = ["Reader"]

log = logging.getLogger("sfy_pandas")

#: GETs asked for in one round without the batch query: small, so a create that
#: becomes ready never waits behind a long line of reads in the client's pacer.
_GETS_PER_ROUND = 32
#: Ids per status call without the batch query: each is one GET, and a call's
#: answers are taken in when its last GET is answered.
_GETS_PER_CALL = 8
#: The least time between rounds of GETs (each is due on its own).
_GET_ROUND_GAP = 0.05
#: With the batch query, while creates are ready to go: a round after this many
#: creates (a call is then about 1 % of the requests) ...
_CREATES_PER_BATCH_CALL = 80
#: ... or after this many ``poll_initial``s.
_BATCH_GAP_WHILE_CREATING = 10.0


class Reader:
    """The read loop of one engine; :meth:`run` returns when the run is over."""

    def __init__(
        self,
        client: LookupAPI,
        book: RunBook,
        *,
        budget: Budget,
        creator: Creator,
        plan: ReadPlan,
        options: EngineOptions,
        stop: asyncio.Event,
        wake: asyncio.Event,
        deadline: float | None,
        unknown: UnknownIds,
    ) -> None:
        self._client = client
        self._book = book
        self._budget = budget
        self._creator = creator
        self._plan = plan
        self._options = options
        self._stop = stop
        self._wake = wake
        self._deadline = deadline
        self._unknown = unknown
        #: Reads that may still go out while creates are ready (no batch query).
        self._allowance = 1.0
        self._share = ReadShare(options.read_share)
        self._creates_seen = 0
        #: Creates sent when the last round started.
        self._sent_at_round = 0
        self._probes_left = options.probes
        book.on_running = self._on_running

    def _on_running(self, lookup_id: str, record: Running) -> None:
        if record.created is not None and self._probes_left > 0:
            self._probes_left -= 1
            record.probe = True
        self._plan.schedule(lookup_id, record, time.monotonic())
        self._wake.set()

    def finished(self) -> bool:
        """True when nothing is running, waiting, or still to be created."""
        creator = self._creator
        done_creating = creator.idle() or creator.stuck()
        return done_creating and not self._book.running and not creator.waiting

    def batch(self) -> bool:
        if self._options.batch_query is not None:
            return self._options.batch_query
        stats = getattr(self._client, "stats", None)
        return getattr(stats, "batch_supported", None) is True

    async def run(self) -> None:
        now = time.monotonic()
        for lookup_id, record in list(self._book.running.items()):
            self._plan.schedule(lookup_id, record, now)
        last_start, last_check = -math.inf, -math.inf
        while not self._stop.is_set():
            now = time.monotonic()
            if self._deadline is not None and now >= self._deadline:
                self._book.stats.timed_out = True
                return
            if now - last_check >= self._options.poll_initial:
                last_check = now
                check_waiting(self._book, self._creator)
            if self.finished():
                return
            self._follow_mode(now)
            start_at = self._start_at(last_start)
            if start_at > now:
                await self._sleep(start_at - now)
                continue
            ids = self._take(now)
            if not ids:
                await self._sleep(0.25)  # held back for a create: the next one wakes us
                continue
            last_start, self._sent_at_round = now, self._creator.sent
            if not await self._read_by_deadline(ids, now):
                return

    async def _read_by_deadline(self, ids: list[str], now: float) -> bool:
        """Read ``ids``; False when the deadline came first (a read is safe to cut off)."""
        if self._deadline is None:
            await self._read(ids, now)
            return True
        try:
            await asyncio.wait_for(self._read(ids, now), max(self._deadline - now, 0.0))
        except asyncio.TimeoutError:
            self._book.stats.timed_out = True
            return False
        return True

    def _follow_mode(self, now: float) -> None:
        batch = self.batch()
        if batch != self._plan.batch:
            self._plan.batch = batch
            self._plan.replan(self._book.running, now)
        self._plan.set_idle(not self._creator.queued, self._book.running, now)

    def _ahead(self) -> float:
        """Read early while creates wait on the budget: a final answer may free a unit."""
        creator = self._creator
        if creator.queued and not creator.stopped() and not self._budget.available():
            return self._plan.eager_ahead()
        return 0.0

    def _start_at(self, last_start: float) -> float:
        due = self._plan.next_due()
        if due is None:
            return time.monotonic() + 1.0  # nothing to read: look again when woken
        ahead = self._ahead()
        poll = self._options.poll_initial
        gap = poll if self._plan.batch or ahead else _GET_ROUND_GAP
        if self._plan.batch and self._creator.ready():
            # Each call takes a request a create could have had: one per
            # ``_CREATES_PER_BATCH_CALL`` creates, and at least one every
            # ``_BATCH_GAP_WHILE_CREATING`` rounds so the early answers show.
            # Each create wakes the loop, so the count is looked at again.
            since = self._creator.sent - self._sent_at_round
            if since < _CREATES_PER_BATCH_CALL:
                gap = poll * _BATCH_GAP_WHILE_CREATING
        return max(due - ahead, last_start + gap)

    async def _sleep(self, seconds: float) -> None:
        if self._deadline is not None:
            seconds = min(seconds, self._deadline - time.monotonic())
        self._wake.clear()
        # The loop sleeps once per create answered: ``within``, not ``wait_for``.
        with contextlib.suppress(asyncio.TimeoutError):
            await within(self._wake.wait(), max(seconds, 0.0))

    def _take(self, now: float) -> list[str]:
        running = self._book.running
        ahead = self._ahead()
        if self._plan.batch or ahead:
            return self._plan.take_due(now, 5 * MAX_BATCH, running, ahead=ahead)
        # With nothing queued to create, no create can wait behind these GETs.
        limit = _GETS_PER_ROUND if self._creator.queued else MAX_BATCH
        if self._creator.ready():
            self._top_up_allowance(now)
            limit = min(limit, int(self._allowance))
            if limit <= 0:
                return []
            ids = self._plan.take_due(now, limit, running)
            self._allowance -= len(ids)
            return ids
        return self._plan.take_due(now, limit, running)

    def _top_up_allowance(self, now: float) -> None:
        sent = self._creator.sent
        self._share.count(now, sent + self._book.stats.reads)
        backlog = self._creator.queued + len(self._book.running)
        share = self._share.share(backlog, self._plan.tail())
        self._allowance += (sent - self._creates_seen) * share / (1.0 - share)
        self._creates_seen = sent
        self._allowance = min(self._allowance, max(4.0, float(self._options.create_concurrency)))

    async def _read(self, ids: list[str], sent_at: float) -> None:
        # Per-id GETs go out in small calls whose answers are taken in as each call
        # ends: one call of 200 GETs under a 10/s limit would hold every answer of
        # the round back for 20 s, and the progress counts with them.
        step = MAX_BATCH if self._plan.batch else _GETS_PER_CALL
        calls = [ids[i : i + step] for i in range(0, len(ids), step)]
        stats = self._book.stats
        stats.poll_rounds += 1
        stats.status_calls += len(calls)
        stats.reads += len(ids)
        for lookup_id in ids:
            self._book.running[lookup_id].reads += 1
        tasks = {asyncio.ensure_future(self._client.query(call)): call for call in calls}
        pending = set(tasks)
        missing: list[str] = []
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                out = Answers()
                for task in done:
                    missing += self._take_call(tasks[task], task, sent_at, out)
                out.send(self._book)
        finally:
            for task in pending:
                task.cancel()
        await self._unknown.missing(missing, time.monotonic(), self)
        self._plan.refit(self._book.running, time.monotonic())

    def _take_call(
        self, call: list[str], task: asyncio.Future[list[Lookup]], sent_at: float, out: Answers
    ) -> list[str]:
        """Take in one status call's answer; returns the ids it did not mention."""
        now = time.monotonic()
        failure = task.exception()
        if isinstance(failure, SalesfinityError) and not isinstance(failure, AuthenticationError):
            log.warning("a status query failed, will ask again: %s", failure)
            for lookup_id in call:
                self._plan.soon(lookup_id, now)
            return []
        if failure is not None:
            raise failure
        seen = {lookup.id: lookup for lookup in task.result()}
        missing: list[str] = []
        for lookup_id in call:
            lookup = seen.get(lookup_id)
            if lookup is None:
                missing.append(lookup_id)
            elif lookup_id in self._book.running:
                self.take_answer(lookup_id, lookup, (sent_at, now), out)
        return missing

    def take_answer(
        self,
        lookup_id: str,
        lookup: Lookup,
        asked: tuple[float, float],
        out: Answers,
    ) -> None:
        """Take in the API's answer for one running lookup, asked between ``asked``."""
        sent_at, now = asked
        updates, resolved = out.updates, out.resolved
        record = self._book.running[lookup_id]
        record.missing = 0
        if lookup.status.is_running:
            if record.created is not None:
                record.last_running_age = sent_at - record.created
                self._plan.seen_running(record)
            if lookup.status is not record.status:
                record.status = lookup.status
                updates.append(Update.of(record.key, lookup))
            self._plan.schedule(lookup_id, record, now)
            return
        if record.created is not None:
            age = now - record.created
            self._plan.learn(record, lookup.updated_at, age, lookup.status)
        self._plan.discard(lookup_id, now)
        self._book.resolved(lookup_id, lookup.status)
        self._budget.finished(lookup_id, charged=lookup.status is Status.COMPLETED)
        resolved.append((record.key, lookup))
        updates.append(Update.of(record.key, lookup))

    def drop(self, lookup_id: str) -> Running | None:
        """Stop reading a lookup for good; it gives its budget unit back."""
        record = self._book.running.get(lookup_id)
        self._plan.discard(lookup_id, time.monotonic())
        self._book.resolved(lookup_id)
        self._budget.finished(lookup_id, charged=False)
        return record

    def reread_soon(self, lookup_ids: Sequence[str], now: float) -> None:
        for lookup_id in lookup_ids:
            self._plan.soon(lookup_id, now)
