"""The journal decides, per profile, whether a run may create, must reuse, or must wait."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfy_pandas._models import Lookup, Status
from sfy_pandas.journal._journal import (
    ClaimResult,
    Journal,
    NullJournal,
    State,
    open_journal,
)

BASE = "http://127.0.0.1:1"
JANE = ("https://www.linkedin.com/in/jane", "work")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    opened = Journal(tmp_path / "journal.sqlite3", base_url=BASE)
    yield opened
    opened.close()


def test_a_new_profile_is_claimed_for_sending_and_then_reused_once_created(journal: Journal):
    assert journal.claim(JANE).result is ClaimResult.SEND
    journal.record_created(JANE, Lookup(id="a" * 24, status=Status.PENDING))
    claim = journal.claim(JANE)
    assert claim.result is ClaimResult.REUSE
    assert claim.entry is not None
    assert claim.entry.lookup_id == "a" * 24


def test_a_resolved_profile_is_reused_unless_a_refresh_is_asked(journal: Journal):
    journal.claim(JANE)
    done = Lookup(id="b" * 24, status=Status.COMPLETED, email="jane@x.com", email_type="work")
    journal.record_lookups([(JANE, done)])
    entry = journal.entry(JANE)
    assert entry is not None
    assert entry.state is State.RESOLVED
    assert entry.email == "jane@x.com"
    assert journal.claim(JANE).result is ClaimResult.REUSE
    assert journal.claim(JANE, refresh=True).result is ClaimResult.SEND


def test_a_profile_another_open_journal_is_sending_must_be_waited_for(tmp_path: Path):
    first = Journal(tmp_path / "j.sqlite3", base_url=BASE)
    second = Journal(tmp_path / "j.sqlite3", base_url=BASE)
    try:
        assert first.claim(JANE).result is ClaimResult.SEND
        assert second.claim(JANE).result is ClaimResult.WAIT
        first.close()
        # Its owner is gone without an answer: the create is in doubt.
        assert second.claim(JANE).result is ClaimResult.SEND_IN_DOUBT
    finally:
        second.close()


def _claim_in_child(path: str) -> None:
    Journal(path, base_url=BASE).claim(JANE)
    os._exit(0)  # die without closing, as a killed kernel would


def test_a_claim_left_by_a_dead_process_is_sent_again_and_counted_in_doubt(tmp_path: Path):
    path = str(tmp_path / "j.sqlite3")
    child = multiprocessing.get_context("fork").Process(target=_claim_in_child, args=(path,))
    child.start()
    child.join()
    journal = Journal(path, base_url=BASE)
    try:
        claim = journal.claim(JANE)
        assert claim.result is ClaimResult.SEND_IN_DOUBT
        entry = journal.entry(JANE)
        assert entry is not None
        assert entry.creates == 2
    finally:
        journal.close()


def _claim_many(path: str, keys: list[tuple[str, str]], out: multiprocessing.Queue) -> None:
    journal = Journal(path, base_url=BASE)
    sent = []
    for key in keys:
        if journal.claim(key).result is ClaimResult.SEND:
            sent.append(key)
            journal.record_created(key, Lookup(id=f"{len(sent):024x}", status=Status.PENDING))
    out.put(sent)
    journal.close()


def test_two_processes_claiming_the_same_profiles_never_both_send_one(tmp_path: Path):
    path = str(tmp_path / "j.sqlite3")
    keys = [(f"https://www.linkedin.com/in/p{i}", "work") for i in range(300)]
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [
        ctx.Process(target=_claim_many, args=(path, order, out))
        for order in (keys, list(reversed(keys)))
    ]
    for proc in procs:
        proc.start()
    sent = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join()
    assert len(sent[0]) + len(sent[1]) == len(keys)
    assert not set(sent[0]) & set(sent[1])


def test_a_journal_opened_while_another_process_creates_it_waits_instead_of_failing(
    tmp_path: Path,
):
    # Two kernels opening a new journal at once: the one that loses the switch to
    # WAL was told "locked for more than 30 s" a few milliseconds in.
    path = tmp_path / "j.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE held (x)")
    other.execute("BEGIN IMMEDIATE")  # a write lock, as another opener switching to WAL
    timer = threading.Timer(0.3, other.execute, ("COMMIT",))
    timer.start()
    try:
        journal = Journal(path, base_url=BASE, lock_timeout=10)
        assert journal.claim(JANE).result is ClaimResult.SEND
        journal.close()
    finally:
        timer.join()
        other.close()


def test_a_refused_create_leaves_no_trace_but_an_unanswered_one_stays_in_doubt(
    journal: Journal,
):
    journal.claim(JANE)
    journal.release(JANE, maybe_sent=False)
    assert journal.entry(JANE) is None
    journal.claim(JANE)
    journal.release(JANE, maybe_sent=True)
    assert journal.claim(JANE).result is ClaimResult.SEND_IN_DOUBT


def test_journals_of_two_apis_in_one_file_do_not_see_each_other(tmp_path: Path):
    real = Journal(tmp_path / "j.sqlite3", base_url="https://client-api.salesfinity.co")
    sim = Journal(tmp_path / "j.sqlite3", base_url=BASE)
    try:
        real.claim(JANE)
        real.record_created(JANE, Lookup(id="c" * 24, status=Status.PENDING))
        assert sim.entries([JANE]) == {}
        assert sim.claim(JANE).result is ClaimResult.SEND
    finally:
        real.close()
        sim.close()


def test_off_gives_a_journal_that_remembers_nothing(tmp_path: Path):
    journal = open_journal("off", base_url=BASE)
    assert isinstance(journal, NullJournal)
    journal.claim(JANE)
    assert journal.claim(JANE).result is ClaimResult.SEND


def test_the_environment_variable_picks_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    target = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("SALESFINITY_JOURNAL", str(target))
    journal = open_journal(None, base_url=BASE)
    journal.close()
    assert target.exists()


def test_a_path_that_cannot_be_a_journal_is_refused_naming_the_argument(tmp_path: Path):
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("these are my notes, not a database\n" * 50)
    with pytest.raises(ValueError, match="journal"):
        open_journal(not_a_db, base_url=BASE)


def test_the_file_is_in_wal_mode_so_two_kernels_can_share_it(journal: Journal):
    reader = sqlite3.connect(journal.path)
    try:
        assert reader.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        reader.close()
