"""Opening the journal's SQLite file: WAL mode, the table, and a wait for another opener.

Two kernels that open a new journal at the same moment race to switch it to WAL.
SQLite answers the loser "database is locked" at once, without waiting on its busy
handler (a change of journal mode does not wait), so the switch is tried again
until the lock timeout, like every other write.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

__all__ = ["connect"]

SCHEMA = """
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

#: Between two tries of the switch to WAL while another process holds the file.
_RETRY_EVERY = 0.01


def connect(path: Path, lock_timeout: float) -> sqlite3.Connection:
    """An open connection to the journal at ``path``, in WAL mode, with its table."""
    # isolation_level=None: transactions are opened explicitly, so a claim can
    # take the write lock before it reads (BEGIN IMMEDIATE).
    db = sqlite3.connect(path, timeout=lock_timeout, isolation_level=None, check_same_thread=False)
    try:
        _switch_to_wal(db, time.monotonic() + lock_timeout)
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(SCHEMA)
    except BaseException:
        db.close()  # closed before a damaged file is moved aside
        raise
    return db


def _switch_to_wal(db: sqlite3.Connection, deadline: float) -> None:
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(_RETRY_EVERY)
