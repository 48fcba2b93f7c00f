"""A journal file that is damaged, locked, or on a full disk: a clear error, nothing lost.

Each failure is a ``JournalError`` that names the file and says what to do; the
engine's calls (claim, record, release, read) raise it, never sqlite3 or OSError,
so a run can refuse to send creates it could not record. A damaged file is moved
aside under the name the message gives, and never overwritten.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfy_pandas import JournalError
from sfy_pandas._models import Lookup, Status
from sfy_pandas.journal import Journal, open_journal
from sfy_pandas.journal._journal import ProfileKey

BASE = "http://sim"
KEPT = [(f"https://www.linkedin.com/in/kept-{n}", "work") for n in range(300)]
NEW = ("https://www.linkedin.com/in/new-person", "work")


def lookup(n: int, key: ProfileKey) -> Lookup:
    return Lookup(
        id=f"{n:024x}",
        status=Status.COMPLETED,
        linkedin_url=key[0],
        email=f"kept{n}@example.com",
        email_type="work",
    )


def write_journal(path: Path) -> Path:
    """A closed journal holding 300 resolved lookups."""
    journal = Journal(path, base_url=BASE)
    for key in KEPT:
        journal.claim(key)
    journal.record_lookups([(key, lookup(n, key)) for n, key in enumerate(KEPT)])
    journal.close()
    assert not Path(f"{path}-wal").exists()  # checkpointed: everything is in the file
    return path


@pytest.fixture
def written(tmp_path: Path) -> Path:
    return write_journal(tmp_path / "journal.sqlite3")


def aside_named_in(message: str) -> Path:
    found = re.search(r"moved aside to '([^']+)'", message)
    assert found, message
    return Path(found.group(1))


def emails_in(path: Path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return {row[0] for row in db.execute("SELECT email FROM lookups WHERE email IS NOT NULL")}
    finally:
        db.close()


# --- damaged files -------------------------------------------------------------------


def open_and_read(path: Path) -> None:
    """What a run does first: open the journal, then read what it holds.

    A ruined header is found out on opening, a cut-short file on the first read.
    """
    Journal(path, base_url=BASE).entries(KEPT)


def truncate(path: Path) -> None:
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)


def scribble(path: Path) -> None:
    """Overwrite every page but the first with garbage, as a bad sector would."""
    with path.open("r+b") as file:
        file.seek(4096)
        file.write(b"\xde\xad\xbe\xef" * ((path.stat().st_size - 4096) // 4))


def break_header(path: Path) -> None:
    """Keep the magic string but ruin the rest of the header."""
    with path.open("r+b") as file:
        file.seek(16)
        file.write(b"\xff" * 84)


@pytest.mark.parametrize("damage", [truncate, scribble, break_header])
def test_a_damaged_journal_is_moved_aside_whole_and_the_error_says_where(
    written: Path, damage: object
) -> None:
    damage(written)  # type: ignore[operator]
    damaged_bytes = written.read_bytes()
    with pytest.raises(JournalError) as raised:
        open_and_read(written)
    message = str(raised.value)
    assert str(written) in message
    assert "damaged" in message
    assert "Run again" in message
    aside = aside_named_in(message)
    assert aside.read_bytes() == damaged_bytes  # kept byte for byte
    assert not written.exists()


def test_after_a_damaged_journal_the_next_run_starts_a_new_one(written: Path) -> None:
    truncate(written)
    with pytest.raises(JournalError):
        open_and_read(written)
    fresh = Journal(written, base_url=BASE)
    assert fresh.entries(KEPT) == {}
    assert fresh.claim(NEW).result.value == "send"
    fresh.close()


def test_a_second_damaged_file_never_overwrites_the_first_one_set_aside(written: Path) -> None:
    asides = []
    for _ in range(2):  # within the same second: the names must still differ
        write_journal(written)
        truncate(written)
        with pytest.raises(JournalError) as raised:
            open_and_read(written)
        aside = aside_named_in(str(raised.value))
        asides.append((aside, aside.read_bytes()))
    assert asides[0][0] != asides[1][0]
    assert all(aside.read_bytes() == content for aside, content in asides)


def test_once_damage_is_found_every_later_call_raises_the_same_error(written: Path) -> None:
    journal = Journal(written, base_url=BASE)  # opened while the file was fine
    scribble(written)
    with pytest.raises(JournalError) as first:
        journal.entries(KEPT)
    for call in (
        lambda: journal.claim(NEW),
        lambda: journal.record_created(NEW, lookup(1, NEW)),
        lambda: journal.release(NEW, maybe_sent=False),
        lambda: journal.entry(NEW),
    ):
        with pytest.raises(JournalError) as later:
            call()
        assert str(later.value) == str(first.value)
    journal.close()


def test_a_file_that_is_not_a_journal_at_all_is_refused_and_left_alone(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n" * 100)
    with pytest.raises(ValueError, match="not a journal file"):
        open_journal(notes, base_url=BASE)
    assert notes.read_text() == "my notes\n" * 100
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# --- locked by another process -------------------------------------------------------

HOLD_LOCK = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
if sys.argv[2] == "exclusive":
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN IMMEDIATE")
db.execute("UPDATE lookups SET updated_at = updated_at")
if sys.argv[2] == "exclusive":
    db.execute("COMMIT")  # in exclusive mode the lock outlives the transaction
    db.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()  # hold the lock until the test closes our stdin
db.execute("ROLLBACK")
"""


