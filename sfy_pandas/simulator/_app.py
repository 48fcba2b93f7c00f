"""The simulator as one ASGI app: the gate every request passes, then the API routes.

The gate does, in order: count the request; maybe wait (a slow response); maybe
fail with 500/502/503 or a dropped connection before anything else happens;
apply the rate limit (a 429 uses up nothing else); and check the API key
(before any validation). A create that loses its answer is the create route's
business: the lookup must exist first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hmac
import time
from typing import TYPE_CHECKING, Any

from ._callbacks import CallbackDispatcher
from ._config import SimulatorConfig
from ._extras import require
from ._faults import FaultPlan, drop_connection, send_body, send_error
from ._ledger import Ledger
from ._outcomes import ExpectedOutcome, expected_outcome
from ._paths import BATCH_PATH, CREATE_PATH, CREDITS_PATH, LOOKUP_PREFIX
from ._ratelimit import TokenBucket, retry_after_header
from ._store import LookupStore

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

__all__ = ["Simulator", "create_app", "make_config"]

_RATE_LIMITED = b'{"error":"RATE_LIMITED","message":"Too many requests"}'
_UNAUTHORIZED = b'{"error":"UNAUTHORIZED","message":"Missing or invalid API key"}'

_ROUTES = {
    ("POST", CREATE_PATH): "create",
    ("POST", BATCH_PATH): "batch_query",
    ("GET", CREDITS_PATH): "credits",
}


class Simulator:
    """The Salesfinity email-enrichment API, simulated: an ASGI app with books and knobs.

    Serve it with :func:`serve_in_thread` (real HTTP on loopback) or mount it in
    process with ``httpx.ASGITransport(app=simulator)``. In process, nothing runs
    its lifespan, so ``await simulator.aclose()`` when done if callbacks were used.

    ``Simulator(seed=7, fault_rate=0.1)`` takes knobs as keywords (see
    :class:`SimulatorConfig`; ``profile="realistic"`` starts from that profile), or
    ``Simulator(config)`` takes a ready config.
    """

    def __init__(self, config: SimulatorConfig | None = None, /, **knobs: Any) -> None:
        require("starlette")
        from ._routes import build_app

        self.config = make_config(config, knobs)
        self._store = LookupStore(self.config)
        self._faults = FaultPlan(self.config)
        rate = self.config.rate_limit
        self._limiter = None if rate is None else TokenBucket(rate, self.config.burst)
        self._callbacks = CallbackDispatcher(self.config, self._store)
        self._api_key = None if self.config.api_key is None else self.config.api_key.encode()
        self._app = build_app(self.config, self._store, self._callbacks, self._faults)

    def __repr__(self) -> str:
        return f"Simulator({self.config!r})"

    @property
    def ledger(self) -> Ledger:
        """A snapshot of what was created, charged and sent so far (thread-safe)."""
        return self._store.ledger()

    @property
    def callbacks_pending(self) -> int:
        """Callbacks scheduled and not yet delivered or abandoned."""
        return self._callbacks.pending

    def expected_outcome(self, linkedin_url: str, type: str) -> ExpectedOutcome:
        """What this simulator answers for the profile and type: the ground truth.

        Raises ``ValueError`` for a URL or type it would refuse with a 400.
        """
        return expected_outcome(linkedin_url, type, self.config)

    def close(self) -> None:
        """Close the state file, if any; call once the server has stopped."""
        self._store.close()

    async def aclose(self) -> None:
        """Cancel callbacks not yet sent and close their HTTP client."""
        await self._callbacks.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        store = self._store
        method, path = scope["method"], scope["path"]
        route = _ROUTES.get((method, path))
        if route is None:
            lookup_id = path[len(LOOKUP_PREFIX) :] if path.startswith(LOOKUP_PREFIX) else ""
            route = "get" if method == "GET" and lookup_id and "/" not in lookup_id else "other"
        store.count_request(route)
        send = _CountingSend(send, store)

        faults = self._faults
        if faults.any:
            if faults.slow():
                store.count_fault("slow")
                await asyncio.sleep(self.config.slow_seconds)
            failure = faults.failure()
            if failure is not None:
                store.count_fault(failure)
                if failure == "drop":
                    await drop_connection(send)
                else:
                    await send_error(send, int(failure))
                return

        if self._limiter is not None:
            wait = self._limiter.take(time.monotonic())
            if wait:
                header = retry_after_header(self.config.retry_after, wait)
                await send_body(send, 429, _RATE_LIMITED, extra=(header,) if header else ())
                return

        if not self._authorised(scope):
            await send_body(send, 401, _UNAUTHORIZED)
            return

        await self._app(scope, receive, send)

    def _authorised(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                if self._api_key is None:
                    return bool(value.strip())
                return hmac.compare_digest(value, self._api_key)
        return False


def create_app(config: SimulatorConfig | None = None, /, **knobs: Any) -> Simulator:
    """Build the simulator's ASGI app (the same as ``Simulator(config, **knobs)``)."""
    return Simulator(config, **knobs)


def make_config(config: SimulatorConfig | None, knobs: dict[str, Any]) -> SimulatorConfig:
    """A config from an optional base plus keyword knobs (``profile=`` picks the base)."""
    if config is None:
        return SimulatorConfig.from_profile(**knobs)
    if "profile" in knobs:
        raise TypeError("pass either a config or profile=, not both")
    return dataclasses.replace(config, **knobs) if knobs else config


class _CountingSend:
    """Counts each status line sent, so the ledger knows every answer given."""

    __slots__ = ("_send", "_store")

    def __init__(self, send: Send, store: LookupStore) -> None:
        self._send = send
        self._store = store

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._store.count_response(message["status"])
        await self._send(message)
