"""``ClientStats``: what one client has sent and met, counted as it goes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["ENDPOINTS", "ClientStats"]

#: The names under which a client counts the requests it sends.
ENDPOINTS = ("create", "get", "query", "credits")


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
    #: Requests allowed in flight: ``max_concurrency``, exactly.
    concurrency_limit: int = 8
    #: Requests/s allowed right now: ``max_rate`` or the learned pace; None: no limit.
    rate_cap: float | None = None
    #: The API's limit as measured from its 429s, requests/s; None until measured.
    rate_estimate: float | None = None
    #: Seconds of wait before retries, as decided (before ``RetryPolicy.wait_scale``).
    waited_seconds: float = 0.0
    #: Lookups a status answer held for ids that were never asked about: dropped.
    unasked_lookups: int = 0

    @property
    def total_requests(self) -> int:
        """Every request sent, all endpoints together."""
        return sum(self.requests.values())

    def as_dict(self) -> dict[str, Any]:
        """A plain copy, for logs and benchmark reports."""
        return {**asdict(self), "total_requests": self.total_requests}
