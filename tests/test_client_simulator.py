"""AsyncSalesfinity against the bundled simulator over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from sfy_pandas._errors import AuthenticationError, BadRequestError, InsufficientCreditsError
from sfy_pandas._models import Lookup, Status
from sfy_pandas.client._client import AsyncSalesfinity
from sfy_pandas.client._retry import RetryPolicy
from sfy_pandas.simulator import ServerHandle

Serve = Callable[..., ServerHandle]
#: Real waits, but short back-off, so fault-heavy runs stay quick.
QUICK_RETRY = RetryPolicy(wait_initial=0.05, wait_max=0.5)


def profile(n: int) -> str:
    return f"https://www.linkedin.com/in/client-sim-person-{n}"


def client_for(server: ServerHandle, retry: RetryPolicy | None = None) -> AsyncSalesfinity:
    return AsyncSalesfinity(server.api_key, base_url=server.base_url, retry=retry)


async def poll_until_final(client: AsyncSalesfinity, ids: list[str]) -> list[Lookup]:
    deadline = time.monotonic() + 20
    while True:
        lookups = await client.query(ids)
        if all(lookup.status.is_final for lookup in lookups) or time.monotonic() > deadline:
            return lookups
        await asyncio.sleep(0.1)


async def test_created_lookups_resolve_to_the_simulators_ground_truth(serve: Serve) -> None:
    server = serve(seed=3, timeout_seconds=1.5)
    async with client_for(server) as client:
        balance_before = await client.credits()
        created = [await client.create(profile(n), external_id=f"lead-{n}") for n in range(12)]
        assert all(lookup.status is Status.PENDING for lookup in created)
        final = await poll_until_final(client, [lookup.id for lookup in created])
        one = await client.get(created[0].id)
        balance_after = await client.credits()
    by_id = {lookup.id: lookup for lookup in final}
    for n, lookup in enumerate(created):
        truth = server.simulator.expected_outcome(profile(n), "work")
        assert by_id[lookup.id].status.value == truth.status
        assert by_id[lookup.id].email == truth.email
        assert by_id[lookup.id].external_id == f"lead-{n}"
    assert one.status is by_id[created[0].id].status
    completed = sum(lookup.status is Status.COMPLETED for lookup in final)
    assert balance_before - balance_after == completed
    assert client.stats.batch_supported is True


async def test_without_the_batch_query_the_client_polls_by_get_and_asks_once(
    serve: Serve,
) -> None:
    server = serve(seed=4, batch_enabled=False)
    async with client_for(server) as client:
        created = [await client.create(profile(n)) for n in range(5)]
        ids = [lookup.id for lookup in created]
        first = await client.query([*ids, "0" * 24])  # an id the server never made
        second = await poll_until_final(client, ids)
    assert [lookup.id for lookup in first] == [lookup.id for lookup in second] == ids
    assert client.stats.batch_supported is False
    assert server.ledger.requests["batch_query"] == 1
    assert server.ledger.requests["get"] == client.stats.requests["get"]


@pytest.mark.parametrize("retry_after", ["seconds", "date", "none"])
async def test_a_rate_limited_api_sees_few_429s_and_every_create_succeeds(
    serve: Serve, retry_after: str
) -> None:
    server = serve(seed=5, rate_limit=100, burst=10, retry_after=retry_after)
    async with client_for(server) as client:
        created = await asyncio.gather(*(client.create(profile(n)) for n in range(150)))
    assert len({lookup.id for lookup in created}) == 150
    ledger = server.ledger
    assert ledger.rate_limited == client.stats.rate_limited
    assert ledger.rate_limited <= 16  # a handful (two waves of 8 in flight), not 150
    assert ledger.lookups_created == 150
    assert not ledger.duplicates()  # a 429 is never ambiguous


async def test_under_injected_faults_every_call_succeeds_and_duplicates_are_counted(
    serve: Serve,
) -> None:
    server = serve(seed=6, fault_rate=0.1, drop_rate=0.05, lost_response_rate=0.05)
    async with client_for(server, retry=QUICK_RETRY) as client:
        created = await asyncio.gather(*(client.create(profile(n)) for n in range(150)))
        found = await client.query([lookup.id for lookup in created[:100]])
        balance = await client.credits()
    assert len(created) == 150
    assert len(found) == 100
    assert balance >= 0
    extra_lookups = sum(count - 1 for count in server.ledger.duplicates().values())
    # Each duplicate comes from a retried create whose outcome the client saw as ambiguous.
    assert extra_lookups <= client.stats.ambiguous_creates
    assert client.stats.retries > 0


async def test_a_zero_balance_is_an_insufficient_credits_error(serve: Serve) -> None:
    server = serve(balance=0)
    async with client_for(server) as client:
        assert await client.credits() == 0
        with pytest.raises(InsufficientCreditsError, match="credits"):
            await client.create(profile(1))
    assert client.stats.requests["create"] == 1


async def test_a_wrong_key_is_an_authentication_error(serve: Serve) -> None:
    server = serve(api_key="the-right-key")
    async with AsyncSalesfinity("a-wrong-key", base_url=server.base_url) as client:
        with pytest.raises(AuthenticationError, match="SALESFINITY_API_KEY"):
            await client.credits()


async def test_a_company_page_is_refused_with_the_apis_message(serve: Serve) -> None:
    server = serve()
    async with client_for(server) as client:
        with pytest.raises(BadRequestError, match="400"):
            await client.create("https://www.linkedin.com/company/acme")
    assert client.stats.requests["create"] == 1
