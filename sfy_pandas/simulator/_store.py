"""The lookups the simulator holds, their status at any instant, and the books.

A lookup's status is a function of the time since it was created, computed when
it is read; nothing runs in the background. Each lookup also waits in a heap
ordered by its resolve time, and :meth:`LookupStore.settle` moves every lookup
whose time has come into the ledger (and charges the completed ones) exactly
once. Every read settles first, so the books never lag what a client can see.

One lock guards everything: the server runs on its own thread while a test
reads the ledger from another.

With ``state_file`` set in the config, every lookup is also written to that file
(see :mod:`._persist`), and a store opened on it later, in this process or
another, knows every lookup created before: it answers their ids, and settles
and charges each of them once.
"""

from __future__ import annotations

import heapq
import json
import secrets
import threading
import time
from datetime import datetime, timezone

from ._config import SimulatorConfig
from ._ledger import Ledger, LedgerBook
from ._outcomes import ExpectedOutcome, draw_outcome
from ._persist import StateFile, StoredLookup
from ._validation import CreateRequest

__all__ = ["LookupRecord", "LookupStore"]

PENDING, PROCESSING, RESOLVED = 0, 1, 2


class LookupRecord:
    """One lookup: what was asked, how it will end, and its answers, rendered once each."""

    __slots__ = (
        "_rendered",
        "callback_url",
        "created_monotonic",
        "created_wall",
        "external_id",
        "id",
        "linkedin_url",
        "nth",
        "outcome",
        "processing_at",
        "resolved_at",
    )

    def __init__(
        self,
        lookup_id: str,
        request: CreateRequest,
        outcome: ExpectedOutcome,
        *,
        created_monotonic: float,
        created_wall: float,
        nth: int,
    ) -> None:
        self.id = lookup_id
        #: 1 for the first lookup of this profile and type, 2 for the second ...
        self.nth = nth
        self.linkedin_url = request.linkedin_url
        self.outcome = outcome
        self.external_id = request.external_id
        self.callback_url = request.callback_url
        self.created_monotonic = created_monotonic
        self.created_wall = created_wall
        self.processing_at = created_monotonic + outcome.pending_seconds
        self.resolved_at = created_monotonic + outcome.resolve_seconds
        # JSON bytes per (phase, batch form): a lookup has three states, so it is
        # serialised at most six times however often it is polled.
        self._rendered: list[bytes | None] = [None] * 6

    @classmethod
    def restored(cls, stored: StoredLookup, *, now: float, wall: float) -> LookupRecord:
        """A lookup read back from a state file, on this process's monotonic clock."""
        lookup_id, nth, url, external_id, created_wall, outcome, _ = stored
        request = CreateRequest(url, "", outcome.type, external_id, None)
        created = now - (wall - created_wall)
        return cls(
            lookup_id,
            request,
            outcome,
            created_monotonic=created,
            created_wall=created_wall,
            nth=nth,
        )

    def phase(self, now: float) -> int:
        """PENDING, PROCESSING or RESOLVED at monotonic time ``now``."""
        if now >= self.resolved_at:
            return RESOLVED
        if now >= self.processing_at:
            return PROCESSING
        return PENDING

    def render(self, phase: int, *, batch: bool = False) -> bytes:
        """The section-2 object in ``phase``; with ``batch``, plus dataFound and updatedAt."""
        slot = phase * 2 + batch
        rendered = self._rendered[slot]
        if rendered is None:
            rendered = self._rendered[slot] = self._serialise(phase, batch)
        return rendered

    def _serialise(self, phase: int, batch: bool) -> bytes:
        outcome = self.outcome
        status = ("pending", "processing", outcome.status)[phase]
        body: dict[str, object] = {"_id": self.id, "status": status}
        if phase == RESOLVED:
            body["enrichment_type"] = outcome.enrichment_type
            body["email"] = (
                {"email": outcome.email, "type": outcome.type} if outcome.email else None
            )
        body["linkedin_url"] = self.linkedin_url
        if self.external_id is not None:
            body["external_id"] = self.external_id
        if batch:
            body["dataFound"] = None if phase != RESOLVED else status == "completed"
            offset = (0.0, outcome.pending_seconds, outcome.resolve_seconds)[phase]
            body["updatedAt"] = _iso_utc(self.created_wall + offset)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class LookupStore:
    """All lookups of one simulator, with the ledger; every method takes the lock."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._book = LedgerBook(balance=config.balance)
        self._lookups: dict[str, LookupRecord] = {}
        self._unsettled: list[tuple[float, str, LookupRecord]] = []
        self._outcomes: dict[tuple[str, str], ExpectedOutcome] = {}
        # ObjectId layout: 4-byte time, 5 random bytes, 3-byte counter. The random
        # part differs per simulator, so an id kept from another run is unknown here.
        self._id_middle = secrets.token_hex(5)
        self._counter = secrets.randbelow(1 << 24)
        self._state: StateFile | None = None
        if config.state_file is not None:
            self._state = StateFile(config.state_file)
            self._id_middle = self._state.id_middle(self._id_middle)
            self._restore(self._state.load())

    def _restore(self, stored: list[StoredLookup]) -> None:
        """Take in the lookups of a state file: the settled ones go straight to the books."""
        now, wall = time.monotonic(), time.time()
        book = self._book
        for entry in stored:
            record = LookupRecord.restored(entry, now=now, wall=wall)
            self._remember(record, settled=entry[6])
            book.created[(record.outcome.profile, record.outcome.type)] += 1

    def _remember(self, record: LookupRecord, *, settled: bool) -> None:
        self._lookups[record.id] = record
        if not settled:
            heapq.heappush(self._unsettled, (record.resolved_at, record.id, record))
            return
        status = record.outcome.status
        self._book.outcomes[status] += 1
        if status == "completed":
            self._book.charge(record.id)

    def close(self) -> None:
        """Close the state file, if any (the store keeps answering from memory)."""
        if self._state is not None:
            self._state.close()
            self._state = None

    def outcome(self, handle: str, type: str) -> ExpectedOutcome:
        """The (cached) outcome of a validated handle and type."""
        key = (handle, type)
        outcome = self._outcomes.get(key)
        if outcome is None:
            outcome = self._outcomes[key] = draw_outcome(self._config, handle, type)
        return outcome

    def create(self, request: CreateRequest, now: float) -> LookupRecord | None:
        """Make a lookup; ``None`` when the balance is not positive (a 402)."""
        outcome = self.outcome(request.handle, request.type)
        wall = time.time()
        with self._lock:
            self._settle(now)
            book = self._book
            if book.balance - book.credits_charged <= 0:
                return None
            self._counter = (self._counter + 1) & 0xFFFFFF
            lookup_id = f"{int(wall) & 0xFFFFFFFF:08x}{self._id_middle}{self._counter:06x}"
            key = (outcome.profile, request.type)
            book.created[key] += 1
            record = LookupRecord(
                lookup_id,
                request,
                outcome,
                created_monotonic=now,
                created_wall=wall,
                nth=book.created[key],
            )
            self._lookups[lookup_id] = record
            # The id breaks ties between equal times: records themselves do not compare.
            heapq.heappush(self._unsettled, (record.resolved_at, lookup_id, record))
            if self._state is not None:
                self._state.add(
                    lookup_id,
                    nth=record.nth,
                    linkedin_url=record.linkedin_url,
                    external_id=record.external_id,
                    created_wall=wall,
                    outcome=outcome,
                )
        return record

    def _known(self, lookup_id: str) -> LookupRecord | None:
        """The lookup with this id, looking in the state file for one made elsewhere."""
        record = self._lookups.get(lookup_id)
        if record is None and self._state is not None:
            stored = self._state.find(lookup_id)
            if stored is not None:
                record = LookupRecord.restored(stored, now=time.monotonic(), wall=time.time())
                self._remember(record, settled=stored[6])
        return record

    def read(self, lookup_id: str, now: float) -> bytes | None:
        """One lookup's section-2 body at ``now``, or ``None`` when the id is unknown."""
        with self._lock:
            self._settle(now)
            record = self._known(lookup_id)
        return None if record is None else record.render(record.phase(now))

    def read_many(self, lookup_ids: list[str], now: float) -> list[bytes]:
        """Batch-form bodies of the known ids at ``now``; unknown ids are left out."""
        found = []
        with self._lock:
            self._settle(now)
            self._book.batch_sizes.append(len(lookup_ids))
            lookups = self._lookups
            for lookup_id in lookup_ids:
                record = lookups.get(lookup_id) or self._known(lookup_id)
                if record is not None:
                    found.append(record.render(record.phase(now), batch=True))
        return found

    def balance(self, now: float) -> int:
        """Credits left at ``now``."""
        with self._lock:
            self._settle(now)
            return self._book.balance - self._book.credits_charged

    def ledger(self) -> Ledger:
        """A snapshot of the books, with every lookup that has resolved by now settled."""
        with self._lock:
            self._settle(time.monotonic())
            return self._book.snapshot()

    def count_request(self, route: str) -> None:
        with self._lock:
            self._book.requests[route] += 1

    def count_response(self, status: int) -> None:
        with self._lock:
            self._book.responses[status] += 1

    def count_fault(self, kind: str) -> None:
        with self._lock:
            self._book.faults[kind] += 1

    def count_lost(self, lookup_id: str) -> None:
        with self._lock:
            self._book.lost_ids.append(lookup_id)

    def count_callback(self, *, delivered: bool) -> None:
        with self._lock:
            self._book.callback_attempts += 1
            self._book.callbacks_delivered += delivered

    def count_callback_duplicated(self) -> None:
        with self._lock:
            self._book.callbacks_duplicated += 1

    def count_callback_abandoned(self) -> None:
        with self._lock:
            self._book.callbacks_abandoned += 1

    def _settle(self, now: float) -> None:
        # Each record is pushed once at creation and popped once here, which is
        # what makes a completed lookup cost exactly one credit.
        unsettled = self._unsettled
        book = self._book
        while unsettled and unsettled[0][0] <= now:
            record = heapq.heappop(unsettled)[2]
            status = record.outcome.status
            book.outcomes[status] += 1
            if status == "completed":
                book.charge(record.id)
            if self._state is not None:
                self._state.settle(record.id)


def _iso_utc(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
