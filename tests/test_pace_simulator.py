"""The learned pace over real HTTP: measured from the simulator's 429s, shared per API key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from sfy_pandas.client import AsyncSalesfinity
from sfy_pandas.simulator import ServerHandle

Serve = Callable[..., ServerHandle]


async def send_creates(server: ServerHandle, first: int, count: int, **kwargs: Any) -> Any:
    """``count`` distinct creates through one new client, 8 in flight; its stats."""
    async with AsyncSalesfinity(server.api_key, base_url=server.base_url, **kwargs) as client:
        todo = list(range(first, first + count))

        async def worker() -> None:
            while todo:
                n = todo.pop()
                await client.create(f"https://www.linkedin.com/in/pace-{n}")

        await asyncio.gather(*(worker() for _ in range(8)))
        return client.stats


async def test_the_measured_limit_is_close_to_the_simulators(serve: Serve) -> None:
    # A limit low enough that even a loaded machine sends faster: the limit, not
    # the client's CPU, is what gets measured.
    server = serve(rate_limit=15, burst=5, api_key="sk-test-pace-measure")
    stats = await send_creates(server, 0, 120)
    assert stats.requests["create"] - stats.rate_limited == 120
    assert stats.rate_estimate == pytest.approx(15, rel=0.15)
    assert server.ledger.lookups_created == 120


async def test_two_clients_with_one_key_share_the_pace(serve: Serve) -> None:
    server = serve(rate_limit=15, burst=5, api_key="sk-test-pace-shared")
    first = await send_creates(server, 0, 100)
    assert first.rate_limited >= 1  # the first client had to learn the limit
    second = await send_creates(server, 100, 100)
    # The second starts at the learned pace: a few 429s at most, not a new measure.
    assert second.rate_limited <= 3
    assert server.ledger.lookups_created == 200


def test_clients_share_a_pace_only_with_the_same_key_and_base_url() -> None:
    def pace(key: str, url: str = "https://api.example.com") -> object:
        return AsyncSalesfinity(key, base_url=url).pace

    assert pace("sk-test-one") is pace("sk-test-one")
    assert pace("sk-test-one") is not pace("sk-test-two")
    assert pace("sk-test-one") is not pace("sk-test-one", "https://other.example.com")
