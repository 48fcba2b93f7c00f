"""The engine alone: creates once, polls in batches, honours budgets, stops cleanly."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import httpx
import pytest

from sfy_pandas import AsyncSalesfinity
from sfy_pandas._models import Lookup, Status
from sfy_pandas.client._client import RetryPolicy
from sfy_pandas.engine._engine import Engine, EngineOptions, Job, Update
from sfy_pandas.journal._journal import Journal, NullJournal
from sfy_pandas.simulator import Simulator

FAST = {"pending_seconds": 0.05, "resolve_seconds": 0.2, "resolve_spread": 0.1}


def _jobs(count: int, prefix: str = "person") -> list[Job]:
    return [Job((f"https://www.linkedin.com/in/{prefix}-{i}", "work")) for i in range(count)]


def _client(simulator: Simulator) -> AsyncSalesfinity:
    return AsyncSalesfinity(
        "test-key",
        base_url="http://127.0.0.1:1",
        transport=httpx.ASGITransport(app=simulator),
        retry=RetryPolicy(wait_scale=0),
    )


async def _run(
    simulator: Simulator, jobs: Sequence[Job], journal=None, batches=None, **options
) -> tuple[Engine, dict]:
    """``batches``: a list to append the size of each batch of updates handed out to."""
    latest: dict = {}

    def collect(updates: list[Update]) -> None:
        if batches is not None:
            batches.append(len(updates))
        for update in updates:
            latest[update.key] = update

    async with _client(simulator) as client:
        engine = Engine(
            client,
            journal or NullJournal(base_url="sim"),
            jobs,
            collect,
            EngineOptions(poll_initial=0.05, lookup_median=0.25, lookup_spread=0.3, **options),
        )
        await engine.run()
    return engine, latest


async def test_every_profile_ends_final_with_one_create_each():
    simulator = Simulator(seed=1, **FAST)
    engine, latest = await _run(simulator, _jobs(450))
    assert len(latest) == 450
    assert all(update.status.is_final for update in latest.values())
    assert simulator.ledger.lookups_created == 450
    assert engine.stats.created == 450


async def test_a_polling_round_asks_for_at_most_200_ids_per_call():
    simulator = Simulator(seed=2, **FAST)
    engine, _ = await _run(simulator, _jobs(450))
    sizes = simulator.ledger.batch_sizes
    assert max(sizes) <= 200
    # Never more calls than rounds x ceil(running / 200).
    assert engine.stats.status_calls <= engine.stats.poll_rounds * math.ceil(450 / 200)


async def test_answers_in_the_journal_are_reused_without_a_request(tmp_path):
    simulator = Simulator(seed=3, **FAST)
    journal = Journal(tmp_path / "j.sqlite3", base_url="sim")
    try:
        await _run(simulator, _jobs(50), journal)
        engine, latest = await _run(simulator, _jobs(50), journal)
    finally:
        journal.close()
    assert simulator.ledger.lookups_created == 50
    assert engine.stats.reused == 50
    assert all(update.cached for update in latest.values())


async def test_a_rerun_hands_out_the_journals_answers_a_chunk_at_a_time(tmp_path, monkeypatch):
    # A rerun over a million profiles must not hold a million updates: each
    # chunk read from the journal goes out before the next is read. Handed out
    # at the loop's next tick instead, all 25 went out at once.
    simulator = Simulator(seed=3, **FAST)
    journal = Journal(tmp_path / "j.sqlite3", base_url="sim")
    batches: list[int] = []
    try:
        await _run(simulator, _jobs(25), journal)
        monkeypatch.setattr("sfy_pandas.engine._resume.RESUME_CHUNK", 10)
        engine, _ = await _run(simulator, _jobs(25), journal, batches)
    finally:
        journal.close()
    assert engine.stats.reused == 25
    assert batches == [10, 10, 5]


class _ForgetfulAPI:
    """An API that accepts creates and then never knows the ids again."""

    def __init__(self) -> None:
        self.created = 0

    async def create(self, linkedin_url, type="work", *, external_id=None, callback_url=None):
        self.created += 1
        return Lookup(id=f"{self.created:024x}", status=Status.PENDING)

    async def query(self, ids):
        return []

    async def credits(self):
        return 100


async def test_an_id_the_api_stops_knowing_becomes_an_error_row_not_an_endless_poll():
    latest: dict = {}
    engine = Engine(
        _ForgetfulAPI(),
        NullJournal(base_url="x"),
        _jobs(3),
        lambda updates: latest.update({u.key: u for u in updates}),
        EngineOptions(poll_initial=0.01, poll_max=0.01, missing_rounds=3),
    )
    stats = await asyncio.wait_for(engine.run(), 5)
    assert {update.status for update in latest.values()} == {Status.ERROR}
    assert all("no longer knows" in (update.message or "") for update in latest.values())
    assert stats.errors == 3


def _keeping_latest(client: AsyncSalesfinity, latest: dict) -> Engine:
    """An engine over 300 profiles that keeps each profile's newest update in ``latest``."""
    return Engine(
        client,
        NullJournal(base_url="sim"),
        _jobs(300),
        lambda updates: latest.update({u.key: u for u in updates}),
        EngineOptions(poll_initial=0.05),
    )


