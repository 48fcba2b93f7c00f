"""With the batch query: few calls while creates are ready, frequent ones once they are done.

A batch call takes a request a create could have had, so while creates are
ready to go there is one per 80 creates (and one every 10 rounds, so early
answers still show). Once nothing is left to create, nothing else needs the
requests: every running lookup is read at least every 2 s, so the last answers
of a run come in as soon as they are final.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from sfy_pandas import AsyncSalesfinity
from sfy_pandas.client import RetryPolicy
from sfy_pandas.engine import Engine, EngineOptions, Job
from sfy_pandas.journal import NullJournal
from tests.conftest import Recorder


async def _run(server: Any, count: int, prefix: str, **options: Any) -> Recorder:
    jobs = [Job((f"https://www.linkedin.com/in/{prefix}-{i}", "work")) for i in range(count)]
    async with AsyncSalesfinity(
        server.api_key, base_url=server.base_url, retry=RetryPolicy(wait_scale=0)
    ) as client:
        calls = Recorder(client)
        engine = Engine(
            calls,
            NullJournal(base_url=server.base_url),
            jobs,
            lambda updates: None,
            EngineOptions(batch_query=True, **options),
        )
        await asyncio.wait_for(engine.run(), 90)
    return calls


async def test_batch_calls_while_creates_are_ready_are_one_per_80_creates(serve):
    # 240 creates, slowed to about 6 s by slow answers; lookups of a second.
    server = serve(
        seed=31,
        slow_rate=1.0,
        slow_seconds=0.05,
        pending_seconds=0.1,
        resolve_seconds=1.0,
        resolve_spread=0.3,
        timeout_seconds=3.0,
    )
    calls = await _run(
        server,
        240,
        "rounds",
        poll_initial=0.2,
        create_concurrency=2,
        lookup_median=1.0,
        lookup_spread=0.3,
    )
    first, last = calls.create_times[0], max(calls.created_at.values())
    while_creating = [sent for sent, _ids in calls.queries if sent < last]
    # One per 80 creates, or one per 10 rounds (2 s here) when creates are slow;
    # a round per poll_initial was 30 calls.
    bound = 240 / 80 + (last - first) / 2.0 + 2
    assert len(while_creating) <= bound, (len(while_creating), bound)
    assert while_creating, "early answers must still show while creates go out"


async def test_once_nothing_is_left_to_create_a_running_lookup_is_read_every_2_s(serve):
    # Lookups spread from a fraction of a second to tens of seconds: read on
    # the model's tail alone, one running at 6 s would next be read at 12 s.
    server = serve(
        seed=32,
        pending_seconds=0.1,
        resolve_seconds=1.5,
        resolve_spread=1.0,
        timeout_seconds=9.0,
    )
    calls = await _run(server, 80, "idle", poll_initial=0.2, lookup_median=1.5, lookup_spread=1.0)
    last_create = max(calls.created_at.values())
    reads: dict[str, list[tuple[float, bool]]] = {}
    for sent, _answered, answer in calls.answers:
        for lookup in answer:
            reads.setdefault(lookup.id, []).append((sent, lookup.status.is_running))
    gaps = [
        later - earlier
        for seen in reads.values()
        for (earlier, was_running), (later, _) in itertools.pairwise(seen)
        if was_running and earlier > last_create + 0.5
    ]
    assert len(gaps) >= 20
    assert max(gaps) <= 2.0 + 0.5, sorted(gaps)[-5:]
