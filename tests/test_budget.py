"""The credit budget: never exceeded, shared across engines, and cheap when not close to spent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

from sfy_pandas import AsyncSalesfinity
from sfy_pandas._models import Status
from sfy_pandas.client import RetryPolicy
from sfy_pandas.engine import Budget, Engine, EngineOptions, Job, RunStats, Update
from sfy_pandas.journal import NullJournal
from sfy_pandas.simulator import ServerHandle

SHAPE = {
    "pending_seconds": 0.1,
    "resolve_seconds": 0.4,
    "resolve_spread": 0.3,
    "timeout_seconds": 20.0,
    "failed_rate": 0.1,
}
OPTIONS = {"poll_initial": 0.1, "lookup_median": 0.4, "lookup_spread": 0.3}


def _jobs(count: int, prefix: str) -> list[Job]:
    return [Job((f"https://www.linkedin.com/in/{prefix}-{i}", "work")) for i in range(count)]


async def _run(
    server: ServerHandle, jobs: Sequence[Job], budget: Budget | None = None, **options: Any
) -> tuple[RunStats, dict[Any, Update], float]:
    latest: dict[Any, Update] = {}
    async with AsyncSalesfinity(
        server.api_key, base_url=server.base_url, retry=RetryPolicy(wait_scale=0)
    ) as client:
        engine = Engine(
            client,
            NullJournal(base_url=server.base_url),
            jobs,
            lambda updates: latest.update({u.key: u for u in updates}),
            EngineOptions(**{**OPTIONS, **options}),
            budget=budget,
        )
        started = time.monotonic()
        stats = await asyncio.wait_for(engine.run(), 60)
    return stats, latest, time.monotonic() - started


async def test_a_budget_not_close_to_running_out_costs_at_most_a_tenth_of_the_time(serve):
    # 300 profiles, about 180 charged: a budget of 220 binds the lookups running
    # at once while the creates go out, but is never close to spent.
    unbounded = serve(seed=21, **SHAPE)
    bounded = serve(seed=21, **SHAPE)
    # Side by side on one loop, so a loaded machine slows both alike.
    (_, _, free), (stats, latest, limited) = await asyncio.gather(
        _run(unbounded, _jobs(300, "cost")), _run(bounded, _jobs(300, "cost"), max_credits=220)
    )
    assert bounded.ledger.credits_charged <= 220
    assert stats.not_sent == 0
    assert all(update.status.is_final for update in latest.values())
    assert limited <= 1.10 * free + 0.5, (limited, free)


async def test_one_budget_shared_by_two_engines_is_never_exceeded(serve):
    server = serve(seed=22, **SHAPE)
    budget = Budget(25)
    first, _, _ = await _run(server, _jobs(60, "first"), budget)
    second, latest, _ = await _run(server, _jobs(60, "second"), budget)
    assert server.ledger.credits_charged <= 25
    assert first.credits_used + second.credits_used == server.ledger.credits_charged
    assert second.not_sent > 0
    assert all(
        "max_credits=25" in (u.message or "")
        for u in latest.values()
        if u.status is Status.NOT_SENT
    )


async def test_lookups_left_running_by_one_engine_do_not_stall_the_next(serve):
    # The first engine ends at max_wait with lookups still running: their
    # units stay taken (they may yet be charged), but nobody waits on them.
    server = serve(seed=23, pending_seconds=2.0, resolve_seconds=6.0, resolve_spread=0.1)
    budget = Budget(10)
    first, _, _ = await _run(server, _jobs(10, "left"), budget, max_wait=0.5)
    assert first.timed_out
    _, latest, elapsed = await _run(server, _jobs(5, "next"), budget)
    assert elapsed < 5
    assert server.ledger.lookups_created == 10
    assert {u.status for u in latest.values()} == {Status.NOT_SENT}


async def test_a_budget_of_units_given_back_is_reused_exactly():
    budget = Budget(2)
    stop = asyncio.Event()
    assert await budget.acquire(stop)
    assert await budget.acquire(stop)
    assert not budget.available()
    budget.release()  # a create that started no lookup
    assert await budget.acquire(stop)
    budget.started("a")
    budget.started("b")
    waiter = asyncio.create_task(budget.acquire(stop))
    await asyncio.sleep(0)
    assert not waiter.done()
    budget.finished("a", charged=False)  # not found: its unit comes back
    assert await asyncio.wait_for(waiter, 1)
    budget.started("c")
    budget.finished("b", charged=True)
    budget.finished("c", charged=True)
    assert budget.spent()
    assert not await budget.acquire(stop)
    assert budget.held == 2


async def test_a_budget_that_runs_out_still_finishes_in_about_the_time_of_no_budget(serve):
    # 120 profiles, about 78 would be charged; 60 credits run out. The creates
    # wait for not-found answers to give units back, so those are read early,
    # not at a backed-off poll interval (which made such a run 3 to 5 times slower).
    unbounded = serve(seed=24, **SHAPE)
    bounded = serve(seed=24, **SHAPE)
    (_, _, free), (stats, _, limited) = await asyncio.gather(
        _run(unbounded, _jobs(120, "out")), _run(bounded, _jobs(120, "out"), max_credits=60)
    )
    assert bounded.ledger.credits_charged <= 60
    assert stats.credits_used == 60
    # Loose enough for a loaded machine; before the early reads it took 6 times as long.
    assert limited <= 2.2 * free + 1.0, (limited, free)
