"""The engine when the journal fails, and when the API no longer knows a journaled id."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from sfy_pandas import AsyncSalesfinity
from sfy_pandas._errors import InvalidResponseError, JournalError, NotFoundError
from sfy_pandas._models import Lookup, Status
from sfy_pandas.client import RetryPolicy
from sfy_pandas.engine import Engine, EngineOptions, Job, RunStats, Update
from sfy_pandas.journal import Journal, NullJournal
from sfy_pandas.simulator import Simulator

FAST = {"pending_seconds": 0.05, "resolve_seconds": 0.2, "resolve_spread": 0.1}
OPTIONS = {"poll_initial": 0.05, "lookup_median": 0.2, "lookup_spread": 0.3}


def _jobs(count: int, prefix: str) -> list[Job]:
    return [Job((f"https://www.linkedin.com/in/{prefix}-{i}", "work")) for i in range(count)]


class BrokenJournal(Journal):
    """A real journal whose claims fail after ``claims_ok``, or whose answers cannot be written."""

    def __init__(self, path: Path, *, claims_ok: int | None = None, answers: bool = True) -> None:
        super().__init__(path, base_url="sim")
        self.claims_ok = claims_ok
        self.answers = answers
        self.claims = 0

    def claim(self, key: Any, *, refresh: bool = False) -> Any:
        if self.claims_ok is not None and self.claims >= self.claims_ok:
            raise JournalError(f"cannot write the journal {self.path}: disk full")
        self.claims += 1
        return super().claim(key, refresh=refresh)

    def record_lookups(self, updates: Sequence[tuple[Any, Lookup]]) -> None:
        if not self.answers and any(not lookup.status.is_running for _, lookup in updates):
            raise JournalError(f"cannot write the journal {self.path}: disk full")
        super().record_lookups(updates)


async def _run(
    api: Any, journal: Journal, jobs: Sequence[Job], **options: Any
) -> tuple[RunStats, dict[Any, Update], list[str]]:
    latest: dict[Any, Update] = {}
    warnings: list[str] = []
    engine = Engine(
        api,
        journal,
        jobs,
        lambda updates: latest.update({u.key: u for u in updates}),
        EngineOptions(**{**OPTIONS, **options}),
        warn=warnings.append,
    )
    stats = await asyncio.wait_for(engine.run(), 30)
    return stats, latest, warnings


def _client(simulator: Simulator) -> AsyncSalesfinity:
    return AsyncSalesfinity(
        "test-key",
        base_url="http://127.0.0.1:1",
        transport=httpx.ASGITransport(app=simulator),
        retry=RetryPolicy(wait_scale=0),
    )


async def test_a_create_the_journal_cannot_record_is_never_sent(tmp_path):
    simulator = Simulator(seed=31, **FAST)
    journal = BrokenJournal(tmp_path / "j.sqlite3", claims_ok=5)
    try:
        async with _client(simulator) as client:
            stats, latest, _ = await _run(client, journal, _jobs(40, "claim"), create_concurrency=1)
    finally:
        journal.close()
    # Only the five recorded intents went out; the run ended without raising.
    assert simulator.ledger.lookups_created == 5
    sent = [u for u in latest.values() if u.lookup_id]
    assert len(sent) == 5
    assert all(u.status.is_final for u in sent)
    refused = [u for u in latest.values() if not u.lookup_id]
    assert len(refused) == 35
    assert {u.status for u in refused} == {Status.ERROR}
    assert all("journal" in (u.message or "") and "disk full" in (u.message or "") for u in refused)
    assert stats.errors == 35


async def test_answers_the_journal_cannot_record_do_not_stop_the_reading(tmp_path):
    simulator = Simulator(seed=32, **FAST)
    journal = BrokenJournal(tmp_path / "j.sqlite3", answers=False)
    try:
        async with _client(simulator) as client:
            stats, latest, warnings = await _run(client, journal, _jobs(30, "answers"))
    finally:
        journal.close()
    assert len(latest) == 30
    assert all(u.status.is_final for u in latest.values())
    assert simulator.ledger.lookups_created == 30
    assert stats.journal_failures > 0
    assert len([w for w in warnings if "journal" in w]) == 1  # said once, not per round


async def test_a_journaled_id_the_api_no_longer_knows_is_sent_again_once(tmp_path):
    simulator = Simulator(seed=33, **FAST)
    journal = Journal(tmp_path / "j.sqlite3", base_url="sim")
    [job] = _jobs(1, "forgotten")
    journal.claim(job.key)
    journal.record_created(job.key, Lookup(id="0" * 24, status=Status.PENDING))
    try:
        async with _client(simulator) as client:
            stats, latest, warnings = await _run(client, journal, [job], missing_rounds=2)
        [update] = latest.values()
        assert update.status.is_final
        assert update.lookup_id not in (None, "0" * 24)
        assert simulator.ledger.lookups_created == 1
        assert stats.recreated == 1
        assert any("sent again" in w for w in warnings)
        # The journal now holds the new id: a rerun reuses it.
        entry = journal.entry(job.key)
        assert entry is not None
        assert entry.lookup_id == update.lookup_id
    finally:
        journal.close()


class _AnswersBadly:
    """An API that leaves the id out of every answer, and whose GET answer is unusable."""

    def __init__(self, get_error: Exception) -> None:
        self.get_error = get_error

    async def create(self, linkedin_url: str, type: str = "work", **kwargs: Any) -> Lookup:
        return Lookup(id=f"{abs(hash(linkedin_url)) % 10**20:024d}", status=Status.PENDING)

    async def query(self, ids: Sequence[str]) -> list[Lookup]:
        return []

    async def get(self, id: str) -> Lookup:
        raise self.get_error

    async def credits(self) -> int:
        return 100


async def test_an_answer_the_client_could_not_use_is_not_called_an_unknown_id():
    error = InvalidResponseError("the lookup in the response has another '_id'")
    stats, latest, _ = await _run(
        _AnswersBadly(error), NullJournal(base_url="x"), _jobs(3, "bad"), missing_rounds=2
    )
    assert {u.status for u in latest.values()} == {Status.ERROR}
    for update in latest.values():
        assert "no longer knows" not in (update.message or "")
        assert "answered" in (update.message or "")
    assert stats.unknown_ids == 0


async def test_only_a_real_404_says_the_api_no_longer_knows_the_id():
    error = NotFoundError("not found", status_code=404)
    stats, latest, warnings = await _run(
        _AnswersBadly(error), NullJournal(base_url="x"), _jobs(3, "gone"), missing_rounds=2
    )
    assert all("no longer knows" in (u.message or "") for u in latest.values())
    assert stats.unknown_ids == 3
    assert any("unknown to the API" in w for w in warnings)
