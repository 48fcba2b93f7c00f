"""The four API routes as a Starlette app (API.md sections 1 to 4).

Only what happens once a request is let in: the gate in front (faults, rate
limit, API key) is :class:`~sfy_pandas.simulator.Simulator`. Bodies are built
as bytes and handed to a plain ``Response``: the hot path does no model
validation and serialises each lookup state once.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ._callbacks import CallbackDispatcher
from ._config import SimulatorConfig
from ._faults import FaultPlan, drop_connection, send_error
from ._paths import BATCH_PATH, CREATE_PATH, CREDITS_PATH, LOOKUP_PREFIX
from ._store import LookupStore
from ._validation import InvalidRequestError, parse_batch, parse_create

__all__ = ["build_app"]

_JSON = "application/json"
_NOT_FOUND_MESSAGE = "No enrichment request found for the given id"


def build_app(
    config: SimulatorConfig,
    store: LookupStore,
    callbacks: CallbackDispatcher,
    faults: FaultPlan,
) -> Starlette:
    """The routes of the API over ``store``; the batch query only when it is enabled."""
    # The batch answer's order is not promised: shuffle it so no client relies on it.
    order = random.Random(f"sfy-simulator-order:{config.seed}")

    async def create(request: Request) -> Response:
        try:
            asked = parse_create(await request.body())
        except InvalidRequestError as exc:
            return _error(400, "VALIDATION_ERROR", str(exc))
        record = store.create(asked, time.monotonic())
        if record is None:
            return _error(402, "INSUFFICIENT_CREDITS", "Insufficient enrichment credits")
        if record.callback_url is not None:
            callbacks.schedule(record)
        body = {"_id": record.id, "status": "pending", "linkedin_url": record.linkedin_url}
        lost = faults.lost_answer(record.outcome.profile, asked.type, record.nth)
        if lost is not None:
            store.count_lost(record.id)
            return _LostAnswer(_dumps(body), lost)
        return Response(_dumps(body), 201, media_type=_JSON)

    async def read_one(request: Request) -> Response:
        body = store.read(request.path_params["id"], time.monotonic())
        if body is None:
            return _error(404, "NOT_FOUND", _NOT_FOUND_MESSAGE)
        return Response(body, media_type=_JSON)

    async def batch_query(request: Request) -> Response:
        try:
            ids = parse_batch(await request.body())
        except InvalidRequestError as exc:
            return _error(400, "VALIDATION_ERROR", str(exc))
        found = store.read_many(ids, time.monotonic())
        order.shuffle(found)
        return Response(b"[" + b",".join(found) + b"]", media_type=_JSON)

    async def credits(request: Request) -> Response:
        return Response(_dumps({"balance": store.balance(time.monotonic())}), media_type=_JSON)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await callbacks.aclose()

    routes = [
        Route(CREATE_PATH, create, methods=["POST"]),
        Route(LOOKUP_PREFIX + "{id}", read_one, methods=["GET"]),
        Route(CREDITS_PATH, credits, methods=["GET"]),
    ]
    if config.batch_enabled:
        routes.insert(1, Route(BATCH_PATH, batch_query, methods=["POST"]))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_exception},
    )
    # A path that is not the API's is a 404, not a redirect to a neighbour.
    app.router.redirect_slashes = False
    return app


class _LostAnswer(Response):
    """A create's 201 that never arrives: a 502 instead, or the connection cut mid-body."""

    def __init__(self, body: bytes, kind: str) -> None:
        super().__init__(body, 201, media_type=_JSON)
        self._kind = kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._kind == "drop":
            await drop_connection(send, 201, bytes(self.body))
        else:
            await send_error(send, 502)


async def _http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 answers, in the API's JSON error shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        response = _error(404, "NOT_FOUND", f"Cannot {request.method} {request.url.path}")
    else:
        response = _error(exc.status_code, "HTTP_ERROR", exc.detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _error(status: int, code: str, message: str) -> Response:
    return Response(_dumps({"error": code, "message": message}), status, media_type=_JSON)


def _dumps(body: object) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
