"""The simulator's lookups and books in a file, so a rerun finds what it created.

The bundled simulator (``base_url="simulator"``) is started anew by every kernel
and every CLI run. Without a file, each one knew none of the lookups created
before it, so a rerun created and paid for everything again: not how the real
API behaves. With one, every simulator that opens the same file knows every
lookup any of them created, in this process or another.

SQLite, because several processes may serve from the same file at once. Each
create is one row; rows are written in one transaction per quarter second (a
transaction per row cost about a millisecond a create), and before any read of
the file, and at exit. Losing the last rows to a crash costs a re-create, never
a wrong answer. A settled lookup is marked, so a later simulator knows it was
already charged.
"""

from __future__ import annotations

import atexit
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

from ._outcomes import ExpectedOutcome

__all__ = ["StateFile", "StoredLookup"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lookups (
    id TEXT PRIMARY KEY,
    nth INTEGER NOT NULL,
    linkedin_url TEXT NOT NULL,
    external_id TEXT,
    created_wall REAL NOT NULL,
    outcome TEXT NOT NULL,  -- [profile, type, status, email, pending_s, resolve_s]
    settled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

#: Longest time a create waits in memory before it is written to the file.
FLUSH_SECONDS = 0.25
#: Most creates written in one transaction.
FLUSH_ROWS = 1000

#: (id, nth, linkedin_url, external_id, created_wall, outcome, settled)
StoredLookup = tuple[str, int, str, str | None, float, ExpectedOutcome, bool]


class StateFile:
    """One SQLite file holding every lookup a simulator created, and whether it settled."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # The server thread writes, a test reads the ledger from another: one
        # connection, guarded here (the store's own lock is held around most calls).
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self._added: list[tuple[object, ...]] = []
        self._settled: list[tuple[str]] = []
        self._flushed_at = time.monotonic()
        atexit.register(self.flush)
        # A quiet simulator still writes its last creates: another process may ask.
        self._closed = threading.Event()
        threading.Thread(
            target=self._flush_while_open, name="sfy-simulator-state", daemon=True
        ).start()

    def _flush_while_open(self) -> None:
        while not self._closed.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except sqlite3.Error:  # closed under us, or a full disk: the next write says
                return

    def id_middle(self, fresh: str) -> str:
        """The random middle of this file's ids: kept, so ids stay unique across processes."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('id_middle', ?)", (fresh,))
            row = self._db.execute("SELECT value FROM meta WHERE name = 'id_middle'").fetchone()
        return str(row[0])

    def load(self) -> list[StoredLookup]:
        """Every lookup in the file, oldest first."""
        with self._lock:
            self._flush_locked()
            rows = self._db.execute(
                "SELECT id, nth, linkedin_url, external_id, created_wall, outcome, settled "
                "FROM lookups ORDER BY created_wall"
            ).fetchall()
        return [_stored(row) for row in rows]

    def find(self, lookup_id: str) -> StoredLookup | None:
        """One lookup another process may have created since this one loaded the file."""
        with self._lock:
            self._flush_locked()
            row = self._db.execute(
                "SELECT id, nth, linkedin_url, external_id, created_wall, outcome, settled "
                "FROM lookups WHERE id = ?",
                (lookup_id,),
            ).fetchone()
        return None if row is None else _stored(row)

    def add(
        self,
        lookup_id: str,
        *,
        nth: int,
        linkedin_url: str,
        external_id: str | None,
        created_wall: float,
        outcome: ExpectedOutcome,
    ) -> None:
        """Write down a lookup just created (within :data:`FLUSH_SECONDS`)."""
        # A list, not asdict(): asdict deep-copies, and cost most of a create.
        fields = [
            outcome.profile,
            outcome.type,
            outcome.status,
            outcome.email,
            outcome.pending_seconds,
            outcome.resolve_seconds,
        ]
        row = (lookup_id, nth, linkedin_url, external_id, created_wall, json.dumps(fields))
        with self._lock:
            self._added.append(row)
            self._maybe_flush_locked()

    def settle(self, lookup_id: str) -> None:
        """Mark a lookup settled: a simulator that loads the file later does not charge it."""
        with self._lock:
            self._settled.append((lookup_id,))
            self._maybe_flush_locked()

    def flush(self) -> None:
        """Write what waits in memory now."""
        with self._lock:
            self._flush_locked()

    def _maybe_flush_locked(self) -> None:
        waiting = len(self._added) + len(self._settled)
        if waiting >= FLUSH_ROWS or time.monotonic() - self._flushed_at >= FLUSH_SECONDS:
            self._flush_locked()

    def _flush_locked(self) -> None:
        self._flushed_at = time.monotonic()
        if not (self._added or self._settled):
            return
        added, settled = self._added, self._settled
        self._added, self._settled = [], []
        with self._db:  # one transaction
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT OR REPLACE INTO lookups VALUES (?, ?, ?, ?, ?, ?, 0)", added
            )
            self._db.executemany("UPDATE lookups SET settled = 1 WHERE id = ?", settled)

    def charged(self) -> int:
        """Credits charged by every simulator that used this file."""
        with self._lock:
            self._flush_locked()
            row = self._db.execute(
                "SELECT COUNT(*) FROM lookups WHERE settled = 1 "
                "AND json_extract(outcome, '$[2]') = 'completed'"
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Write what waits, and close the file."""
        atexit.unregister(self.flush)
        self._closed.set()
        with self._lock:
            self._flush_locked()
            self._db.close()


def _stored(row: tuple[object, ...]) -> StoredLookup:
    lookup_id, nth, url, external_id, created_wall, outcome, settled = row
    return (
        str(lookup_id),
        int(str(nth)),
        str(url),
        None if external_id is None else str(external_id),
        float(str(created_wall)),
        ExpectedOutcome(*json.loads(str(outcome))),
        bool(settled),
    )
