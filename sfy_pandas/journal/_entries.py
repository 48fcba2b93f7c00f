"""What the journal holds of one profile, and what a claim tells the engine to do."""

from __future__ import annotations

import enum
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .._models import Lookup, Status

__all__ = [
    "Claim",
    "ClaimResult",
    "Entry",
    "ProfileKey",
    "State",
    "entry_from_row",
    "read_entries",
]

#: A profile as the journal and the engine know it: (canonical URL, type).
ProfileKey = tuple[str, str]


class State(str, enum.Enum):
    SENDING = "sending"
    CREATED = "created"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Entry:
    """What the journal knows of one profile."""

    key: ProfileKey
    state: State
    lookup_id: str | None
    status: Status | None
    email: str | None
    email_type: str | None
    owner: str | None
    claimed_at: float | None
    creates: int

    def as_lookup(self) -> Lookup | None:
        """The last known state of the lookup, when there is one."""
        if self.lookup_id is None or self.status is None:
            return None
        return Lookup(
            id=self.lookup_id,
            status=self.status,
            linkedin_url=self.key[0],
            email=self.email,
            email_type=self.email_type,
        )


class ClaimResult(str, enum.Enum):
    """What a claim tells the engine to do with a profile."""

    SEND = "send"  # nobody ever sent it: create it
    SEND_IN_DOUBT = "send-in-doubt"  # sent by a process that died unanswered: create again
    REUSE = "reuse"  # an id or a result exists: poll or reuse it
    WAIT = "wait"  # another live process is creating it right now


@dataclass(frozen=True, slots=True)
class Claim:
    result: ClaimResult
    entry: Entry | None


def entry_from_row(key: ProfileKey, row: Sequence[object]) -> Entry:
    state, lookup_id, status, email, email_type, owner, claimed_at, creates = row
    return Entry(
        key=key,
        state=State(str(state)),
        lookup_id=lookup_id if isinstance(lookup_id, str) else None,
        status=Status(status) if isinstance(status, str) else None,
        email=email if isinstance(email, str) else None,
        # Interned: "work" or "personal" on every row, one object each.
        email_type=sys.intern(email_type) if isinstance(email_type, str) else None,
        owner=owner if isinstance(owner, str) else None,
        claimed_at=float(claimed_at) if isinstance(claimed_at, (int, float)) else None,
        creates=int(creates) if isinstance(creates, int) else 0,
    )


#: Profiles asked for in one statement: under the 999 parameters old SQLite builds allow.
_PER_STATEMENT = 500
_SELECT = (
    "SELECT profile, state, lookup_id, status, email, email_type, owner, claimed_at, creates"
    " FROM lookups WHERE base_url = ? AND type = ? AND profile IN ({})"
)


def read_entries(
    db: sqlite3.Connection, base_url: str, keys: Sequence[ProfileKey]
) -> dict[ProfileKey, Entry]:
    """What the journal knows of these profiles, each found by its key (absent ones left out).

    For a chunk of a run: one index seek per profile, so a rerun over a million
    profiles reads them a chunk at a time instead of all at once.
    """
    by_type: dict[str, dict[str, ProfileKey]] = {}
    for key in keys:
        by_type.setdefault(key[1], {})[key[0]] = key
    found: dict[ProfileKey, Entry] = {}
    for kind, wanted in by_type.items():
        profiles = list(wanted)
        for start in range(0, len(profiles), _PER_STATEMENT):
            part = profiles[start : start + _PER_STATEMENT]
            marks = ", ".join("?" * len(part))  # only placeholders go into the text
            rows = db.execute(_SELECT.format(marks), (base_url, kind, *part))
            for row in rows:
                key = wanted[row[0]]
                found[key] = entry_from_row(key, row[1:])
    return found
