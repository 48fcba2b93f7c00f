"""The simulator's lookups and books in a file, so a rerun finds what it created.

The bundled simulator (``base_url="simulator"``) is started anew by every kernel
and every CLI run. Without a file, each one knew none of the lookups created
before it, so a rerun created and paid for everything again: not how the real
API behaves. With one, every simulator that opens the same file knows every
lookup any of them created, in this process or another.

SQLite, because several processes may serve from the same file at once: each
create is one row, written as it happens (WAL, no fsync per row: losing the last
rows to a power cut costs a re-create, never a wrong answer). A lookup is charged
by the one process whose ``UPDATE ... WHERE settled = 0`` marks it settled, so
two processes holding it never charge it twice.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import asdict
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
    outcome TEXT NOT NULL,
    settled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

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

    def id_middle(self, fresh: str) -> str:
        """The random middle of this file's ids: kept, so ids stay unique across processes."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('id_middle', ?)", (fresh,))
            row = self._db.execute("SELECT value FROM meta WHERE name = 'id_middle'").fetchone()
        return str(row[0])

    def load(self) -> list[StoredLookup]:
        """Every lookup in the file, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, nth, linkedin_url, external_id, created_wall, outcome, settled "
                "FROM lookups ORDER BY created_wall"
            ).fetchall()
        return [_stored(row) for row in rows]

    def find(self, lookup_id: str) -> StoredLookup | None:
        """One lookup another process may have created since this one loaded the file."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, nth, linkedin_url, external_id, created_wall, outcome, settled "
                "FROM lookups WHERE id = ?",
                (lookup_id,),
            ).fetchone()
        return None if row is None else _stored(row)

    def created_count(self, profile_url: str, type: str) -> int:
        """Lookups already made for this profile and type, by any process."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM lookups WHERE json_extract(outcome, '$.profile') = ? "
                "AND json_extract(outcome, '$.type') = ?",
                (profile_url, type),
            ).fetchone()
        return int(row[0])

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
        """Write down a lookup just created."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO lookups VALUES (?, ?, ?, ?, ?, ?, 0)",
                (
                    lookup_id,
                    nth,
                    linkedin_url,
                    external_id,
                    created_wall,
                    json.dumps(asdict(outcome)),
                ),
            )

    def settle(self, lookup_id: str) -> bool:
        """Mark a lookup settled; True only for the one caller that did it first."""
        with self._lock:
            cursor = self._db.execute(
                "UPDATE lookups SET settled = 1 WHERE id = ? AND settled = 0", (lookup_id,)
            )
        return cursor.rowcount == 1

    def charged(self) -> int:
        """Credits charged by every simulator that used this file."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM lookups WHERE settled = 1 "
                "AND json_extract(outcome, '$.status') = 'completed'"
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _stored(row: tuple[object, ...]) -> StoredLookup:
    lookup_id, nth, url, external_id, created_wall, outcome, settled = row
    return (
        str(lookup_id),
        int(str(nth)),
        str(url),
        None if external_id is None else str(external_id),
        float(str(created_wall)),
        ExpectedOutcome(**json.loads(str(outcome))),
        bool(settled),
    )
