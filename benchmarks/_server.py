"""The simulator as ``run.py`` serves it: a subprocess pinned to one core, with a tally.

    python benchmarks/_server.py '{"rate_limit": 50, "resolve_seconds": 2}'
    python benchmarks/_server.py '{"trace": true, "batch_enabled": false}'

Prints the port, then serves until SIGINT. Besides the API it answers
``GET /_bench/ledger`` (never rate limited) with what the server saw, as JSON:
requests per route, answers per status, lookups created per profile, the size
and arrival time of every batch status query, and the server's own CPU time.
With ``"trace": true`` it also reads every lookup answer it sends, and the
ledger holds, per lookup, when it was made, its resolve time, when the client
first saw it final and how often it was read (``_trace.py``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from typing import Any

from _trace import LookupTrace
from bench_simulator import SERVER_CORE, _pin

LEDGER_PATH = "/_bench/ledger"
BATCH_PATH = "/v1/api/enrichment/email/batch/query"
CREATE_PATH = "/v1/api/enrichment/email"
LOOKUP_PREFIX = "/v1/api/enrichment/email/"


class Tally:
    """Wraps the simulator's ASGI app: records batch queries, serves the ledger."""

    def __init__(self, simulator: Any, trace: bool = False) -> None:
        self.simulator = simulator
        self.trace = LookupTrace(simulator.config) if trace else None
        self.batches: list[tuple[float, int]] = []  # (monotonic time, ids asked)
        self.started: float | None = None  # the first API request
        self.seconds: list[list[int]] = []  # per second since then: [answered, 429s]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path = scope.get("path")
        if scope["type"] != "http":
            await self.simulator(scope, receive, send)
            return
        if path == LEDGER_PATH:
            await self._ledger(send)
            return
        send = self._count(send)
        route = _route(scope.get("method"), str(path))
        if self.trace is not None and route is not None:
            send = self._traced(send, route, self.trace)
        if path == BATCH_PATH:
            await self.simulator(scope, *self._watch_batch(receive, send))
            return
        await self.simulator(scope, receive, send)

    def _count(self, send: Any) -> Any:
        async def counted_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                now = time.monotonic()
                if self.started is None:
                    self.started = now
                second = int(now - self.started)
                while len(self.seconds) <= second:
                    self.seconds.append([0, 0])
                self.seconds[second][message["status"] == 429] += 1
            await send(message)

        return counted_send

    @staticmethod
    def _traced(send: Any, route: str, trace: LookupTrace) -> Any:
        status, body = [0], bytearray()

        async def traced_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body"):
                    trace.answered(route, status[0], bytes(body), time.monotonic())
            await send(message)

        return traced_send

    def _watch_batch(self, receive: Any, send: Any) -> tuple[Any, Any]:
        body = bytearray()

        async def watched_receive() -> dict[str, Any]:
            message: dict[str, Any] = await receive()
            body.extend(message.get("body", b""))
            return message

        async def watched_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                self.batches.append((time.monotonic(), bytes(body).count(b'"id"')))
            await send(message)

        return watched_receive, watched_send

    async def _ledger(self, send: Any) -> None:
        ledger = self.simulator.ledger
        usage = resource.getrusage(resource.RUSAGE_SELF)
        per_profile = list(ledger.created.values())
        body = json.dumps(
            {
                "requests": dict(ledger.requests),
                "responses": {str(k): v for k, v in ledger.responses.items()},
                "rate_limited": ledger.rate_limited,
                "profiles_created": len(per_profile),
                "lookups_created": sum(per_profile),
                "max_creates_per_profile": max(per_profile, default=0),
                "duplicates": len(ledger.duplicates()),
                "batches": self.batches,
                "seconds": self.seconds,
                "cpu_seconds": usage.ru_utime + usage.ru_stime,
                "started": self.started,
                "lookups": None if self.trace is None else self.trace.lookups(),
                "now": time.monotonic(),
            }
        ).encode()
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _route(method: object, path: str) -> str | None:
    """Which lookup route a request is on, for the trace; ``None`` for any other."""
    if method == "POST" and path == CREATE_PATH:
        return "create"
    if method == "POST" and path == BATCH_PATH:
        return "batch"
    if method == "GET" and path.startswith(LOOKUP_PREFIX):
        return "get"
    return None


def main() -> None:
    knobs = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    trace = bool(knobs.pop("trace", False))
    _pin(SERVER_CORE)
    from sfy_pandas.simulator import Simulator
    from sfy_pandas.simulator._server import bind_socket, make_server

    simulator = Simulator(**knobs)
    server = make_server(simulator)
    server.config.app = Tally(simulator, trace)
    sock = bind_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


if __name__ == "__main__":
    main()
