"""Whatever a server answers, the client returns a correct model or a documented error.

Property tests (hypothesis) over httpx.MockTransport: any status code, any JSON
(wrong types, missing and extra fields, another lookup's ``_id``), bodies that
are not JSON, not UTF-8, or larger than ``max_answer_bytes``. The client never
lets a ``KeyError``, ``TypeError`` or a JSON error out, never shows the key, and
never gives an answer to an id it did not ask about.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfy_pandas._errors import (
    APIConnectionError,
    APIStatusError,
    InvalidResponseError,
    SalesfinityError,
)
from sfy_pandas._models import Lookup
from sfy_pandas.client import AsyncSalesfinity, RetryPolicy

KEY = "sk-test-SECRET-0123456789"
PROFILE = "https://www.linkedin.com/in/janedoe"
ASKED = ["507f1f77bcf86cd799439011", "507f1f77bcf86cd799439012"]
OTHER = "507f1f77bcf86cd799439099"
MAX_BYTES = 4_096
DOCUMENTED = (APIStatusError, APIConnectionError, InvalidResponseError)

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
# Small values for each field, any JSON for a whole body: enough to find wrong
# types, quick enough to generate that the suite stays fast.
field_values = (
    json_scalars
    | st.lists(json_scalars, max_size=3)
    | st.dictionaries(st.text(max_size=6), json_scalars, max_size=3)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
ids = st.sampled_from([*ASKED, OTHER, ""]) | field_values
lookups = st.fixed_dictionaries(
    {},
    optional={
        "_id": ids,
        "id": ids,
        "status": st.sampled_from(["pending", "processing", "completed", "failed", "queued"])
        | field_values,
        "email": st.fixed_dictionaries({"email": field_values, "type": field_values})
        | field_values,
        "linkedin_url": field_values,
        "dataFound": field_values,
        "balance": field_values,
        "extra": field_values,
    },
)
json_bodies = (lookups | st.lists(lookups, max_size=5) | json_values).map(
    lambda value: json.dumps(value).encode()
)
raw_bodies = st.binary(max_size=64) | st.sampled_from(
    [b"", b"{", b"[" * 5_000 + b"]" * 5_000, b"\xff\xfe", b"x" * (MAX_BYTES + 1)]
)
statuses = st.sampled_from([200, 201, 200, 201, 204, 301, 400, 401, 402, 404, 405, 429, 500, 503])
statuses = statuses | st.integers(min_value=100, max_value=599)


def run(call: Callable[[AsyncSalesfinity], Awaitable[Any]], status: int, body: bytes) -> Any:
    """Answer every request with ``status`` and ``body``; return the call's result or error."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"content-type": "application/json"})

    async def go() -> Any:
        async with AsyncSalesfinity(
            KEY,
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(attempts=2, wait_scale=0),
            max_answer_bytes=MAX_BYTES,
        ) as client:
            try:
                return await call(client)
            except SalesfinityError as exc:
                return exc

    return asyncio.run(go())


def check_error(outcome: object) -> bool:
    """True for an error; asserts it is a documented one that reads well."""
    if not isinstance(outcome, SalesfinityError):
        return False
    assert isinstance(outcome, DOCUMENTED), type(outcome)
    message = str(outcome)
    assert message.strip()
    assert KEY not in message
    assert KEY not in getattr(outcome, "body", "")
    return True


@PROPERTY
@given(status=statuses, body=json_bodies | raw_bodies)
def test_get_returns_the_lookup_asked_for_or_a_documented_error(status: int, body: bytes) -> None:
    outcome = run(lambda client: client.get(ASKED[0]), status, body)
    if not check_error(outcome):
        assert isinstance(outcome, Lookup)
        assert outcome.id == ASKED[0]


@PROPERTY
@given(status=statuses, body=json_bodies | raw_bodies)
def test_query_returns_only_lookups_asked_for_or_a_documented_error(
    status: int, body: bytes
) -> None:
    outcome = run(lambda client: client.query(ASKED), status, body)
    if not check_error(outcome):
        assert isinstance(outcome, list)
        found = [lookup.id for lookup in outcome]
        assert set(found) <= set(ASKED)
        assert len(found) == len(set(found))


@PROPERTY
@given(status=statuses, body=json_bodies | raw_bodies)
def test_create_returns_a_lookup_with_an_id_or_a_documented_error(status: int, body: bytes) -> None:
    outcome = run(lambda client: client.create(PROFILE), status, body)
    if not check_error(outcome):
        assert isinstance(outcome, Lookup)
        assert isinstance(outcome.id, str)
        assert outcome.id


@PROPERTY
@given(status=statuses, body=json_bodies | raw_bodies)
def test_credits_returns_an_integer_or_a_documented_error(status: int, body: bytes) -> None:
    outcome = run(lambda client: client.credits(), status, body)
    if not check_error(outcome):
        assert isinstance(outcome, int)
        assert not isinstance(outcome, bool)


@settings(max_examples=20, deadline=None)
@given(size=st.integers(min_value=MAX_BYTES + 1, max_value=20 * MAX_BYTES))
def test_any_answer_over_the_size_limit_is_refused_and_says_which_limit(size: int) -> None:
    outcome = run(lambda client: client.credits(), 200, b" " * size)
    assert isinstance(outcome, InvalidResponseError)
    assert "max_answer_bytes" in str(outcome)


@pytest.mark.parametrize("chunk_delay", [0.02, 0.05])
def test_a_body_that_drips_slowly_ends_in_a_time_out_error(chunk_delay: float) -> None:
    async def drip() -> Any:
        while True:
            await asyncio.sleep(chunk_delay)
            yield b" "

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=drip())

    async def go() -> Any:
        async with AsyncSalesfinity(
            KEY,
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(attempts=1, wait_scale=0),
            answer_timeout=0.3,
        ) as client:
            with pytest.raises(SalesfinityError) as raised:
                await client.credits()
            return raised.value

    error = asyncio.run(go())
    assert isinstance(error, APIConnectionError)
    assert "answer_timeout" in str(error)
