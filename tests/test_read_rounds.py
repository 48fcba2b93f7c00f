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
import time
from collections.abc import Sequence
from typing import Any

from sfy_pandas import AsyncSalesfinity
from sfy_pandas._models import Lookup
from sfy_pandas.client import RetryPolicy
from sfy_pandas.engine import Engine, EngineOptions, Job
from sfy_pandas.journal import NullJournal


class _Calls:
    """A LookupAPI in front of the real client that notes every create and status call."""

    def __init__(self, client: AsyncSalesfinity) -> None:
        self.client = client
        self.stats = client.stats
        self.create_times: list[float] = []
        #: (time sent, ids asked for, ids the answer said were still running)
        self.calls: list[tuple[float, list[str], set[str]]] = []

    async def create(self, linkedin_url: str, type: str = "work", **kwargs: Any) -> Lookup:
        lookup = await self.client.create(linkedin_url, type, **kwargs)
        self.create_times.append(time.monotonic())
        return lookup

    async def query(self, ids: Sequence[str]) -> list[Lookup]:
        sent = time.monotonic()
        answer = await self.client.query(ids)
        running = {lookup.id for lookup in answer if lookup.status.is_running}
        self.calls.append((sent, list(ids), running))
        return answer

    async def get(self, id: str) -> Lookup:
        return await self.client.get(id)

    async def credits(self) -> int:
        return await self.client.credits()


async def _run(server: Any, count: int, prefix: str, **options: Any) -> _Calls:
    jobs = [Job((f"https://www.linkedin.com/in/{prefix}-{i}", "work")) for i in range(count)]
    async with AsyncSalesfinity(
        server.api_key, base_url=server.base_url, retry=RetryPolicy(wait_scale=0)
    ) as client:
        calls = _Calls(client)
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
    first, last = calls.create_times[0], calls.create_times[-1]
    while_creating = [sent for sent, _, _ in calls.calls if sent < last]
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
    last_create = calls.create_times[-1]
    reads: dict[str, list[tuple[float, bool]]] = {}
    for sent, ids, running in calls.calls:
        for lookup_id in ids:
            reads.setdefault(lookup_id, []).append((sent, lookup_id in running))
    gaps = [
        later - earlier
        for seen in reads.values()
        for (earlier, was_running), (later, _) in itertools.pairwise(seen)
        if was_running and earlier > last_create + 0.5
    ]
    assert len(gaps) >= 20
    assert max(gaps) <= 2.0 + 0.5, sorted(gaps)[-5:]
