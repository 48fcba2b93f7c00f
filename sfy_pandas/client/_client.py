"""``AsyncSalesfinity``: the only place in the project that speaks HTTP.

One method per endpoint of the API (``API.md``): :meth:`~AsyncSalesfinity.create`,
:meth:`~AsyncSalesfinity.get`, :meth:`~AsyncSalesfinity.query` (the batch status
query, or per-id ``GET`` where the server lacks it) and
:meth:`~AsyncSalesfinity.credits`.

What does no I/O lives elsewhere: request bodies, answers and error messages in
``_wire.py``, retry rules in ``_retry.py``, the learned pace in ``_pace.py``.
Sending, with retries, pacing and limits on answers, is ``_sending.py``; this
class holds the configuration and the four calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from http.cookiejar import Cookie, CookieJar
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, TypeVar

import httpx

from .._config import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    require_api_key,
    resolve_base_url,
)
from .._models import EmailType, Lookup
from ._answer import DEFAULT_ANSWER_TIMEOUT, DEFAULT_MAX_ANSWER_BYTES, Answer, AnswerLimits
from ._pace import Pace, shared_pace
from ._pacing import Pacer
from ._retry import RetryPolicy
from ._sending import Sender
from ._stats import ClientStats
from ._wire import (
    BATCH_QUERY_PATH,
    CREATE_PATH,
    CREDITS_PATH,
    GET_PATH,
    check_lookup_id,
    check_lookup_ids,
    create_payload,
    parse_balance,
    parse_lookup,
    parse_lookups,
    query_payload,
)

# ClientStats is re-exported for `sfy_pandas/__init__.py`, which imports it from here.
__all__ = ["DEFAULT_MAX_CONCURRENCY", "AsyncSalesfinity", "ClientStats"]

#: Requests in flight by default. Past a handful, httpx's own CPU per request
#: doubles (0.9 ms at 4, 1.9 ms at 16 on a 2-core machine, FACTS.md), while a
#: real API's latency (~100 ms) still wants several in flight: 8 gives ~80
#: requests/s there. A run passes its own ``concurrency`` instead.
DEFAULT_MAX_CONCURRENCY = 8

_BATCH_MISSING = frozenset({404, 405})
_GET_MISSING = frozenset({404})
_T = TypeVar("_T")


def _user_agent() -> str:
    try:
        return f"sfy-pandas/{version('sfy-pandas')}"
    except PackageNotFoundError:  # a source tree that was never installed
        return "sfy-pandas"


def _timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    if timeout is None:
        return httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return httpx.Timeout(float(timeout), connect=min(float(timeout), DEFAULT_CONNECT_TIMEOUT))


class AsyncSalesfinity:
    """Async client of the Salesfinity email-enrichment API.

    ::

        async with AsyncSalesfinity() as client:          # key from SALESFINITY_API_KEY
            lookup = await client.create("https://www.linkedin.com/in/janedoe")
            [lookup] = await client.query([lookup.id])

    Each setting comes from the keyword argument, else the environment
    (``SALESFINITY_API_KEY``, ``SALESFINITY_BASE_URL``), else the real API's URL.
    The key is sent as the ``x-api-key`` header and left out of every repr and
    message.

    - ``http_client``: an ``httpx.AsyncClient`` to send with (left open by
      :meth:`aclose`); or ``transport``: an ``httpx.AsyncBaseTransport`` for the
      client made here (``httpx.MockTransport``, ``httpx.ASGITransport``). Not both.
    - ``timeout``: seconds between two bytes of an answer (default 30 s, and 10 s
      to connect), or an ``httpx.Timeout``; for the client made here.
    - ``answer_timeout``: seconds a whole answer may take, however steadily its
      bytes drip (default 60 s); ``max_answer_bytes``: the largest answer read
      (default 1 MiB). Past either, the request fails with a clear error.
    - ``max_concurrency``: requests in flight at most, exactly (default 8);
      ``max_rate``: requests per second at most (default: none).
    - The pace: every client of one API key at one base URL in this process
      shares a pace learned from the API's 429s (``_pace.py``), so the limit is
      learned once. ``pace=`` gives a client its own instead.
    - ``retry``: a :class:`RetryPolicy` (attempts, total time, waits). The test
      switch is ``retry=RetryPolicy(wait_scale=0)``: every wait becomes zero (and
      the client's pace is its own, so tests do not teach each other).

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
        answer_timeout: float = DEFAULT_ANSWER_TIMEOUT,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER_BYTES,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        max_rate: float | None = None,
        retry: RetryPolicy | None = None,
        pace: Pace | None = None,
    ) -> None:
        key = require_api_key(api_key)
        self._api_key = key
        self._base_url = resolve_base_url(base_url)
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry must be a RetryPolicy, not {type(retry).__name__}")
        if pace is not None and not isinstance(pace, Pace):
            raise TypeError(f"pace must be a Pace, not {type(pace).__name__}")
        self._retry = retry or RetryPolicy()
        if pace is None:
            pace = Pace() if self._retry.wait_scale == 0 else shared_pace(self._base_url, key)
        self._pacer = Pacer(
            max_concurrency, max_rate=max_rate, pace=pace, wait_scale=self._retry.wait_scale
        )
        limits = AnswerLimits(max_answer_bytes, answer_timeout)
        headers = {"x-api-key": key, "user-agent": _user_agent()}
        self._http = self._http_client(
            http_client, transport, _timeout(timeout), max_concurrency, headers
        )
        self._owns_http = http_client is None
        self.stats = ClientStats(
            concurrency_limit=max_concurrency,
            rate_cap=self._pacer.rate,
            rate_estimate=pace.estimate,  # what other clients of the key have measured
        )
        self._sender = Sender(
            self._http,
            base_url=self._base_url,
            # A client made here holds the headers itself: merging them into
            # every request is a real share of httpx's cost per request.
            headers=None if self._owns_http else headers,
            retry=self._retry,
            pacer=self._pacer,
            limits=limits,
            stats=self.stats,
            redact=self._redact,
        )
        self._closed = False

    @staticmethod
    def _http_client(
        http_client: httpx.AsyncClient | None,
        transport: httpx.AsyncBaseTransport | None,
        timeout: httpx.Timeout,
        max_concurrency: int,
        headers: dict[str, str],
    ) -> httpx.AsyncClient:
        if http_client is not None and transport is not None:
            raise ValueError("pass http_client or transport, not both")
        if http_client is not None:
            if not isinstance(http_client, httpx.AsyncClient):
                raise TypeError(
                    f"http_client must be an httpx.AsyncClient, not {type(http_client).__name__}"
                )
            return http_client
        return httpx.AsyncClient(
            transport=transport,
            headers=headers,
            cookies=_NoCookies(),
            timeout=timeout,
            # A connection per request in flight, kept alive between requests.
            limits=httpx.Limits(
                max_connections=max_concurrency, max_keepalive_connections=max_concurrency
            ),
        )

    @property
    def base_url(self) -> str:
        """The API root every request goes to."""
        return self._base_url

    @property
    def pace(self) -> Pace:
        """The pace this client sends at (shared with the other clients of its key)."""
        return self._pacer.pace

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, "
            f"max_concurrency={self._pacer.max_concurrency}, max_rate={self._pacer.max_rate}, "
            f"retry={self._retry!r})"
        )

    def _redact(self, text: str) -> str:
        return text.replace(self._api_key, "[redacted]")

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
        """The current state of one lookup; :class:`NotFoundError` when there is none.

        An answer about another lookup is refused (:class:`InvalidResponseError`).
        """
        lookup_id = check_lookup_id(id)
        path = GET_PATH.format(id=lookup_id)
        return parse_lookup(await self._send("get", "GET", path), expected_id=lookup_id)

    async def query(self, ids: Iterable[str]) -> list[Lookup]:
        """The current state of 1 to 200 lookups, in the order of ``ids``.

        Ids the server does not know are left out, and so is any lookup the
        server sends for an id not in ``ids`` (counted in
        ``stats.unasked_lookups``). Uses the batch query; where the server answers
        404/405 to it, one ``GET`` per id instead, for the rest of this client's life.
        """
        wanted = check_lookup_ids(ids)
        if self.stats.batch_supported is not False:
            response = await self._send(
                "query", "POST", BATCH_QUERY_PATH, query_payload(wanted), accept=_BATCH_MISSING
            )
            if response.status_code not in _BATCH_MISSING:
                self.stats.batch_supported = True
                lookups, dropped = parse_lookups(response, wanted)
                self.stats.unasked_lookups += dropped
                return lookups
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
        if response.status_code == 404:
            return None
        return parse_lookup(response, expected_id=lookup_id)

    async def _send(
        self,
        endpoint: str,
        method: str,
        path: str,
        payload: object = None,
        *,
        accept: frozenset[int] = frozenset(),
    ) -> Answer:
        if self._closed:
            raise RuntimeError("this AsyncSalesfinity client is closed; make a new one")
        return await self._sender.send(endpoint, method, path, payload, accept=accept)


class _NoCookies(CookieJar):
    """A jar that keeps nothing: the API knows a client by its key, never by a cookie.

    A server's ``Set-Cookie`` is not sent back, and the parse httpx makes of
    every answer's headers for cookies (a real share of its cost per request)
    stops at the door.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Cookie) -> None:
        return None


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
