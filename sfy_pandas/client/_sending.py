"""Sending one request until it has a final answer, in one-concern steps.

``send`` (retries within the policy) -> ``_attempt`` (a slot and a turn from the
pacer, and the report of how it went) -> :func:`~._answer.fetch` (the wire, with
limits on the answer).

The retry loop is written here rather than with ``stamina``: a 429 is not a
failure to back off from one call at a time, but news for the pace shared by
every request of the API key (``_pace.py``), and whether the refused request
waits its ``Retry-After`` depends on whether the pace has already been lowered
since it was sent. A decorator that sleeps per call cannot express either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .._errors import SalesfinityError
from ._answer import Answer, AnswerLimits, fetch
from ._pacing import Pacer
from ._retry import RetryPolicy, Verdict, classify_status, classify_transport_error
from ._retry import parse_retry_after as _parse_retry_after
from ._stats import ClientStats
from ._wire import status_error, transport_error

__all__ = ["PAUSE_ALL_SECONDS", "Attempt", "Sender"]

#: A ``Retry-After`` longer than this pauses every request of the key, not only the
#: refused one: the API is saying "stop" (a spent quota), not "one token later".
PAUSE_ALL_SECONDS = 5.0


@dataclass(slots=True)
class Attempt:
    """One send and what came of it: an answer or an httpx error."""

    sent_at: float
    response: Answer | None = None
    error: httpx.HTTPError | None = None


class Sender:
    """The sending half of a client: retries, pacing and answer limits. No parsing."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        headers: dict[str, str] | None,
        retry: RetryPolicy,
        pacer: Pacer,
        limits: AnswerLimits,
        stats: ClientStats,
        redact: Callable[[str], str],
    ) -> None:
        self._http = http
        self._base_url = base_url
        self._headers = headers
        self._retry = retry
        self._pacer = pacer
        self._limits = limits
        self._stats = stats
        self._redact = redact

    async def send(
        self,
        endpoint: str,
        method: str,
        path: str,
        payload: object = None,
        *,
        accept: frozenset[int] = frozenset(),
    ) -> Answer:
        """Send until a final answer: a 2xx (or ``accept``-ed) response, else raise.

        A retryable failure waits (or leaves the waiting to the pace) and tries
        again, within the retry policy's attempts and total time.
        """
        request = self._http.build_request(
            method, self._base_url + path, json=payload, headers=self._headers
        )
        policy = self._retry
        start: float | None = None  # the first send: time queued in the pacer is not retry time
        attempt_number = 0
        while True:
            attempt_number += 1
            attempt = await self._attempt(endpoint, request)
            start = attempt.sent_at if start is None else start
            response = attempt.response
            if response is not None and (response.is_success or response.status_code in accept):
                return response
            verdict = self._verdict(attempt)
            if verdict.retry:
                wait, sleep = self._wait_after(verdict, endpoint, attempt_number, attempt)
                elapsed = time.monotonic() - start
                if attempt_number < policy.attempts and elapsed + wait <= policy.timeout:
                    self._stats.retries += 1
                    if sleep and wait > 0:
                        await asyncio.sleep(wait)
                    continue
            # from None: the message already names the httpx error, and the raw one
            # (with its request and headers) stays out of tracebacks.
            raise self._failure(attempt, attempt_number, time.monotonic() - start) from None

    async def _attempt(self, endpoint: str, request: httpx.Request) -> Attempt:
        """One paced send; the pace hears how it went."""
        pacer = self._pacer
        attempt = Attempt(await pacer.acquire())
        self._stats.requests[endpoint] += 1
        try:
            attempt.response = await fetch(self._http, request, self._limits)
        except httpx.HTTPError as exc:
            attempt.error = exc
        finally:
            pacer.release()
        if attempt.response is not None and attempt.response.status_code != 429:
            pacer.on_accepted(attempt.response.headers)
        return attempt

    @staticmethod
    def _verdict(attempt: Attempt) -> Verdict:
        if attempt.response is not None:
            return classify_status(attempt.response.status_code)
        assert attempt.error is not None
        return classify_transport_error(attempt.error)

    def _wait_after(
        self, verdict: Verdict, endpoint: str, attempt_number: int, attempt: Attempt
    ) -> tuple[float, bool]:
        """Count a retryable failure; return its wait (scaled) and whether to sleep it here.

        A 429 tells the pace. A long ``Retry-After`` pauses every request (the
        refused one waits at the pacer with the others); a short one is waited out
        by this request only if the 429 changed the pace; otherwise the request
        was sent under a faster pace, and the new one already spaces its retry.
        """
        stats, policy = self._stats, self._retry
        retry_after = None
        if attempt.response is not None:
            retry_after = _parse_retry_after(attempt.response.headers.get("retry-after"))
        wait = policy.wait(attempt_number, retry_after)
        if verdict.ambiguous and endpoint == "create":
            stats.ambiguous_creates += 1
        scaled = wait * policy.wait_scale
        if not verdict.rate_limited:
            stats.waited_seconds += wait
            return scaled, True
        stats.rate_limited += 1
        pause = wait > PAUSE_ALL_SECONDS
        headers = attempt.response.headers if attempt.response is not None else None
        changed = self._pacer.on_refused(attempt.sent_at, scaled if pause else 0.0, headers)
        stats.rate_cap = self._pacer.rate
        stats.rate_estimate = self._pacer.pace.estimate
        if pause:
            stats.waited_seconds += wait
            return scaled, False  # the pacer holds it, with every other request
        if changed:
            stats.waited_seconds += wait
            return scaled, True
        return 0.0, False

    def _failure(self, attempt: Attempt, attempts: int, elapsed: float) -> SalesfinityError:
        """The exception for a request that will not be sent again."""
        if attempt.response is not None:
            return status_error(
                attempt.response, attempts=attempts, elapsed=elapsed, redact=self._redact
            )
        assert attempt.error is not None
        return transport_error(
            attempt.error,
            base_url=self._base_url,
            attempts=attempts,
            elapsed=elapsed,
            redact=self._redact,
        )
