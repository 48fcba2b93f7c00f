"""A SQLite file that remembers every lookup, so a rerun resumes instead of re-paying.

Each profile (base URL x canonical LinkedIn URL x type) has one row that moves
through three states:

``sending``
    The intent to create was recorded *before* the request went out. If the
    process that wrote it is gone, nobody knows whether the API received the
    create (the API has no idempotency key): the row is *in doubt*, and the next
    run sends it again and says so.
``created``
    The API answered with an id; polling resumes from it, never a new create.
``resolved``
    A final answer, reused without a new create unless the caller asks for a
    refresh.

WAL mode with ``synchronous=NORMAL``: a commit survives the process being
killed (only a power cut can lose the last ones), and two kernels can share the
file; claims run in ``BEGIN IMMEDIATE`` transactions so two of them never both
decide to create the same profile. The API key is never written here.
"""

from __future__ import annotations

import contextlib
import enum
import os
import socket
import sqlite3
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._config import JOURNAL_ENV
from .._models import Lookup, Status

__all__ = ["Claim", "ClaimResult", "Entry", "Journal", "ProfileKey", "open_journal"]

#: A profile as the journal and the engine know it: (canonical URL, type).
ProfileKey = tuple[str, str]

#: A claim older than this is in doubt even if its owner's pid looks alive:
#: pids get reused, and no create retries for this long.
CLAIM_LEASE_SECONDS = 15 * 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookups (
    base_url    TEXT NOT NULL,
    profile     TEXT NOT NULL,
    type        TEXT NOT NULL,
    state       TEXT NOT NULL,
    lookup_id   TEXT,
    status      TEXT,
    email       TEXT,
    email_type  TEXT,
    owner       TEXT,
    claimed_at  REAL,
    updated_at  REAL NOT NULL,
    creates     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (base_url, profile, type)
) WITHOUT ROWID;
"""


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


#: Owner tokens of the journals open in this process: a claim made by one of
#: them is alive even though its pid is ours.
_OPEN_OWNERS: set[str] = set()


def _owner_token() -> str:
    """Who claims, precisely enough to tell later whether it is still alive."""
    pid = os.getpid()
    return f"{socket.gethostname()}|{pid}|{_process_start_time(pid)}|{uuid.uuid4().hex}"


def _process_start_time(pid: int) -> str:
    # The start time (in clock ticks since boot) tells a reused pid from the
    # original on Linux; elsewhere the lease bounds how long a reuse can fool us.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def owner_is_alive(owner: str | None, claimed_at: float | None, now: float) -> bool:
    """True when the process that claimed a profile may still be sending it."""
    if owner is None or claimed_at is None or now - claimed_at > CLAIM_LEASE_SECONDS:
        return False
    if owner in _OPEN_OWNERS:
        return True
    try:
        host, pid_text, started, _instance = owner.split("|")
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname():
        return True  # another machine on a shared disk: trust the lease
    if pid == os.getpid():
        return False  # one of ours, and it was closed
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return started in {"?", _process_start_time(pid)}


class Journal:
    """The lookups of one API (base URL), remembered in a SQLite file."""

    def __init__(self, path: str | os.PathLike[str], *, base_url: str) -> None:
        self.path = Path(path)
        self.base_url = base_url
        self._owner = _owner_token()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are opened explicitly, so a claim
        # can take the write lock before it reads (BEGIN IMMEDIATE).
        self._db = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        _OPEN_OWNERS.add(self._owner)

    def __repr__(self) -> str:
        return f"Journal(path={str(self.path)!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        _OPEN_OWNERS.discard(self._owner)
        self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def entries(self, keys: Iterable[ProfileKey]) -> dict[ProfileKey, Entry]:
        """What the journal knows of these profiles (absent ones are left out)."""
        # Each entry keeps the caller's own key: a million profiles read back
        # would otherwise hold a second copy of every URL.
        wanted = {key: key for key in keys}
        if not wanted:
            return {}
        found: dict[ProfileKey, Entry] = {}
        # One scan of this API's rows beats one query per profile once a run
        # has more than a few hundred of them.
        rows = self._db.execute(
            "SELECT profile, type, state, lookup_id, status, email, email_type, owner,"
            " claimed_at, creates FROM lookups WHERE base_url = ?",
            (self.base_url,),
        )
        for row in rows:
            key = wanted.get((row[0], row[1]))
            if key is not None:
                found[key] = _entry(key, row[2:])
        return found

    def entry(self, key: ProfileKey) -> Entry | None:
        row = self._db.execute(
            "SELECT state, lookup_id, status, email, email_type, owner, claimed_at, creates"
            " FROM lookups WHERE base_url = ? AND profile = ? AND type = ?",
            (self.base_url, *key),
        ).fetchone()
        return None if row is None else _entry(key, row)

    def claim(self, key: ProfileKey, *, refresh: bool = False) -> Claim:
        """Record the intent to create ``key``, unless the journal says not to.

        Committed before the request is sent, so a crash after this point
        leaves the profile marked as possibly sent.
        """
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT state, lookup_id, status, email, email_type, owner, claimed_at, creates"
                " FROM lookups WHERE base_url = ? AND profile = ? AND type = ?",
                (self.base_url, *key),
            ).fetchone()
            if row is None:
                db.execute(
                    "INSERT INTO lookups (base_url, profile, type, state, owner, claimed_at,"
                    " updated_at, creates) VALUES (?, ?, ?, 'sending', ?, ?, ?, 1)",
                    (self.base_url, *key, self._owner, now, now),
                )
                return Claim(ClaimResult.SEND, None)
            entry = _entry(key, row)
            if entry.state is State.SENDING:
                if entry.owner != self._owner and owner_is_alive(
                    entry.owner, entry.claimed_at, now
                ):
                    return Claim(ClaimResult.WAIT, entry)
                result = ClaimResult.SEND_IN_DOUBT
            elif entry.state is State.CREATED or (not refresh and entry.status is not None):
                return Claim(ClaimResult.REUSE, entry)
            else:
                result = ClaimResult.SEND
            db.execute(
                "UPDATE lookups SET state = 'sending', owner = ?, claimed_at = ?, updated_at = ?,"
                " creates = creates + 1 WHERE base_url = ? AND profile = ? AND type = ?",
                (self._owner, now, now, self.base_url, *key),
            )
            return Claim(result, entry)

    def record_created(self, key: ProfileKey, lookup: Lookup) -> None:
        """The API answered a create: from now on the profile is polled, never re-sent."""
        self.record_lookups([(key, lookup)])

    def record_lookups(self, updates: Sequence[tuple[ProfileKey, Lookup]]) -> None:
        """Store the latest state of these lookups, in one transaction."""
        if not updates:
            return
        now = time.time()
        with self._write() as db:
            db.executemany(
                "UPDATE lookups SET state = ?, lookup_id = ?, status = ?, email = ?,"
                " email_type = ?, owner = NULL, claimed_at = NULL, updated_at = ?"
                " WHERE base_url = ? AND profile = ? AND type = ?",
                [
                    (
                        State.CREATED.value if lookup.status.is_running else State.RESOLVED.value,
                        lookup.id,
                        lookup.status.value,
                        lookup.email,
                        lookup.email_type,
                        now,
                        self.base_url,
                        *key,
                    )
                    for key, lookup in updates
                ],
            )

    def release(self, key: ProfileKey, *, maybe_sent: bool) -> None:
        """Give up a claim whose create did not get an answer with an id.

        ``maybe_sent=False`` (the API refused it, or it never left): forget the
        intent, so a later run sends it as new. ``maybe_sent=True`` (an answer
        was lost): keep the row in doubt, so a later run re-sends it and counts it.
        """
        with self._write() as db:
            if maybe_sent:
                db.execute(
                    "UPDATE lookups SET owner = NULL, claimed_at = NULL, updated_at = ?"
                    " WHERE base_url = ? AND profile = ? AND type = ? AND state = 'sending'",
                    (time.time(), self.base_url, *key),
                )
            else:
                # A refused refresh keeps its older answer; a refused first create
                # leaves no trace.
                db.execute(
                    "UPDATE lookups SET state = 'resolved', owner = NULL, claimed_at = NULL,"
                    " creates = max(creates - 1, 0)"
                    " WHERE base_url = ? AND profile = ? AND type = ? AND state = 'sending'"
                    " AND status IS NOT NULL",
                    (self.base_url, *key),
                )
                db.execute(
                    "DELETE FROM lookups WHERE base_url = ? AND profile = ? AND type = ?"
                    " AND state = 'sending' AND status IS NULL",
                    (self.base_url, *key),
                )

    def forget(self, key: ProfileKey) -> None:
        """Drop a profile whose lookup the API no longer knows, so it can be sent anew."""
        with self._write() as db:
            db.execute(
                "DELETE FROM lookups WHERE base_url = ? AND profile = ? AND type = ?",
                (self.base_url, *key),
            )


class NullJournal(Journal):
    """``journal="off"``: remembers nothing, so every run sends every profile."""

    def __init__(self, *, base_url: str) -> None:  # there is no file to open
        self.path = Path(os.devnull)
        self.base_url = base_url

    def __repr__(self) -> str:
        return "Journal(off)"

    def close(self) -> None:
        return None

    def entries(self, keys: Iterable[ProfileKey]) -> dict[ProfileKey, Entry]:
        return {}

    def entry(self, key: ProfileKey) -> Entry | None:
        return None

    def claim(self, key: ProfileKey, *, refresh: bool = False) -> Claim:
        return Claim(ClaimResult.SEND, None)

    def record_lookups(self, updates: Sequence[tuple[ProfileKey, Lookup]]) -> None:
        return None

    def release(self, key: ProfileKey, *, maybe_sent: bool) -> None:
        return None

    def forget(self, key: ProfileKey) -> None:
        return None


def _entry(key: ProfileKey, row: Sequence[object]) -> Entry:
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


def default_journal_path() -> Path:
    """The journal file when neither ``journal=`` nor ``SALESFINITY_JOURNAL`` names one."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sfy-pandas")) / "journal.sqlite3"


def open_journal(journal: str | os.PathLike[str] | None, *, base_url: str) -> Journal:
    """The journal chosen by ``journal=`` > ``SALESFINITY_JOURNAL`` > the user cache dir.

    ``"off"`` (either way) gives a journal that remembers nothing.
    """
    if journal is not None and not isinstance(journal, (str, os.PathLike)):
        raise TypeError(f"journal must be a path or 'off', not {type(journal).__name__}")
    chosen = journal if journal is not None else os.environ.get(JOURNAL_ENV) or None
    if chosen is not None and str(chosen).strip().lower() == "off":
        return NullJournal(base_url=base_url)
    path = Path(chosen) if chosen is not None else default_journal_path()
    try:
        return Journal(path, base_url=base_url)
    except (OSError, sqlite3.Error) as exc:
        raise ValueError(
            f"journal: cannot open {str(path)!r} as a journal ({exc}); "
            "pass another path, or journal='off' to run without one"
        ) from exc
