"""When the journal file fails: one clear :class:`JournalError`, and nothing destroyed.

SQLite's and the OS's errors are turned into a message that names the file,
says what happened (damaged, locked by another process, disk full, not
writable) and what to do. A damaged file is moved aside, never overwritten or
deleted, under a name the message gives, so the next run starts a new journal
while what the old one held can still be read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

from .._errors import JournalError

__all__ = ["SQLITE_MAGIC", "journal_error", "looks_like_sqlite", "move_aside"]

#: The first 16 bytes of every SQLite database file.
SQLITE_MAGIC = b"SQLite format 3\x00"

# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 5, 6, 8, 10, 11, 13, 14, 26
_DAMAGED = frozenset({_CORRUPT, _NOTADB})
_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
_SIDE_FILES = ("-wal", "-shm", "-journal")


def looks_like_sqlite(path: Path) -> bool:
    """Whether ``path`` is empty, absent, or starts as a SQLite file (even a cut-short one)."""
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        return True
    except OSError:
        return True  # unreadable: SQLite will say why, and the message will carry it
    return head == SQLITE_MAGIC[: len(head)]


def is_damage(exc: BaseException) -> bool:
    """Whether SQLite found the file's content broken (not a lock, not the disk)."""
    return isinstance(exc, sqlite3.DatabaseError) and _code(exc) in _DAMAGED


def journal_error(
    path: Path, exc: BaseException, *, doing: str, lock_timeout: float, aside: Path | None = None
) -> JournalError:
    """The :class:`JournalError` for ``exc``, met trying to ``doing`` (``"open the journal"``)."""
    where = f"the journal file {str(path)!r}"
    other = "or pass journal= another file (journal='off' runs without one)"
    code = _code(exc)
    if is_damage(exc):
        kept = (
            f"it was moved aside to {str(aside)!r} and nothing in it was deleted"
            if aside is not None
            else "it was already moved aside by another run"
        )
        text = (
            f"{where} is damaged ({exc}); {kept}. Run again to start a new journal "
            f"(profiles recorded only in the damaged file may be sent and paid again), {other}"
        )
    elif code in {_BUSY, _LOCKED}:
        text = (
            f"{where} has been locked by another process for more than {lock_timeout:g} s "
            f"(another notebook or sfy-pandas run writing to it). Let that run finish or "
            f"stop it and run again, {other}"
        )
    elif code in {_FULL, _IOERR} or _errno(exc) in _DISK_FULL_ERRNOS:
        text = (
            f"{where} is on a disk that is full or failing, or it reached a size limit "
            f"({exc}). Free some space and run again, {other}; what the journal already "
            "holds is intact"
        )
    elif code in {_READONLY, _CANTOPEN} or isinstance(exc, PermissionError):
        text = (
            f"{where} or its folder is not writable, or cannot be created ({exc}). "
            f"Check both, {other}"
        )
    else:
        text = f"{where} failed ({type(exc).__name__}: {exc}). Run again, {other}"
    return JournalError(f"journal: cannot {doing}: {text}")


def move_aside(path: Path) -> Path | None:
    """Rename a damaged journal (and its WAL) to a free ``.damaged-<UTC time>`` name.

    Never replaces an existing file. Returns the new name, or ``None`` when
    the file was gone already (another run moved it first).
    """
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 1000):
        suffix = f".damaged-{stamp}" + (f"-{attempt}" if attempt > 1 else "")
        aside = path.with_name(path.name + suffix)
        if any(Path(f"{aside}{side}").exists() for side in ("", *_SIDE_FILES)):
            continue
        try:
            _rename_no_replace(path, aside)
        except FileExistsError:
            continue
        except FileNotFoundError:
            return None
        for side in _SIDE_FILES:
            # The WAL may hold the last commits: it travels with its database.
            with contextlib.suppress(FileNotFoundError):
                _rename_no_replace(Path(f"{path}{side}"), Path(f"{aside}{side}"))
        return aside
    raise FileExistsError(f"no free name to move {str(path)!r} aside")


def _rename_no_replace(source: Path, target: Path) -> None:
    # os.rename silently replaces an existing target on POSIX; a hard link
    # refuses to, so nothing already set aside can be overwritten.
    try:
        os.link(source, target)
    except (NotImplementedError, PermissionError, OSError) as exc:
        if isinstance(exc, (FileExistsError, FileNotFoundError)):
            raise
        if target.exists():  # a file system without hard links
            raise FileExistsError(str(target)) from exc
        source.rename(target)
        return
    source.unlink()


def _code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _errno(exc: BaseException) -> int | None:
    return exc.errno if isinstance(exc, OSError) else None
