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

Every failure of the file (damaged, locked by another process for too long,
disk full, not writable) is raised as one :class:`~sfy_pandas.JournalError`
that names the file and says what to do; a damaged file is moved aside, never
overwritten (see ``_damage``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from .._config import JOURNAL_ENV
from .._errors import JournalError
from .._models import Lookup
from ._damage import is_damage, journal_error, looks_like_sqlite, move_aside
from ._entries import Claim, ClaimResult, Entry, ProfileKey, State, entry_from_row, read_entries
from ._file import connect
from ._owners import OPEN_OWNERS, new_owner_token, owner_is_alive

__all__ = [
    "DEFAULT_LOCK_TIMEOUT",
    "Claim",
    "ClaimResult",
    "Entry",
    "Journal",
    "NullJournal",
    "ProfileKey",
    "State",
    "open_journal",
    "owner_is_alive",
]

#: How long a write waits for another process's lock before giving up: long
#: enough for another run's burst of writes, short enough not to hang a notebook.
DEFAULT_LOCK_TIMEOUT = 30.0

_RECORD_ANSWER = (
    "UPDATE lookups SET state = ?, lookup_id = ?, status = ?, email = ?, email_type = ?,"
    " owner = NULL, claimed_at = NULL, updated_at = ?"
    " WHERE base_url = ? AND profile = ? AND type = ?"
)


class Journal:
    """The lookups of one API (base URL), remembered in a SQLite file.

    Every method raises :class:`~sfy_pandas.JournalError` (never ``sqlite3`` or
    ``OSError``) when the file fails; after a damaged file was moved aside,
    every later call raises the same error.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        base_url: str,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.path = Path(path)
        self.base_url = base_url
        self.lock_timeout = lock_timeout
        self._owner = new_owner_token()
        self._failed: JournalError | None = None
        if not looks_like_sqlite(self.path):
            raise ValueError(
                f"journal: {str(self.path)!r} is not a journal file (not a SQLite database); "
                "pass another path, or journal='off' to run without one"
            )
        self._db = self._connect()
        OPEN_OWNERS.add(self._owner)

    def _connect(self) -> sqlite3.Connection:
        with self._guarded("open the journal"):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return connect(self.path, self.lock_timeout)

    def __repr__(self) -> str:
        return f"Journal(path={str(self.path)!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        OPEN_OWNERS.discard(self._owner)
        if self._failed is None:
            with self._guarded("close the journal"):
                self._db.close()

    @contextlib.contextmanager
    def _guarded(self, doing: str) -> Iterator[None]:
        """Turn the file's failures into one JournalError saying what could not be done."""
        if self._failed is not None:
            raise self._failed
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            raise self._failure(exc, doing) from exc

    def _failure(self, exc: sqlite3.Error | OSError, doing: str) -> JournalError:
        if not is_damage(exc):
            return journal_error(self.path, exc, doing=doing, lock_timeout=self.lock_timeout)
        # Damaged: stop using the file, and keep it whole under another name.
        if hasattr(self, "_db"):
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
        try:
            aside = move_aside(self.path)
        except OSError as move_exc:
            self._failed = JournalError(
                f"journal: cannot {doing}: the journal file {str(self.path)!r} is damaged "
                f"({exc}) and could not be moved aside ({move_exc}); move or rename it "
                "yourself and run again"
            )
        else:
            self._failed = journal_error(
                self.path, exc, doing=doing, lock_timeout=self.lock_timeout, aside=aside
            )
        return self._failed

    def _execute(self, doing: str, sql: str, params: Sequence[object]) -> int:
        """One statement in a transaction of its own; how many rows it changed.

        Without the two context managers of :meth:`_write`: this runs twice per
        create, where their cost is a real share of the client's CPU.
        """
        if self._failed is not None:
            raise self._failed
        try:
            return self._db.execute(sql, params).rowcount
        except (sqlite3.Error, OSError) as exc:
            raise self._failure(exc, doing) from exc

    @contextlib.contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._guarded(doing):
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                # A failed COMMIT (disk full) leaves the transaction open.
                if db.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        db.execute("ROLLBACK")
                raise

    def entries(self, keys: Iterable[ProfileKey]) -> dict[ProfileKey, Entry]:
        """What the journal knows of these profiles (absent ones are left out).

        Each found by its key, 500 to a statement: a rerun reads its profiles a
        chunk at a time, and a few profiles waiting on another process are found
        without a scan of every row. Each entry keeps the caller's own key.
        """
        with self._guarded("read the journal"):
            return read_entries(self._db, self.base_url, list(keys))

    def entry(self, key: ProfileKey) -> Entry | None:
        with self._guarded("read the journal"):
            row = self._db.execute(
                "SELECT state, lookup_id, status, email, email_type, owner, claimed_at, creates"
                " FROM lookups WHERE base_url = ? AND profile = ? AND type = ?",
                (self.base_url, *key),
            ).fetchone()
        return None if row is None else entry_from_row(key, row)

    def claim(self, key: ProfileKey, *, refresh: bool = False) -> Claim:
        """Record the intent to create ``key``, unless the journal says not to.

        Committed before the request is sent, so a crash after this point
        leaves the profile marked as possibly sent.
        """
        now = time.time()
        # A profile never seen (every one, on a first run) takes one statement,
        # its own transaction; one the journal knows takes the full check.
        if self._execute(
            "record a create before sending it",
            "INSERT INTO lookups (base_url, profile, type, state, owner, claimed_at, updated_at,"
            " creates) VALUES (?, ?, ?, 'sending', ?, ?, ?, 1) ON CONFLICT DO NOTHING",
            (self.base_url, *key, self._owner, now, now),
        ):
            return Claim(ClaimResult.SEND, None)
        with self._write("record a create before sending it") as db:
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
            entry = entry_from_row(key, row)
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
        rows = [self._answer_row(key, lookup, now) for key, lookup in updates]
        if len(rows) == 1:  # one statement is its own transaction
            self._execute("record the API's answers", _RECORD_ANSWER, rows[0])
            return
        with self._write("record the API's answers") as db:
            db.executemany(_RECORD_ANSWER, rows)

    def _answer_row(self, key: ProfileKey, lookup: Lookup, now: float) -> tuple[object, ...]:
        state = State.CREATED if lookup.status.is_running else State.RESOLVED
        return (
            state.value,
            lookup.id,
            lookup.status.value,
            lookup.email,
            lookup.email_type,
            now,
            self.base_url,
            *key,
        )

    def release(self, key: ProfileKey, *, maybe_sent: bool) -> None:
        """Give up a claim whose create did not get an answer with an id.

        ``maybe_sent=False`` (the API refused it, or it never left): forget the
        intent, so a later run sends it as new. ``maybe_sent=True`` (an answer
        was lost): keep the row in doubt, so a later run re-sends it and counts it.
        """
        with self._write("release a claim") as db:
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
        with self._write("forget a lookup") as db:
            db.execute(
                "DELETE FROM lookups WHERE base_url = ? AND profile = ? AND type = ?",
                (self.base_url, *key),
            )


class NullJournal(Journal):
    """``journal="off"``: remembers nothing, so every run sends every profile."""

    def __init__(self, *, base_url: str) -> None:  # there is no file to open
        self.path = Path(os.devnull)
        self.base_url = base_url
        self.lock_timeout = 0.0

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


def default_journal_path() -> Path:
    """The journal file when neither ``journal=`` nor ``SALESFINITY_JOURNAL`` names one."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sfy-pandas")) / "journal.sqlite3"


def open_journal(
    journal: str | os.PathLike[str] | None,
    *,
    base_url: str,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> Journal:
    """The journal chosen by ``journal=`` > ``SALESFINITY_JOURNAL`` > the user cache dir.

    ``"off"`` (either way) gives a journal that remembers nothing. Raises
    ``ValueError`` for a file that is not a journal at all, and
    :class:`~sfy_pandas.JournalError` for one that cannot be opened.
    """
    if journal is not None and not isinstance(journal, (str, os.PathLike)):
        raise TypeError(f"journal must be a path or 'off', not {type(journal).__name__}")
    chosen = journal if journal is not None else os.environ.get(JOURNAL_ENV) or None
    if chosen is not None and str(chosen).strip().lower() == "off":
        return NullJournal(base_url=base_url)
    path = Path(chosen) if chosen is not None else default_journal_path()
    return Journal(path, base_url=base_url, lock_timeout=lock_timeout)