async def test_stop_keeps_every_created_id_and_marks_the_rest_not_sent():
    simulator = Simulator(seed=4, slow_rate=1.0, slow_seconds=0.02, **FAST)
    latest: dict = {}
    async with _client(simulator) as client:
        engine = _keeping_latest(client, latest)
        task = asyncio.create_task(engine.run())
        while simulator.ledger.lookups_created < 30:  # noqa: ASYNC110 - the server has no event
            await asyncio.sleep(0.01)
        engine.stop()
        stats = await asyncio.wait_for(task, 15)
    created = simulator.ledger.lookups_created
    with_id = [u for u in latest.values() if u.lookup_id]
    not_sent = [u for u in latest.values() if u.status is Status.NOT_SENT]
    assert stats.interrupted
    assert len(with_id) == created
    assert len(with_id) + len(not_sent) == 300
    assert all("stopped" in (u.message or "") for u in not_sent)


async def test_creates_still_unanswered_after_the_grace_are_not_sent_and_in_doubt(tmp_path):
    simulator = Simulator(seed=7, slow_rate=1.0, slow_seconds=2.0, **FAST)
    journal = Journal(tmp_path / "j.sqlite3", base_url="sim")
    latest: dict = {}
    try:
        async with _client(simulator) as client:
            engine = Engine(
                client,
                journal,
                _jobs(20),
                lambda updates: latest.update({u.key: u for u in updates}),
                EngineOptions(stop_grace=0.1, create_concurrency=4),
            )
            task = asyncio.create_task(engine.run())
            await asyncio.sleep(2.5)  # the balance check answers at 2 s, then 4 creates hang
            engine.stop()
            await asyncio.wait_for(task, 5)
        assert {u.status for u in latest.values()} == {Status.NOT_SENT}
        abandoned = [u for u in latest.values() if "in doubt" in (u.message or "")]
        assert len(abandoned) == 4
        claims = [journal.claim(u.key).result.value for u in abandoned]
        assert claims == ["send-in-doubt"] * 4
    finally:
        journal.close()


async def test_a_refused_create_is_an_error_row_with_the_apis_reason():
    simulator = Simulator(seed=5, **FAST)
    jobs = [Job(("https://www.linkedin.com/company/acme", "work"))]
    _, latest = await _run(simulator, jobs)
    [update] = latest.values()
    assert update.status is Status.ERROR
    assert "400" in (update.message or "")


@pytest.mark.parametrize("limit", [0, 7])
async def test_a_credit_budget_is_never_exceeded(limit):
    simulator = Simulator(seed=6, **FAST)
    engine, latest = await _run(simulator, _jobs(120), max_credits=limit)
    assert simulator.ledger.credits_charged <= limit
    assert engine.stats.credits_used == simulator.ledger.credits_charged
    if limit == 0:
        assert simulator.ledger.lookups_created == 0
        assert all(u.status is Status.NOT_SENT for u in latest.values())


async def test_answers_reach_the_face_in_batches_and_none_is_left_behind():
    # One batch per create cost a count and a redraw each: the face hears a
    # burst of answers together, and the last ones before run() returns.
    simulator = Simulator(seed=5, **FAST)
    batches: list[list[Update]] = []
    async with _client(simulator) as client:
        engine = Engine(
            client, NullJournal(base_url="sim"), _jobs(400), batches.append, EngineOptions()
        )
        await engine.run()
    heard = [update for batch in batches for update in batch]
    assert len({u.key for u in heard if u.status.is_final}) == 400
    assert len(batches) < len(heard) / 4, (len(batches), len(heard))


async def test_a_cancelled_run_still_hands_out_every_answer_it_got():
    simulator = Simulator(seed=6, slow_rate=1.0, slow_seconds=0.02, **FAST)
    latest: dict = {}
    async with _client(simulator) as client:
        engine = _keeping_latest(client, latest)
        task = asyncio.create_task(engine.run())
        while engine.stats.created < 30:  # noqa: ASYNC110 - the engine has no event for it
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    with_id = [u for u in latest.values() if u.lookup_id]
    assert len(with_id) == engine.stats.created
