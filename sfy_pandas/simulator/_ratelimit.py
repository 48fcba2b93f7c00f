"""A token bucket, and the ``Retry-After`` header a 429 carries."""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from ._config import RetryAfter

__all__ = ["TokenBucket", "retry_after_header"]


class TokenBucket:
    """``rate`` tokens a second, at most ``burst`` saved up; one token per request.

    Not thread-safe: only the server's event loop calls it.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = time.monotonic()

    def take(self, now: float) -> float:
        """Take a token and return 0.0, or return the seconds until one is available."""
        tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return 0.0
        self._tokens = tokens
        return (1.0 - tokens) / self._rate


def retry_after_header(form: RetryAfter, wait: float) -> tuple[bytes, bytes] | None:
    """The ``Retry-After`` header for a wait of ``wait`` seconds, in the chosen form.

    Both forms count whole seconds, rounded up, so a client that obeys them to the
    letter finds a token waiting.
    """
    seconds = max(1, math.ceil(wait))
    if form == "seconds":
        return (b"retry-after", str(seconds).encode())
    if form == "date":
        # An HTTP date has no fraction: round the moment up to the next whole second.
        moment = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(seconds=seconds + 1)
        return (b"retry-after", format_datetime(moment, usegmt=True).encode())
    return None
