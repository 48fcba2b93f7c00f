"""AsyncSalesfinity against scripted servers (httpx.MockTransport): what an analyst sees."""

from __future__ import annotations

import asyncio
import json
import time
import traceback
from collections.abc import AsyncIterator, Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest

from sfy_pandas._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    SalesfinityError,
    ServerError,
)
from sfy_pandas._models import Status
from sfy_pandas.client import AsyncSalesfinity, Pace, RetryPolicy

KEY = "sk-test-SECRET-0123456789"
PROFILE = "https://www.linkedin.com/in/janedoe"
ID_A = "507f1f77bcf86cd799439011"
ID_B = "507f1f77bcf86cd799439012"
ID_C = "507f1f77bcf86cd799439013"
NO_WAIT = RetryPolicy(wait_scale=0)

Answer = Callable[[httpx.Request], httpx.Response]


def reply(status: int, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
    """An answer the scripted API gives: a fresh response each time."""

    def make(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return make


def fail(exc_type: type[httpx.TransportError], message: str = "boom") -> Answer:
    """An answer that never comes: the transport raises instead."""

    def make(request: httpx.Request) -> httpx.Response:
        raise exc_type(message, request=request)

    return make


CREATED = reply(201, {"_id": ID_A, "status": "pending", "linkedin_url": PROFILE})


def lookup_json(lookup_id: str, status: str = "completed", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"_id": lookup_id, "status": status, "linkedin_url": PROFILE}
    if status == "completed":
        body["email"] = {"email": "jane@example.com", "type": "work"}
    return {**body, **extra}


class ScriptedApi:
    """Answers each request with the next scripted answer (the last one repeats)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


NOT_FOUND = reply(404, {})


class RoutedApi:
    """Answers by path; records every request."""

    def __init__(self, routes: dict[str, Answer], default: Answer = NOT_FOUND) -> None:
        self.routes = routes
        self.default = default
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.routes.get(f"{request.method} {request.url.path}", self.default)(request)

    def count(self, method_path: str) -> int:
        return sum(f"{r.method} {r.url.path}" == method_path for r in self.requests)


MakeClient = Callable[..., AsyncSalesfinity]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALESFINITY_API_KEY", raising=False)
    monkeypatch.delenv("SALESFINITY_BASE_URL", raising=False)


@pytest.fixture
async def make_client() -> AsyncIterator[MakeClient]:
    """Clients on a MockTransport with zero waits; every one is closed afterwards."""
    clients: list[AsyncSalesfinity] = []

    def make(handler: Callable[[httpx.Request], Any], **kwargs: Any) -> AsyncSalesfinity:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("retry", NO_WAIT)
        kwargs.setdefault("pace", Pace())  # what one test's 429s teach stays in that test
        client = AsyncSalesfinity(transport=httpx.MockTransport(handler), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


# --- configuration ---------------------------------------------------------------


def test_a_missing_key_is_a_value_error_naming_the_argument_and_the_variable() -> None:
    with pytest.raises(ValueError, match="api_key") as raised:
        AsyncSalesfinity()
    assert "SALESFINITY_API_KEY" in str(raised.value)


async def test_the_key_and_base_url_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    monkeypatch.setenv("SALESFINITY_API_KEY", "env-key-123")
    monkeypatch.setenv("SALESFINITY_BASE_URL", "http://127.0.0.1:8765")
    api = ScriptedApi(reply(200, {"balance": 3}))
    client = make_client(api, api_key=None)
    await client.credits()
    assert api.requests[0].headers["x-api-key"] == "env-key-123"
    assert str(api.requests[0].url) == "http://127.0.0.1:8765/v1/api/enrichment/credits"


async def test_a_cookie_the_server_sets_is_never_sent_back(make_client: MakeClient) -> None:
    # The API knows a client by its key: a cookie from one answer must not
    # follow the key to the next request.
    def set_cookie(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            201,
            json={"_id": ID_A, "status": "pending"},
            headers={"set-cookie": "session=abc; Path=/"},
        )

    api = ScriptedApi(set_cookie)
    client = make_client(api)
    await client.create(PROFILE)
    await client.create(PROFILE + "-2")
    assert len(api.requests) == 2
    assert "cookie" not in api.requests[1].headers


async def test_keyword_arguments_beat_the_environment(
    monkeypatch: pytest.MonkeyPatch, make_client: MakeClient
) -> None:
    monkeypatch.setenv("SALESFINITY_API_KEY", "env-key-123")
    monkeypatch.setenv("SALESFINITY_BASE_URL", "http://127.0.0.1:8765")
    api = ScriptedApi(reply(200, {"balance": 3}))
    client = make_client(api, api_key="arg-key-456", base_url="https://api.example.com/")
    await client.credits()
    assert api.requests[0].headers["x-api-key"] == "arg-key-456"
    assert str(api.requests[0].url) == "https://api.example.com/v1/api/enrichment/credits"


def test_the_default_base_url_is_the_real_api() -> None:
    client = AsyncSalesfinity(KEY)
    assert client.base_url == "https://client-api.salesfinity.co"


def test_plain_http_to_a_host_that_is_not_loopback_is_refused() -> None:
    with pytest.raises(ValueError, match="https"):
        AsyncSalesfinity(KEY, base_url="http://api.example.com")


def test_plain_http_to_loopback_is_allowed() -> None:
    assert AsyncSalesfinity(KEY, base_url="http://localhost:8000").base_url.startswith("http://")


def test_a_key_that_cannot_travel_in_a_header_is_refused_without_showing_it() -> None:
    with pytest.raises(ValueError, match="api_key") as raised:
        AsyncSalesfinity("secret with spaces")
    assert "secret" not in str(raised.value)


def test_the_repr_shows_the_settings_but_never_the_key() -> None:
    client = AsyncSalesfinity(KEY, max_concurrency=5, max_rate=20)
    text = repr(client)
    assert KEY not in text
    assert "https://client-api.salesfinity.co" in text
    assert "max_concurrency=5" in text
    assert "max_rate=20" in text


def test_http_client_and_transport_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        AsyncSalesfinity(
            KEY,
            http_client=httpx.AsyncClient(),
            transport=httpx.MockTransport(CREATED),
        )


async def test_an_injected_http_client_is_used_and_left_open() -> None:
    api = ScriptedApi(reply(200, {"balance": 7}))
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http:
        async with AsyncSalesfinity(KEY, http_client=http, retry=NO_WAIT) as client:
            assert await client.credits() == 7
        assert not http.is_closed


async def test_every_request_carries_the_key_and_user_agent_on_a_made_or_injected_client() -> None:
    api = ScriptedApi(reply(200, {"balance": 7}), reply(200, {"balance": 7}))
    async with AsyncSalesfinity(KEY, transport=httpx.MockTransport(api), retry=NO_WAIT) as made:
        await made.credits()
    async with httpx.AsyncClient(transport=httpx.MockTransport(api)) as http:
        async with AsyncSalesfinity(KEY, http_client=http, retry=NO_WAIT) as injected:
            await injected.credits()
        assert "x-api-key" not in http.headers  # the caller's client is left as it was
    assert [r.headers["x-api-key"] for r in api.requests] == [KEY, KEY]
    assert all(r.headers["user-agent"].startswith("sfy-pandas") for r in api.requests)


class ClosableTransport(httpx.MockTransport):
    closed = False

    async def aclose(self) -> None:
        self.closed = True


async def test_the_client_closes_the_http_client_it_made() -> None:
    transport = ClosableTransport(CREATED)
    client = AsyncSalesfinity(KEY, transport=transport)
    async with client:
        pass
    assert transport.closed
    with pytest.raises(RuntimeError, match="closed"):
        await client.credits()


# --- the four calls --------------------------------------------------------------


async def test_create_sends_the_contract_body_and_returns_the_pending_lookup(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(CREATED)
    client = make_client(api)
    lookup = await client.create(
        PROFILE, "personal", external_id="lead-42", callback_url="https://hooks.example.com/x"
    )
    assert lookup.id == ID_A
    assert lookup.status is Status.PENDING
    [request] = api.requests
    assert (request.method, request.url.path) == ("POST", "/v1/api/enrichment/email")
    assert request.headers["x-api-key"] == KEY
    assert json.loads(request.content) == {
        "linkedin_url": PROFILE,
        "type": "personal",
        "external_id": "lead-42",
        "callback_url": "https://hooks.example.com/x",
    }
    assert client.stats.requests["create"] == 1


async def test_create_leaves_out_optional_fields_that_were_not_given(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(CREATED)
    await make_client(api).create(PROFILE)
    assert json.loads(api.requests[0].content) == {"linkedin_url": PROFILE, "type": "work"}


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"linkedin_url": ""}, "linkedin_url"),
        ({"linkedin_url": PROFILE, "type": "home"}, "type"),
        ({"linkedin_url": PROFILE, "external_id": "x" * 257}, "external_id"),
        ({"linkedin_url": PROFILE, "callback_url": "ftp://x"}, "callback_url"),
    ],
)
async def test_create_refuses_bad_arguments_before_sending_anything(
    make_client: MakeClient, kwargs: dict[str, Any], named: str
) -> None:
    api = ScriptedApi(CREATED)
    with pytest.raises(ValueError, match=named):
        await make_client(api).create(**kwargs)
    assert api.requests == []


async def test_get_reads_a_lookup_and_ignores_unknown_fields(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(200, lookup_json(ID_A, enrichment_type="work_email", shiny="new")))
    lookup = await make_client(api).get(ID_A)
    assert api.paths() == [f"GET /v1/api/enrichment/email/{ID_A}"]
    assert lookup.status is Status.COMPLETED
    assert lookup.email == "jane@example.com"
    assert lookup.enrichment_type == "work_email"


async def test_get_tolerates_a_running_lookup_with_only_id_and_status(
    make_client: MakeClient,
) -> None:
    lookup = await make_client(ScriptedApi(reply(200, {"_id": ID_A, "status": "processing"}))).get(
        ID_A
    )
    assert (lookup.status, lookup.email, lookup.linkedin_url) == (Status.PROCESSING, None, None)


async def test_get_of_an_unknown_id_raises_not_found(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(404, {"error": "NOT_FOUND", "message": "no such lookup"}))
    with pytest.raises(NotFoundError, match="no such lookup") as raised:
        await make_client(api).get(ID_A)
    assert raised.value.status_code == 404
    assert len(api.requests) == 1


async def test_get_refuses_an_answer_whose_id_is_another_lookups(make_client: MakeClient) -> None:
    """Regression (issue 15): get(id) accepted an answer about another lookup."""
    api = ScriptedApi(reply(200, lookup_json(ID_B)))
    with pytest.raises(InvalidResponseError, match=f"{ID_B}.*not the '{ID_A}' asked for"):
        await make_client(api).get(ID_A)


async def test_the_get_fallback_refuses_an_answer_about_another_lookup(
    make_client: MakeClient,
) -> None:
    api = RoutedApi(
        {
            BATCH: reply(404, {}),
            f"GET /v1/api/enrichment/email/{ID_A}": reply(200, lookup_json(ID_B)),
        }
    )
    with pytest.raises(InvalidResponseError, match="not the"):
        await make_client(api).query([ID_A])


async def test_get_refuses_an_id_that_would_change_the_url(make_client: MakeClient) -> None:
    api = ScriptedApi(CREATED)
    with pytest.raises(ValueError, match="id"):
        await make_client(api).get("../credits")
    assert api.requests == []


async def test_credits_returns_the_balance(make_client: MakeClient) -> None:
    assert await make_client(ScriptedApi(reply(200, {"balance": 250}))).credits() == 250


@pytest.mark.parametrize(
    "answer",
    [
        reply(200, "<html>maintenance</html>"),
        reply(200, {"credits": 5}),
        reply(200, {"balance": "lots"}),
        reply(200, [1, 2]),
    ],
)
async def test_a_credits_answer_off_the_contract_is_an_invalid_response(
    make_client: MakeClient, answer: Answer
) -> None:
    with pytest.raises(InvalidResponseError, match="credits"):
        await make_client(ScriptedApi(answer)).credits()


@pytest.mark.parametrize(
    "answer",
    [reply(201, "not json"), reply(201, {"status": "pending"}), reply(201, ["a list"])],
)
async def test_a_create_answer_off_the_contract_is_an_invalid_response(
    make_client: MakeClient, answer: Answer
) -> None:
    with pytest.raises(InvalidResponseError, match="/v1/api/enrichment/email"):
        await make_client(ScriptedApi(answer)).create(PROFILE)


# --- query: the batch endpoint and its fallback --------------------------------------

BATCH = "POST /v1/api/enrichment/email/batch/query"


async def test_query_uses_the_batch_endpoint_and_returns_lookups_in_the_order_asked(
    make_client: MakeClient,
) -> None:
    api = RoutedApi(
        {BATCH: reply(200, [lookup_json(ID_B, "pending", dataFound=None), lookup_json(ID_A)])}
    )
    client = make_client(api)
    lookups = await client.query([ID_A, ID_B, ID_C])
    assert [lookup.id for lookup in lookups] == [ID_A, ID_B]  # ID_C unknown: left out
    assert json.loads(api.requests[0].content) == {
        "tasks": [{"id": ID_A}, {"id": ID_B}, {"id": ID_C}]
    }
    assert client.stats.batch_supported is True
    assert client.stats.requests["query"] == 1


@pytest.mark.parametrize("missing", [404, 405])
async def test_a_server_without_the_batch_endpoint_is_queried_by_get_and_remembered(
    make_client: MakeClient, missing: int
) -> None:
    api = RoutedApi(
        {
            BATCH: reply(missing, {"error": "NOT_FOUND"}),
            f"GET /v1/api/enrichment/email/{ID_A}": reply(200, lookup_json(ID_A)),
            f"GET /v1/api/enrichment/email/{ID_B}": reply(200, lookup_json(ID_B, "pending")),
        }
    )
    client = make_client(api)
    first = await client.query([ID_A, ID_B, ID_C])
    second = await client.query([ID_B])
    assert [lookup.id for lookup in first] == [ID_A, ID_B]  # ID_C answered 404: left out
    assert [lookup.status for lookup in second] == [Status.PENDING]
    assert api.count(BATCH) == 1  # the second query went straight to GETs
    assert client.stats.batch_supported is False
    assert client.stats.requests == {"create": 0, "get": 4, "query": 1, "credits": 0}


async def test_a_failing_get_in_the_fallback_raises_its_error(make_client: MakeClient) -> None:
    api = RoutedApi({BATCH: reply(404, {})}, default=reply(401, {"error": "UNAUTHORIZED"}))
    with pytest.raises(AuthenticationError):
        await make_client(api).query([ID_A, ID_B])


async def test_the_fallback_keeps_to_the_concurrency_limit(make_client: MakeClient) -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        if request.url.path.endswith("/batch/query"):
            return httpx.Response(404)
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return httpx.Response(200, json=lookup_json(request.url.path.rsplit("/", 1)[1]))

    ids = [f"{i:024x}" for i in range(200)]
    lookups = await make_client(handler, max_concurrency=3).query(ids)
    assert len(lookups) == 200
    assert peak == 3


async def test_query_drops_lookups_for_ids_it_never_asked_for(make_client: MakeClient) -> None:
    """Regression (issue 15): query(ids) kept lookups for ids never asked about."""
    answer = [lookup_json(ID_C), lookup_json(ID_B, "pending"), lookup_json(ID_A)]
    client = make_client(ScriptedApi(reply(200, answer)))
    lookups = await client.query([ID_A, ID_B])
    assert [lookup.id for lookup in lookups] == [ID_A, ID_B]
    assert client.stats.unasked_lookups == 1


async def test_query_keeps_the_first_of_two_answers_for_one_id(make_client: MakeClient) -> None:
    answer = [lookup_json(ID_A, "pending"), lookup_json(ID_A, "completed")]
    client = make_client(ScriptedApi(reply(200, answer)))
    [lookup] = await client.query([ID_A])
    assert lookup.status is Status.PENDING
    assert client.stats.unasked_lookups == 1


async def test_query_refuses_more_than_200_ids(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(200, []))
    with pytest.raises(ValueError, match="ids"):
        await make_client(api).query([f"{i:024x}" for i in range(201)])
    assert api.requests == []


async def test_query_refuses_an_empty_list_and_a_bare_string(make_client: MakeClient) -> None:
    client = make_client(ScriptedApi(reply(200, [])))
    with pytest.raises(ValueError, match="ids"):
        await client.query([])
    with pytest.raises(TypeError, match="ids"):
        await client.query(ID_A)


async def test_a_batch_answer_that_is_not_a_list_is_an_invalid_response(
    make_client: MakeClient,
) -> None:
    with pytest.raises(InvalidResponseError, match="array"):
        await make_client(ScriptedApi(reply(200, {"results": []}))).query([ID_A])


# --- errors the analyst reads -------------------------------------------------------


async def test_a_400_is_not_retried_and_carries_the_apis_own_message(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(
        reply(400, {"error": "VALIDATION_ERROR", "message": "linkedin_url must be a profile"})
    )
    with pytest.raises(BadRequestError, match="linkedin_url must be a profile") as raised:
        await make_client(api).create(PROFILE)
    assert raised.value.status_code == 400
    assert "VALIDATION_ERROR" in raised.value.body
    assert len(api.requests) == 1


async def test_a_401_tells_the_analyst_to_check_the_key(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(401, {"error": "UNAUTHORIZED"}))
    with pytest.raises(AuthenticationError) as raised:
        await make_client(api).create(PROFILE)
    assert str(raised.value) == (
        "The API key was refused (401 Unauthorized). "
        "Check SALESFINITY_API_KEY or the api_key argument."
    )
    assert len(api.requests) == 1


async def test_a_402_tells_the_analyst_how_to_check_the_balance(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(402, {"error": "INSUFFICIENT_CREDITS"}))
    with pytest.raises(InsufficientCreditsError, match=r"credits\(\)") as raised:
        await make_client(api).create(PROFILE)
    assert raised.value.status_code == 402
    assert len(api.requests) == 1


@pytest.mark.parametrize("status", [403, 409, 422])
async def test_other_client_errors_are_not_retried(make_client: MakeClient, status: int) -> None:
    api = ScriptedApi(reply(status, {"message": "nope"}))
    with pytest.raises(APIStatusError, match="nope") as raised:
        await make_client(api).create(PROFILE)
    assert raised.value.status_code == status
    assert len(api.requests) == 1


async def test_the_request_id_of_an_error_answer_is_kept(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(400, {"message": "bad"}, {"x-request-id": "req-77"}))
    with pytest.raises(BadRequestError) as raised:
        await make_client(api).create(PROFILE)
    assert raised.value.request_id == "req-77"


KEY_LEAKS = [
    reply(400, {"message": f"key {KEY} is malformed"}),
    reply(401, {"error": "UNAUTHORIZED", "key": KEY}),
    reply(402, {"error": "NO_CREDITS"}),
    reply(500, f"crash while handling {KEY}"),
    reply(429, {}),
    fail(httpx.ConnectError, f"cannot connect for {KEY}"),
    fail(httpx.ReadTimeout),
]


@pytest.mark.parametrize("answer", KEY_LEAKS)
async def test_no_error_ever_shows_the_key(make_client: MakeClient, answer: Answer) -> None:
    with pytest.raises(SalesfinityError) as raised:
        await make_client(ScriptedApi(answer), retry=RetryPolicy(attempts=2, wait_scale=0)).create(
            PROFILE
        )
    assert KEY not in str(raised.value)
    assert KEY not in "".join(traceback.format_exception(raised.value))
    assert KEY not in getattr(raised.value, "body", "")


# --- retries ------------------------------------------------------------------------


async def test_a_429_with_retry_after_seconds_is_honoured_then_retried(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(reply(429, {}, {"Retry-After": "7"}), CREATED)
    client = make_client(api)
    lookup = await client.create(PROFILE)
    assert lookup.id == ID_A
    assert len(api.requests) == 2
    assert client.stats.waited_seconds == 7
    assert (client.stats.rate_limited, client.stats.retries) == (1, 1)
    assert client.stats.ambiguous_creates == 0


async def test_a_429_with_retry_after_as_an_http_date_is_honoured(
    make_client: MakeClient,
) -> None:
    in_30_s = formatdate(time.time() + 30, usegmt=True)
    api = ScriptedApi(reply(429, {}, {"Retry-After": in_30_s}), CREATED)
    client = make_client(api)
    await client.create(PROFILE)
    assert len(api.requests) == 2
    assert 28 <= client.stats.waited_seconds <= 30


async def test_a_429_without_retry_after_backs_off_with_jitter(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(429, {}), reply(429, {}), CREATED)
    client = make_client(api, retry=RetryPolicy(wait_initial=1.0, wait_scale=0))
    await client.create(PROFILE)
    assert len(api.requests) == 3
    # Attempt 1 waits 0.5-1 s, attempt 2 waits 1-2 s.
    assert 1.5 <= client.stats.waited_seconds <= 3.0


async def test_a_huge_retry_after_is_capped(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(429, {}, {"Retry-After": "3600"}), CREATED)
    client = make_client(api, retry=RetryPolicy(retry_after_max=60, timeout=600, wait_scale=0))
    await client.create(PROFILE)
    assert client.stats.waited_seconds == 60


async def test_the_retry_after_wait_really_happens_without_the_test_switch(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(reply(429, {}, {"Retry-After": "1"}), CREATED)
    client = make_client(api, retry=RetryPolicy())
    started = time.monotonic()
    await client.create(PROFILE)
    assert time.monotonic() - started >= 0.95


async def test_a_retry_after_beyond_the_time_budget_gives_up_at_once(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(reply(429, {}, {"Retry-After": "30"}), CREATED)
    client = make_client(api, retry=RetryPolicy(timeout=5))
    started = time.monotonic()
    with pytest.raises(RateLimitError, match="429"):
        await client.create(PROFILE)
    assert time.monotonic() - started < 1
    assert len(api.requests) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_an_ambiguous_server_error_on_create_is_retried_and_counted(
    make_client: MakeClient, status: int
) -> None:
    api = ScriptedApi(reply(status, {"error": "INTERNAL_ERROR"}), CREATED)
    client = make_client(api)
    assert (await client.create(PROFILE)).id == ID_A
    assert len(api.requests) == 2
    assert client.stats.ambiguous_creates == 1
    assert client.stats.retries == 1


@pytest.mark.parametrize("status", [503, 408])
async def test_an_unprocessed_failure_on_create_is_retried_but_not_ambiguous(
    make_client: MakeClient, status: int
) -> None:
    api = ScriptedApi(reply(status, {}), CREATED)
    client = make_client(api)
    await client.create(PROFILE)
    assert len(api.requests) == 2
    assert client.stats.ambiguous_creates == 0


async def test_a_server_error_on_a_read_is_retried_and_not_counted_as_a_create(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(reply(500, {}), reply(200, lookup_json(ID_A)))
    client = make_client(api)
    await client.get(ID_A)
    assert len(api.requests) == 2
    assert client.stats.ambiguous_creates == 0


@pytest.mark.parametrize(
    ("failure", "ambiguous"),
    [
        (fail(httpx.RemoteProtocolError, "Server disconnected without sending a response."), 1),
        (fail(httpx.ReadError, "connection reset"), 1),
        (fail(httpx.ReadTimeout, "timed out"), 1),
        (fail(httpx.ConnectError, "connection refused"), 0),
        (fail(httpx.ConnectTimeout, "timed out"), 0),
    ],
)
async def test_a_transport_failure_on_create_is_retried(
    make_client: MakeClient, failure: Answer, ambiguous: int
) -> None:
    api = ScriptedApi(failure, CREATED)
    client = make_client(api)
    assert (await client.create(PROFILE)).id == ID_A
    assert len(api.requests) == 2
    assert client.stats.ambiguous_creates == ambiguous


async def test_server_errors_stop_after_the_attempts_bound(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(503, {"message": "overloaded"}))
    with pytest.raises(ServerError, match="after 3 attempts") as raised:
        await make_client(api, retry=RetryPolicy(attempts=3, wait_scale=0)).create(PROFILE)
    assert raised.value.status_code == 503
    assert len(api.requests) == 3


async def test_rate_limiting_stops_after_the_attempts_bound(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(429, {}, {"Retry-After": "1"}))
    client = make_client(api, retry=RetryPolicy(attempts=4, wait_scale=0))
    with pytest.raises(RateLimitError, match="after 4 attempts"):
        await client.create(PROFILE)
    assert len(api.requests) == 4
    assert client.stats.rate_limited == 4


async def test_retries_stop_at_the_total_time_bound(make_client: MakeClient) -> None:
    requests = 0

    async def slow_and_failing(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        await asyncio.sleep(0.05)
        return httpx.Response(502)

    client = make_client(
        slow_and_failing, retry=RetryPolicy(attempts=100, timeout=0.2, wait_scale=0)
    )
    started = time.monotonic()
    with pytest.raises(ServerError, match="502"):
        await client.create(PROFILE)
    assert time.monotonic() - started < 1
    assert 2 <= requests <= 6


async def test_time_spent_queued_for_a_slot_does_not_count_against_the_retries(
    make_client: MakeClient,
) -> None:
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(0.2)  # holds the only slot while the second waits
        return CREATED(request) if calls != 2 else httpx.Response(503)

    client = make_client(handler, max_concurrency=1, retry=RetryPolicy(timeout=0.1, wait_scale=0))
    first, second = await asyncio.gather(client.create(PROFILE), client.create(PROFILE))
    assert (first.id, second.id) == (ID_A, ID_A)
    assert calls == 3


async def test_an_unreachable_api_is_a_connection_error_after_the_retries(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(fail(httpx.ConnectError, "[Errno 111] Connection refused"))
    client = make_client(api, retry=RetryPolicy(attempts=3, wait_scale=0))
    with pytest.raises(APIConnectionError, match="Could not reach") as raised:
        await client.credits()
    assert not isinstance(raised.value, httpx.HTTPError)
    assert "https://client-api.salesfinity.co" in str(raised.value)
    assert len(api.requests) == 3


async def test_an_api_that_never_answers_in_time_is_a_timeout_error(
    make_client: MakeClient,
) -> None:
    api = ScriptedApi(fail(httpx.ReadTimeout, "timed out"))
    with pytest.raises(APITimeoutError, match="in time"):
        await make_client(api, retry=RetryPolicy(attempts=2, wait_scale=0)).get(ID_A)
    assert len(api.requests) == 2


async def test_a_failure_that_would_repeat_is_not_retried(make_client: MakeClient) -> None:
    api = ScriptedApi(fail(httpx.UnsupportedProtocol, "Request URL has an unsupported protocol"))
    with pytest.raises(APIConnectionError):
        await make_client(api).credits()
    assert len(api.requests) == 1


async def test_stats_count_every_request_sent(make_client: MakeClient) -> None:
    api = ScriptedApi(reply(503, {}), CREATED)
    client = make_client(api)
    await client.create(PROFILE)
    stats = client.stats.as_dict()
    assert stats["requests"]["create"] == 2
    assert stats["total_requests"] == 2
    assert stats["batch_supported"] is None
    assert stats["concurrency_limit"] == 8
