"""When a request is worth sending again, and how long to wait first. No I/O.

Retried: 408, 429, every 5xx, and transport failures (refused or dropped
connections, time-outs). Never retried: any other 4xx, which says the request
itself is wrong.

A create is *ambiguous* when the server may have made the lookup although the
client never saw the answer: a 500/502/504 (or other 5xx except 503), a read
time-out or a connection dropped after the request went out. It is still
retried, but counted, so a run can say how many creates may be duplicated.
A 503, a 408, a 429 or a failure to connect means the request was not processed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import random
import ssl
import time
from dataclasses import dataclass
from typing import NamedTuple

import httpx

__all__ = [
    "RetryPolicy",
    "Verdict",
    "classify_status",
    "classify_transport_error",
    "parse_retry_after",
]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard one request tries before its error reaches the caller.

    A request stops after ``attempts`` sends, or as soon as the next wait would
    end more than ``timeout`` seconds after its first send, whichever comes first.

    Waits: ``Retry-After`` when the API sends one (capped at ``retry_after_max``),
    else capped exponential back-off with jitter: attempt *n* waits between half
    and all of ``min(wait_max, wait_initial * 2 ** (n - 1))``.

    ``wait_scale`` multiplies every actual wait; the test switch is
    ``RetryPolicy(wait_scale=0)``: no waiting at all, while attempts, stats and
    the concurrency limit behave exactly as in production.
    """

    attempts: int = 8
    timeout: float = 120.0
    wait_initial: float = 0.5
    wait_max: float = 30.0
    retry_after_max: float = 60.0
    wait_scale: float = 1.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")
        for name in ("timeout", "wait_initial", "wait_max", "retry_after_max", "wait_scale"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), jittered."""
        base = min(self.wait_max, self.wait_initial * 2.0 ** min(attempt - 1, 32))
        return base / 2 + random.uniform(0, base / 2)

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """The wait before the next attempt: the server's word if given, else back-off."""
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        return self.backoff(attempt)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header, or None when absent or unreadable.

    Takes both forms of RFC 9110: a number of seconds (``"120"``) or an HTTP date
    (``"Wed, 21 Oct 2015 07:28:00 GMT"``, measured from ``now``, a Unix time).
    A date in the past means "now": 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 and math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are UTC
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class Verdict(NamedTuple):
    """What one failed attempt means."""

    retry: bool
    #: The server may have processed it (a create may have made a lookup).
    ambiguous: bool = False
    #: The server asked the client to slow down (a 429).
    rate_limited: bool = False


_FINAL = Verdict(retry=False)
_RETRY = Verdict(retry=True)
_RETRY_AMBIGUOUS = Verdict(retry=True, ambiguous=True)
_RATE_LIMITED = Verdict(retry=True, rate_limited=True)


def classify_status(status_code: int) -> Verdict:
    """The verdict on an answered request (2xx and other 4xx are final)."""
    if status_code < 400:
        return _FINAL
    if status_code == 429:
        return _RATE_LIMITED
    if status_code in (408, 503):
        return _RETRY
    if status_code >= 500:
        return _RETRY_AMBIGUOUS
    return _FINAL


def classify_transport_error(exc: httpx.HTTPError) -> Verdict:
    """The verdict on a request that got no answer."""
    if _caused_by_certificate(exc):
        return _FINAL  # an untrusted certificate stays untrusted: no retry can succeed
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return _RETRY  # never reached the server
    if isinstance(exc, (httpx.WriteError, httpx.WriteTimeout)):
        return _RETRY  # the request was not fully sent, so it cannot have been processed
    if isinstance(exc, (httpx.ReadError, httpx.ReadTimeout, httpx.RemoteProtocolError)):
        return _RETRY_AMBIGUOUS  # sent, then the answer was lost
    # Proxy, TLS-less protocol and local protocol errors, undecodable bodies:
    # sending the same request again will fail the same way.
    return _FINAL


def _caused_by_certificate(exc: BaseException) -> bool:
    """True when TLS verification refused the server (httpx wraps the ssl error)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
