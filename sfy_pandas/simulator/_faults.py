"""Injected trouble: which request gets which fault, and how each one is sent.

Slow answers, 5xx and dropped connections fall on requests in arrival order,
drawn from one stream seeded by the simulator's seed: the same requests in the
same order meet the same faults. A lost create answer is fixed instead by the
profile, the type and how many times that pair was created before, so it falls
on the same creates however a concurrent client interleaves them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from ._config import SimulatorConfig

__all__ = [
    "DroppedConnection",
    "FaultPlan",
    "Send",
    "drop_connection",
    "send_body",
    "send_error",
]

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_ERROR_BODIES: dict[int, tuple[bytes, bytes]] = {
    500: (b"application/json", b'{"error":"INTERNAL_ERROR","message":"Internal server error"}'),
    502: (b"text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    503: (
        b"application/json",
        b'{"error":"SERVICE_UNAVAILABLE","message":"Service temporarily unavailable"}',
    ),
}


class DroppedConnection(httpx.RemoteProtocolError):
    """The simulator broke the connection half-way through a response, on purpose.

    Over a socket the client sees the connection close early. In process (through
    ``httpx.ASGITransport``) this exception reaches the client instead, as the
    transport error it stands for.
    """


class FaultPlan:
    """Draws, request by request, whether to be slow, fail, drop, or lose a create's answer."""

    def __init__(self, config: SimulatorConfig) -> None:
        self._slow_rate = config.slow_rate
        self._fault_rate = config.fault_rate
        self._failure_rate = config.fault_rate + config.drop_rate
        self._lost_rate = config.lost_response_rate
        self._seed = config.seed
        self._rng = random.Random(f"sfy-simulator-faults:{config.seed}")
        #: Whether any per-request fault (slow, 5xx, drop) can happen at all.
        self.any = bool(self._slow_rate or self._failure_rate)

    def slow(self) -> bool:
        """Whether this request waits ``slow_seconds`` first."""
        return self._slow_rate > 0 and self._rng.random() < self._slow_rate

    def failure(self) -> str | None:
        """``"500"``, ``"502"``, ``"503"``, ``"drop"`` or None for this request."""
        if not self._failure_rate:
            return None
        draw = self._rng.random()
        if draw >= self._failure_rate:
            return None
        if draw < self._fault_rate:
            return self._rng.choice(("500", "502", "503"))
        return "drop"

    def lost_answer(self, profile: str, type: str, nth: int) -> str | None:
        """``"502"`` or ``"drop"`` when the ``nth`` create of this profile loses its answer."""
        if not self._lost_rate:
            return None
        key = f"lost\x00{self._seed}\x00{profile}\x00{type}\x00{nth}".encode()
        draw = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64
        if draw >= self._lost_rate:
            return None
        return "502" if draw < self._lost_rate / 2 else "drop"


async def send_body(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> None:
    """Send a whole response straight over ASGI (the fast path for gate answers)."""
    headers = [(b"content-type", content_type), (b"content-length", b"%d" % len(body)), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, status: int) -> None:
    """Send the injected 500, 502 or 503 response."""
    content_type, body = _ERROR_BODIES[status]
    await send_body(send, status, body, content_type)


async def drop_connection(send: Send, status: int = 200, body: bytes = b"{}") -> None:
    """Start a response, send part of its body, then break the connection.

    Raising after the status line makes the server close the socket, so the
    client sees a response cut short rather than an error status.
    """
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
    raise DroppedConnection("the simulator dropped the connection on purpose")
