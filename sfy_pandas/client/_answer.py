"""One attempt on the wire, with limits on the answer: its size and its whole duration.

httpx's time-outs count the time between two bytes, so a server that drips a
body forever would hold a request (and a notebook) for ever; and it reads any
body into memory, however large. :func:`fetch` reads the answer under a time-out
on the whole exchange, and stops at ``max_bytes``.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from .._deadline import within

__all__ = ["Answer", "AnswerLimits", "AnswerTimeoutError", "AnswerTooLargeError", "fetch"]

#: Largest answer read, in bytes: a lookup is a few hundred bytes, a batch of 200
#: lookups well under 200 KiB.
DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024
#: The longest a whole answer (connect, send, every byte back) may take, in seconds.
DEFAULT_ANSWER_TIMEOUT = 60.0


class AnswerLimits:
    """The size and duration limits of one client's answers, checked once."""

    __slots__ = ("max_bytes", "timeout")

    def __init__(self, max_bytes: int, timeout: float) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_answer_bytes must be a positive int, got {max_bytes!r}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(
                f"answer_timeout must be a positive number of seconds, got {timeout!r}"
            )
        self.max_bytes = max_bytes
        self.timeout = float(timeout)


class AnswerTooLargeError(httpx.RequestError):
    """The answer was larger than ``max_answer_bytes``: read no further."""

    def __init__(self, limit: int, *, request: httpx.Request) -> None:
        super().__init__(f"the answer is larger than {limit} bytes", request=request)
        self.limit = limit


class AnswerTimeoutError(httpx.ReadTimeout):
    """The whole answer took longer than ``answer_timeout`` (however fast each byte came)."""

    def __init__(self, seconds: float, *, request: httpx.Request) -> None:
        super().__init__(f"the whole answer took longer than {seconds:g} s", request=request)
        self.seconds = seconds


class Answer:
    """An answer read whole within the limits: the closed streamed response and its body.

    What the parsers and the retry rules read of it, without building a second
    ``httpx.Response`` around the body (which re-reads it through the decoders:
    a real share of a request's CPU).
    """

    __slots__ = ("_response", "content", "headers", "request", "status_code")

    def __init__(self, response: httpx.Response, content: bytes) -> None:
        self._response = response
        self.content = content
        self.status_code = response.status_code
        self.headers = response.headers
        self.request = response.request

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def reason_phrase(self) -> str:
        return self._response.reason_phrase

    @property
    def text(self) -> str:
        """The body as text (JSON is UTF-8; a bad byte reads as U+FFFD)."""
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<Answer [{self.status_code} {self.reason_phrase}]>"


async def fetch(http: httpx.AsyncClient, request: httpx.Request, limits: AnswerLimits) -> Answer:
    """Send ``request`` and read its answer within ``limits``; httpx errors pass through."""
    try:
        response, body = await within(_exchange(http, request, limits.max_bytes), limits.timeout)
    except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
        raise AnswerTimeoutError(limits.timeout, request=request) from None
    return Answer(response, body)


async def _exchange(
    http: httpx.AsyncClient, request: httpx.Request, limit: int
) -> tuple[httpx.Response, bytes]:
    response = await http.send(request, stream=True)
    try:
        return response, await _read_at_most(response, limit)
    finally:
        await response.aclose()


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AnswerTooLargeError(limit, request=response.request)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():  # decoded: a compressed bomb stops too
        size += len(chunk)
        if size > limit:
            raise AnswerTooLargeError(limit, request=response.request)
        chunks.append(chunk)
    return b"".join(chunks)
