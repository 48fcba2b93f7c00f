"""A run's bookkeeping: the running lookups, the stats, and what goes out to the face.

Also the journal writes made after a create, guarded: a journal that fails
there must not end the run (the lookups exist and are still read), so the
failure is counted and said once instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .._errors import JournalError
from .._models import Lookup, Status
from ..journal._journal import Journal, ProfileKey
from ._types import Job, RunStats, Update

__all__ = ["Answers", "RunBook", "Running"]

log = logging.getLogger("sfy_pandas")

#: Updates go out together at most this often (seconds): each batch costs the
#: face a count and a redraw, so one per create was a real share of a run's CPU
#: at hundreds of creates a second, and nobody sees 50 ms.
PUBLISH_EVERY = 0.05


@dataclass(slots=True)
class Running:
    """What the run knows of one lookup the API is still working on."""

    key: ProfileKey
    #: ``time.monotonic()`` and ``time.time()`` when the create answered; None
    #: for a lookup an earlier run created (its age is unknown).
    created: float | None
    created_wall: float | None
    status: Status = Status.PENDING
    #: Its age at the last read that found it still running.
    last_running_age: float | None = None
    reads: int = 0
    missing: int = 0
    #: Read early and often, to learn lookup times (see ``EngineOptions.probes``).
    probe: bool = False

    @property
    def resumed(self) -> bool:
        return self.created is None


@dataclass(slots=True)
class Answers:
    """What one round learned: updates for the face, final answers for the journal."""

    updates: list[Update] = field(default_factory=list)
    resolved: list[tuple[ProfileKey, Lookup]] = field(default_factory=list)

    def send(self, book: RunBook) -> None:
        """Journal the final answers, then hand the updates out."""
        book.record_lookups(self.resolved)
        book.publish(self.updates)


class RunBook:
    """The running lookups, the stats, the warnings and the updates of one engine."""

    def __init__(
        self,
        journal: Journal,
        stats: RunStats,
        emit: Callable[[list[Update]], None],
        warn: Callable[[str], None],
    ) -> None:
        self.journal = journal
        self.stats = stats
        self.running: dict[str, Running] = {}
        self._emit = emit
        self._pending: list[Update] = []
        self._flush_at: asyncio.TimerHandle | None = None
        self._warn = warn
        self._journal_said = False
        #: ``time.monotonic()`` of the newest create answer (for the ETA).
        self.last_created: float | None = None
        #: Told of every lookup that starts running (the reader schedules its reads).
        self.on_running: Callable[[str, Running], None] | None = None

    # -- what goes out --------------------------------------------------------

    def publish(self, updates: list[Update]) -> None:
        """Hand these updates out with the others of the next ``PUBLISH_EVERY`` seconds."""
        if not updates:
            return
        finals = self.stats.finals
        for update in updates:
            if update.status.is_final:
                finals[update.status.value] = finals.get(update.status.value, 0) + 1
        self._pending.extend(updates)
        if self._flush_at is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # no loop to wait on: now
                self.flush()
                return
            self._flush_at = loop.call_later(PUBLISH_EVERY, self.flush)

    def flush(self) -> None:
        """Hand out every update published so far (the engine's last act)."""
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush_at = None
        if self._pending:
            pending, self._pending = self._pending, []
            self._emit(pending)

    def fail(self, key: ProfileKey, message: str, lookup_id: str | None = None) -> None:
        self.stats.errors += 1
        self.publish([Update(key, Status.ERROR, lookup_id, message=message)])

    def mark_not_sent(self, jobs: Sequence[Job], reason: str) -> None:
        if not jobs:
            return
        self.stats.not_sent += len(jobs)
        self.publish([Update(job.key, Status.NOT_SENT, message=reason) for job in jobs])

    def note(self, message: str) -> None:
        """An analyst-facing note: kept in the stats and sent to ``warn``."""
        self.stats.warnings.append(message)
        self._warn(message)

    # -- the running lookups --------------------------------------------------

    def add_running(self, lookup: Lookup, record: Running) -> None:
        self.running[lookup.id] = record
        record.status = lookup.status
        if record.created is not None:
            self.last_created = record.created
        if self.on_running is not None:
            self.on_running(lookup.id, record)

    def resolved(self, lookup_id: str, status: Status | None = None) -> None:
        """Count a lookup that left the running set (its budget is the caller's)."""
        self.running.pop(lookup_id, None)
        if status is Status.COMPLETED:
            self.stats.credits_used += 1

    # -- journal writes that must not end the run ----------------------------

    def record_lookups(self, answers: Sequence[tuple[ProfileKey, Lookup]]) -> bool:
        """Journal these answers; False (and said once) when the journal fails."""
        return self._guarded(lambda: self.journal.record_lookups(answers))

    def forget(self, key: ProfileKey) -> bool:
        return self._guarded(lambda: self.journal.forget(key))

    def release(self, key: ProfileKey, *, maybe_sent: bool) -> bool:
        return self._guarded(lambda: self.journal.release(key, maybe_sent=maybe_sent))

    def _guarded(self, write: Callable[[], None]) -> bool:
        try:
            write()
        except JournalError as exc:
            self.stats.journal_failures += 1
            if not self._journal_said:
                self._journal_said = True
                self.note(
                    f"The journal could not record an answer ({exc}); the run goes on, "
                    "but a rerun may not know of it."
                )
            else:
                log.debug("journal write failed again: %s", exc)
            return False
        return True