@pytest.fixture
def locker(written: Path) -> Iterator[object]:
    """Start a second process that holds the journal's write lock until stopped."""
    started: list[subprocess.Popen[str]] = []

    def start(mode: str = "write") -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLD_LOCK, str(written), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "locked"  # waits for the lock, no sleep
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.communicate(timeout=30)


def test_a_journal_locked_by_another_process_gives_up_with_a_clear_error(
    written: Path, locker: object
) -> None:
    other = locker()  # type: ignore[operator]
    journal = Journal(written, base_url=BASE, lock_timeout=0.5)
    assert journal.entries(KEPT)  # reading still works in WAL mode
    with pytest.raises(JournalError) as raised:
        journal.claim(NEW)
    message = str(raised.value)
    assert str(written) in message
    assert "locked by another process" in message
    assert "0.5 s" in message
    assert "journal=" in message  # what to do instead
    other.communicate(timeout=30)  # the other run ends: the journal works again
    assert journal.claim(NEW).result.value == "send"
    journal.close()
    assert len(emails_in(written)) == len(KEPT)


def test_a_journal_held_exclusively_by_another_process_cannot_be_opened_and_says_so(
    written: Path, locker: object
) -> None:
    locker("exclusive")  # type: ignore[operator]
    with pytest.raises(JournalError, match="locked by another process") as raised:
        open_journal(written, base_url=BASE, lock_timeout=0.3)
    assert str(written) in str(raised.value)
    assert written.exists()


# --- a full disk ---------------------------------------------------------------------

FILL_DISK = """
import json, resource, signal, sys
from sfy_pandas.journal import Journal
from sfy_pandas._errors import JournalError

journal = Journal(sys.argv[1], base_url="http://sim")
journal.entries([])
# The file may grow no further: each write past its size fails as on a full disk.
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
size = max(int(arg) for arg in sys.argv[2:])
resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
try:
    for n in range(100_000):
        journal.claim((f"https://www.linkedin.com/in/more-{n}-" + "x" * 200, "work"))
except JournalError as exc:
    print(json.dumps({"error": str(exc), "cause": type(exc.__cause__).__name__}))
else:
    print(json.dumps({"error": None}))
"""


def test_a_full_disk_gives_a_clear_error_and_keeps_what_was_written(written: Path) -> None:
    sizes = [written.stat().st_size, 32768]  # the file, and the WAL index SQLite maps
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", FILL_DISK, str(written), *map(str, sizes)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    message = answer["error"]
    assert message is not None, "the journal never noticed the disk was full"
    assert str(written) in message
    assert "disk that is full" in message
    assert "record a create before sending it" in message
    assert answer["cause"] in {"OperationalError", "DatabaseError"}
    assert emails_in(written) == {f"kept{n}@example.com" for n in range(len(KEPT))}
    assert Journal(written, base_url=BASE).entries(KEPT).keys() == set(KEPT)
