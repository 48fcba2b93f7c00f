"""``AsyncSalesfinity``: the only place in the project that speaks HTTP.

One method per endpoint of the API (``API.md``): :meth:`~AsyncSalesfinity.create`,
:meth:`~AsyncSalesfinity.get`, :meth:`~AsyncSalesfinity.query` (the batch status
query, or per-id ``GET`` where the server lacks it) and
:meth:`~AsyncSalesfinity.credits`.

What does no I/O lives elsewhere: request bodies, answers and error messages in
``_wire.py``, retry rules in ``_retry.py``, the pacing discipline in
``_pacing.py``, configuration in :class:`BaseSalesfinity`. The async class adds
only the sending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, TypeVar

import httpx

from .._config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    resolve_api_key,
    resolve_base_url,
)
from .._errors import SalesfinityError
from .._models import EmailType, Lookup
from ._pacing import Pacer
from ._retry import (
    RetryPolicy,
    Verdict,
    classify_status,
    classify_transport_error,
    parse_retry_after,
)
from ._wire import (
    BATCH_QUERY_PATH,
    CREATE_PATH,
    CREDITS_PATH,
    ENDPOINTS,
    GET_PATH,
    check_lookup_id,
    check_lookup_ids,
    create_payload,
    parse_balance,
    parse_lookup,
    parse_lookups,
    query_payload,
    status_error,
    transport_error,
)

__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncSalesfinity", "BaseSalesfinity", "ClientStats"]

#: Requests in flight by default. Past a handful, httpx's own CPU per request
#: doubles (0.9 ms at 4, 1.9 ms at 16 on a 2-core machine, FACTS.md), while a
#: real API's latency (~100 ms) still wants several in flight: 8 gives ~80
#: requests/s there and keeps a local simulator near the client's ceiling.
DEFAULT_MAX_CONCURRENCY = 8

# Visible ASCII only: a key that cannot travel in a header fails here, clearly,
# instead of deep in the HTTP stack with the key in the message.
_BATCH_MISSING = frozenset({404, 405})
_GET_MISSING = frozenset({404})
_T = TypeVar("_T")


def _user_agent() -> str:
    try:
        return f"sfy-pandas/{version('sfy-pandas')}"
    except PackageNotFoundError:  # a source tree that was never installed
        return "sfy-pandas"


@dataclass
class ClientStats:
    """What one client has done so far; updated in place as requests go out."""

    #: Requests sent (every attempt counts) per endpoint: create, get, query, credits.
    requests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENDPOINTS, 0))
    #: Attempts sent again after a retryable failure.
    retries: int = 0
    #: 429 answers received.
    rate_limited: int = 0
    #: Create attempts whose outcome was ambiguous (500/502/504, read time-out,
    #: dropped connection): each may have made a lookup the client never heard of.
    ambiguous_creates: int = 0
    #: Whether the server has the batch query: None until the first query says.
    batch_supported: bool | None = None
    #: Requests allowed in flight right now (cut on 429s, recovering slowly).
    concurrency_limit: int = DEFAULT_MAX_CONCURRENCY
    #: Requests/s allowed right now: ``max_rate``, or a cap learned from 429s; None: no cap.
    rate_cap: float | None = None
    #: Seconds of wait before retries, as decided (before ``RetryPolicy.wait_scale``).
    waited_seconds: float = 0.0

    @property
    def total_requests(self) -> int:
        """Every request sent, all endpoints together."""
        return sum(self.requests.values())

    def as_dict(self) -> dict[str, Any]:
        """A plain copy, for logs and benchmark reports."""
        return {**asdict(self), "total_requests": self.total_requests}


class BaseSalesfinity:
    """Configuration shared by clients; no I/O.

    Each setting comes from the keyword argument, else the environment
    (``SALESFINITY_API_KEY``, ``SALESFINITY_BASE_URL``), else the real API's URL.
    The key is kept in private attributes, sent as the ``x-api-key`` header of each
    request, and left out of every repr and message.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_rate: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        key = resolve_api_key(api_key)
        if key is None:
            raise ValueError(
                "No Salesfinity API key: pass api_key=... or set the "
                "SALESFINITY_API_KEY environment variable."
            )
        if not isinstance(max_concurrency, int) or isinstance(max_concurrency, bool):
            raise TypeError(f"max_concurrency must be an int, not {type(max_concurrency).__name__}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        self._api_key = key
        self._headers = {"x-api-key": key, "user-agent": _user_agent()}
        self._base_url = resolve_base_url(base_url)
        self._retry = retry or RetryPolicy()
        self._pacer = Pacer(max_concurrency, max_rate=max_rate, wait_scale=self._retry.wait_scale)
        self.stats = ClientStats(concurrency_limit=max_concurrency, rate_cap=max_rate)

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._base_url

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, "
            f"max_concurrency={self._pacer.max_concurrency}, max_rate={self._pacer.max_rate}, "
            f"retry={self._retry!r})"
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]")

    def _failure(
        self,
        response: httpx.Response | None,
        error: httpx.HTTPError | None,
        attempts: int,
        elapsed: float,
    ) -> SalesfinityError:
        """The exception for a request that will not be sent again."""
        if response is not None:
            return status_error(response, attempts=attempts, elapsed=elapsed, redact=self._redact)
        assert error is not None
        return transport_error(
            error, base_url=self._base_url, attempts=attempts, elapsed=elapsed, redact=self._redact
        )


