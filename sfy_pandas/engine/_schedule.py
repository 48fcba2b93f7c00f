"""When to read each running lookup: when it is likely final, and never too young.

Each running lookup has one due time. Its first read comes when the learned
lookup times say it is likely final (``read_quantile``); a lookup found still
running is read next when it is likely final given that it was not
(``reread_quantile``), at least ``poll_backoff`` times older and, until the
API's cap is known, at most twice as old and at most ``poll_max`` seconds later.
Without the batch query, of the lookups running past what the model expects
only the oldest keeps those bounds (``_stragglers``): the others, most likely
bound for the cap, wait for it to find the cap.
No read goes to a lookup younger than the learned ``lower_quantile``.

Two things bring a read sooner. A lookup near the API's maximum processing time
is read at it (``_cap``: the lognormal's tail knows nothing of a hard cap). And
once nothing is left to create, with the batch query, a running lookup is read
at least every ``_IDLE_GAP`` seconds: nothing else needs the requests then,
and one call covers 200 lookups.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Mapping
from datetime import datetime

from .._models import Status
from ._book import Running
from ._cap import HardCap
from ._stragglers import Stragglers
from ._timing import LookupTimes
from ._types import EngineOptions

__all__ = ["ReadPlan"]

#: How often the model of lookup times is fitted again, at most.
_FIT_EVERY = 1.0
#: With the batch query and nothing left to create: the most time between two
#: reads of one running lookup.
_IDLE_GAP = 2.0
#: With a known cap, lookups still running past this quantile of the model are
#: left out of its fit (see ``ReadPlan._censored``).
_CAPPED_BEYOND = 0.99
#: A lookup still running past this quantile of the model is a straggler ...
_STRAGGLING = 0.8
#: ... and, unless it is the scout, is read next at this many times its age, or
#: at the cap once a first timeout shows where that is. The no-cap case pays
#: for it: a lookup of the long tail is read up to 1.5 times its age late.
_HELD_GROWTH = 2.5
#: Without a known cap, the run's last lookups take about this quantile of the
#: model: far out, since the model leaves out the lookups bound for a cap not
#: seen yet, and those are often the last.
_TAIL = 0.999


class ReadPlan:
    """Due times of the running lookups, earliest first."""

    def __init__(self, times: LookupTimes, options: EngineOptions) -> None:
        self.times = times
        self._options = options
        self._heap: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}
        self._order = itertools.count()
        #: Whether reads are batch calls (cheap: read earlier, in rounds).
        self.batch = False
        #: Whether nothing is left to create (reads then cost the run no create).
        self.idle = False
        self.cap = HardCap()
        self._stragglers = Stragglers()
        #: The cap's read age moved: reschedule at the end of the round (once,
        #: not per answer: a batch answer may move it 200 times).
        self._cap_moved = False
        self._last_fit = -math.inf
        self._fitted = 0
        #: (mu, sigma, batch) -> (first_age, lower_age), for the latest key.
        self._ages_for: tuple[float, float, bool] | None = None
        self._ages_now = (0.0, 0.0)

    def __len__(self) -> int:
        return len(self._due)

    def lower_age(self) -> float:
        """No lookup is read younger than this."""
        return self._ages()[1]

    def first_age(self) -> float:
        """The age of a lookup's first read."""
        return self._ages()[0]

    def _ages(self) -> tuple[float, float]:
        # Asked for each lookup scheduled (a replan asks for thousands at once),
        # and they only move when the model or the read mode does.
        times = self.times
        key = (times.mu, times.sigma, self.batch)
        if key != self._ages_for:
            options = self._options
            lower = times.quantile(options.lower_quantile)
            share = options.batch_read_quantile if self.batch else options.read_quantile
            self._ages_for, self._ages_now = key, (max(times.quantile(share), lower), lower)
        return self._ages_now

    def schedule(self, lookup_id: str, record: Running, now: float) -> None:
        """Set the next read of a running lookup from what is known of it."""
        options = self._options
        if record.created is None:
            # Made by an earlier run: its age is unknown, so no quantile applies.
            # Read it now, then back off from ``poll_initial``, doubling.
            gap = options.poll_initial * 2.0 ** max(record.reads - 1, 0)
            due = now if record.reads == 0 else now + min(options.poll_max, gap)
        elif record.probe:
            age = record.last_running_age
            due = record.created + (options.poll_initial if age is None else 2.0 * age)
        elif record.last_running_age is None:
            due = record.created + self.first_age()
        else:
            age = record.last_running_age
            later = max(
                self.times.next_read_age(age, options.reread_quantile),
                age * options.poll_backoff,
                self.lower_age(),
            )
            if self.cap.read_age() is None:
                if self._holds(lookup_id, record, age):
                    later = _HELD_GROWTH * age
                else:
                    # The model's tail may be wrong (a hard cap not seen yet, say):
                    # at most double the age. A known cap bounds the wait instead.
                    later = min(later, 2.0 * age, age + options.poll_max)
            due = record.created + later
        if record.created is not None:
            due = min(due, self._at_cap(record.created, record.last_running_age))
            if self.idle and self.batch and record.last_running_age is not None:
                due = min(due, record.created + record.last_running_age + _IDLE_GAP)
        self._push(lookup_id, due)

    def _holds(self, lookup_id: str, record: Running, age: float) -> bool:
        """Whether this lookup, running at ``age``, is a straggler other than the scout.

        A straggler is entered in ``_stragglers`` here, which picks the scout.
        """
        if self.batch or age <= self.times.quantile(_STRAGGLING):
            return False  # batch reads are cheap; a read is no waste here
        return not self._stragglers.add(lookup_id, record)

    def _at_cap(self, created: float, seen_running: float | None) -> float:
        """When a lookup is final at the latest, if the API has a known hard cap."""
        cap = self.cap.read_age(seen_running)
        if cap is None or cap <= (seen_running or 0.0):
            return math.inf
        return created + cap

    def seen_running(self, record: Running) -> None:
        """A lookup made by this run was read still running (``last_running_age`` set)."""
        if record.last_running_age is None:
            return
        before = self.cap.read_age()
        self.cap.running_at(record.last_running_age)
        if before is not None and self.cap.read_age() != before:
            self._cap_moved = True  # the middle moved up: the reads due there wait

    def set_idle(self, idle: bool, running: Mapping[str, Running], now: float) -> None:
        """Nothing left to create (or creates again): reschedule every running lookup."""
        if idle == self.idle:
            return
        self.idle = idle
        self._reschedule(running, now)

    def _reschedule(self, running: Mapping[str, Running], now: float) -> None:
        for lookup_id, record in running.items():
            if record.created is not None and lookup_id in self._due:
                self.schedule(lookup_id, record, now)

    def tail(self) -> float:
        """About how long the run's last lookups take: the cap, or the model's far tail.

        Never less than the oldest age a lookup was seen running at.
        """
        if self.cap.high is not None:
            return self.cap.high
        return max(self.times.quantile(_TAIL), self.cap.low)

    def eager_ahead(self) -> float:
        """How much sooner reads may come while creates wait for budget units to come back.

        Reads cost no create then, and each final answer may free a unit.
        """
        return max(self.first_age() - self.lower_age(), 0.0)

    def soon(self, lookup_id: str, now: float) -> None:
        """Read this one again at the next round (its id was missing from an answer)."""
        self._push(lookup_id, now + self._options.poll_initial)

    def discard(self, lookup_id: str, now: float) -> None:
        """The lookup is final, or no longer read."""
        self._due.pop(lookup_id, None)
        scout = self._stragglers.leave(lookup_id)
        if scout is not None and scout[0] in self._due:  # not one being read right now
            self.schedule(*scout, now)

    def replan(self, running: Mapping[str, Running], now: float) -> None:
        """The model moved: reschedule every lookup not read yet."""
        for lookup_id, record in running.items():
            if record.reads == 0 and record.created is not None:
                self.schedule(lookup_id, record, now)
        if len(self._heap) > 2 * len(self._due) + 64:  # drop stale entries
            self._heap = [(due, n, i) for due, n, i in self._heap if self._due.get(i) == due]
            heapq.heapify(self._heap)

    def next_due(self) -> float | None:
        """The earliest due time, or None when nothing is scheduled."""
        heap = self._heap
        while heap and self._due.get(heap[0][2]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def take_due(
        self, now: float, limit: int, running: Mapping[str, Running], *, ahead: float = 0.0
    ) -> list[str]:
        """Up to ``limit`` lookups due by ``now + ahead``, earliest first; each leaves the plan."""
        taken: list[str] = []
        #: Too young to read yet: pushed back after the loop, since with ``ahead``
        #: their new due time may still be in reach and would be popped forever.
        deferred: list[tuple[str, float]] = []
        heap = self._heap
        lower = self.lower_age()
        while heap and len(taken) < limit:
            due, _, lookup_id = heap[0]
            if due > now + ahead:
                break
            heapq.heappop(heap)
            if self._due.get(lookup_id) != due:
                continue  # replaced by a later schedule
            record = running.get(lookup_id)
            if record is None:
                del self._due[lookup_id]
                continue
            created = record.created
            if created is not None and now - created < lower and self.times.resolved:
                deferred.append((lookup_id, created + lower))  # the model moved up
                continue
            del self._due[lookup_id]
            taken.append(lookup_id)
        for lookup_id, due in deferred:
            self._push(lookup_id, due)
        return taken

    def _push(self, lookup_id: str, due: float) -> None:
        self._due[lookup_id] = due
        heapq.heappush(self._heap, (due, next(self._order), lookup_id))

    # -- learning ------------------------------------------------------------

    def learn(self, record: Running, updated_at: str | None, age: float, status: Status) -> None:
        """A lookup made by this run was found final (``status``) at ``age`` seconds."""
        if status is Status.TIMEOUT:
            # A time set by the API's cap, not the lookup's own: it teaches the
            # cap, and would only widen the model of the lookups that end by
            # themselves (pushing every first read later).
            before = self.cap.read_age()
            self.cap.timed_out_by(age)
            cap = self.cap.read_age()
            if cap is not None and (before is None or cap < before):
                self._stragglers.clear()
                self._cap_moved = True  # the reads due past the cap come sooner
            return
        exact = _seconds_since(updated_at, record.created_wall)
        if exact is not None and 0 < exact <= age + 1.0:
            self.times.observe(None, min(exact, age), exact=True)
        else:
            self.times.observe(record.last_running_age, age)

    def _censored(self, running: Mapping[str, Running]) -> list[float]:
        """Ages of the lookups last read still running, for the fit.

        Once the API is known to cap lookup times, a lookup running far past
        what the model expects is most likely one that will run into the cap:
        it says nothing of the lookups that end by themselves. (Should the
        model be too short instead, those lookups end by themselves later, and
        their answers move it.)
        """
        ages = [r.last_running_age for r in running.values() if r.last_running_age is not None]
        if self.cap.read_age() is None:
            return ages
        beyond = self.times.quantile(_CAPPED_BEYOND)
        return [age for age in ages if age <= beyond]

    def refit(self, running: Mapping[str, Running], now: float) -> None:
        """At the end of a round: fit the model again (at most every second).

        Reschedules when the model or the cap moved.
        """
        if self._cap_moved:
            self._cap_moved = False
            self._reschedule(running, now)
        times = self.times
        if times.resolved == self._fitted or now - self._last_fit < _FIT_EVERY:
            return
        self._last_fit, self._fitted = now, times.resolved
        before = self.first_age()
        times.fit(self._censored(running))
        if abs(self.first_age() / before - 1.0) > 0.05:
            self.replan(running, now)


def _seconds_since(stamp: str | None, wall: float | None) -> float | None:
    """Seconds from ``wall`` (a ``time.time()``) to an ISO-8601 ``stamp``, if both are known."""
    if stamp is None or wall is None:
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp() - wall
    except ValueError:
        return None