class AsyncSalesfinity(BaseSalesfinity):
    """Async client of the Salesfinity email-enrichment API.

    ::

        async with AsyncSalesfinity() as client:          # key from SALESFINITY_API_KEY
            lookup = await client.create("https://www.linkedin.com/in/janedoe")
            [lookup] = await client.query([lookup.id])

    - ``http_client``: an ``httpx.AsyncClient`` to send with (left open by
      :meth:`aclose`); or ``transport``: an ``httpx.AsyncBaseTransport`` for the
      client made here (``httpx.MockTransport``, ``httpx.ASGITransport``). Not both.
    - ``timeout``: for the client made here (default 10 s to connect, 30 s to
      read); an injected ``http_client`` keeps its own.
    - ``max_concurrency``: requests in flight at most (default 8); ``max_rate``:
      requests per second at most, evenly spaced (default: none). On a 429 every
      request waits out its ``Retry-After``, the concurrency limit is halved and a
      rate cap is learned; both recover slowly with successes (``_pacing.py``).
    - ``retry``: a :class:`RetryPolicy` (attempts, total time, waits). The test
      switch is ``retry=RetryPolicy(wait_scale=0)``: every wait becomes zero.

    :attr:`stats` counts what was sent, retried, rate limited and ambiguous.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_rate: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url=base_url,
            max_concurrency=max_concurrency,
            max_rate=max_rate,
            retry=retry,
        )
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError(
                f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
            )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
            if timeout is None
            else timeout,
            # A connection per request in flight, kept alive between requests.
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
        )
        self._closed = False

    async def __aenter__(self) -> AsyncSalesfinity:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client this object made (an injected one is left open)."""
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    # --- the four calls ---

    async def create(
        self,
        linkedin_url: str,
        type: EmailType | str = EmailType.WORK,
        external_id: str | None = None,
        callback_url: str | None = None,
    ) -> Lookup:
        """Ask for the email of one profile; returns the new lookup (keep its ``id``).

        Each create may be charged: send a profile once. An attempt whose outcome
        was ambiguous is retried and counted in ``stats.ambiguous_creates``.
        """
        payload = create_payload(linkedin_url, type, external_id, callback_url)
        return parse_lookup(await self._send("create", "POST", CREATE_PATH, payload))

    async def get(self, id: str) -> Lookup:
        """The current state of one lookup; :class:`NotFoundError` when there is none."""
        path = GET_PATH.format(id=check_lookup_id(id))
        return parse_lookup(await self._send("get", "GET", path))

    async def query(self, ids: Iterable[str]) -> list[Lookup]:
        """The current state of 1 to 200 lookups, in the order of ``ids``.

        Ids the server does not know are left out. Uses the batch query; where the
        server answers 404/405 to it, one ``GET`` per id instead, for the rest of
        this client's life.
        """
        wanted = check_lookup_ids(ids)
        if self.stats.batch_supported is not False:
            response = await self._send(
                "query", "POST", BATCH_QUERY_PATH, query_payload(wanted), accept=_BATCH_MISSING
            )
            if response.status_code not in _BATCH_MISSING:
                self.stats.batch_supported = True
                return parse_lookups(response, wanted)
            self.stats.batch_supported = False
        # At most MAX_BATCH GETs at once, and the pacer's limit on top.
        found = await _gather_or_cancel([self._get_if_exists(i) for i in wanted])
        return [lookup for lookup in found if lookup is not None]

    async def credits(self) -> int:
        """The account's enrichment credit balance."""
        return parse_balance(await self._send("credits", "GET", CREDITS_PATH))

    async def _get_if_exists(self, lookup_id: str) -> Lookup | None:
        path = GET_PATH.format(id=lookup_id)
        response = await self._send("get", "GET", path, accept=_GET_MISSING)
        return None if response.status_code == 404 else parse_lookup(response)

    # --- sending, with retries and pacing ---

    async def _send(
        self,
        endpoint: str,
        method: str,
        path: str,
        payload: object = None,
        *,
        accept: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        """Send until a final answer: a 2xx (or ``accept``-ed) response, else raise.

        Each attempt takes a slot from the pacer; a retryable failure waits (a 429
        closes the pacer's gate for everyone instead, and the next attempt waits
        there) and tries again, within the retry policy's attempts and total time.
        """
        if self._closed:
            raise RuntimeError("this AsyncSalesfinity client is closed; make a new one")
        url = self._base_url + path
        policy, pacer, stats = self._retry, self._pacer, self.stats
        start = 0.0  # the first send: time queued in the pacer is not retry time
        attempt = 0
        while True:
            attempt += 1
            sent_at = await pacer.acquire()
            start = start or sent_at
            stats.requests[endpoint] += 1
            response: httpx.Response | None = None
            error: httpx.HTTPError | None = None
            try:
                response = await self._http.request(
                    method, url, json=payload, headers=self._headers
                )
            except httpx.HTTPError as exc:
                error = exc
            finally:
                pacer.release()

            if response is None:
                assert error is not None
                verdict = classify_transport_error(error)
            else:
                verdict = classify_status(response.status_code)
                if not verdict.rate_limited:
                    pacer.on_success(sent_at)
                    stats.concurrency_limit, stats.rate_cap = pacer.limit, pacer.rate
                if response.is_success or response.status_code in accept:
                    return response

            if verdict.retry:
                wait = self._note_failure(verdict, endpoint, attempt, response, sent_at)
                scaled = wait * policy.wait_scale
                if (
                    attempt < policy.attempts
                    and time.monotonic() - start + scaled <= policy.timeout
                ):
                    stats.retries += 1
                    stats.waited_seconds += wait
                    if scaled > 0 and not verdict.rate_limited:  # a 429 waits at the gate
                        await asyncio.sleep(scaled)
                    continue
            # from None: the message already names the httpx error, and the raw one
            # (with its request and headers) stays out of tracebacks.
            raise self._failure(response, error, attempt, time.monotonic() - start) from None

    def _note_failure(
        self,
        verdict: Verdict,
        endpoint: str,
        attempt: int,
        response: httpx.Response | None,
        sent_at: float,
    ) -> float:
        """Count a retryable failure; return the wait it calls for (before scaling).

        A 429 also closes the pacer's gate for every request of the client (and
        cuts its limits), whether or not this request will be sent again.
        """
        stats = self.stats
        retry_after = None
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
        wait = self._retry.wait(attempt, retry_after)
        if verdict.rate_limited:
            stats.rate_limited += 1
            self._pacer.on_rate_limited(sent_at, wait * self._retry.wait_scale)
            stats.concurrency_limit, stats.rate_cap = self._pacer.limit, self._pacer.rate
        if verdict.ambiguous and endpoint == "create":
            stats.ambiguous_creates += 1
        return wait


async def _gather_or_cancel(coros: list[Coroutine[Any, Any, _T]]) -> list[_T]:
    """Run coroutines together; on the first failure cancel the others and raise it."""
    tasks = [asyncio.ensure_future(coro) for coro in coros]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
