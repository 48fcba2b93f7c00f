"""The best possible run for the very profiles sent, and how far from final the reads were.

A client that knew each lookup's resolve time (the simulator's ``expected_outcome``)
would send the creates as fast as the token bucket allows, in the order of the
frame, and read each lookup exactly once, when it is final; one batch query
covers up to 200 final lookups. Creates and reads draw on one bucket of ``rate``
tokens a second holding ``burst``, full at the first request.

Creates go first: moving a read ahead of a create only makes that create, and so
its lookup's end, later, while the read is still possible at the create's later
token. So the bound is: creates at the bucket's pace, then the reads of the
lookups in the order they become final, each at the later of its lookup's end
and the next token (a batch read at the end of the last of its 200).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MAX_BATCH = 200


@dataclass
class _Bucket:
    rate: float
    burst: float
    tokens: float
    now: float = 0.0

    def take(self, earliest: float) -> float:
        """Spend one token at ``earliest`` or as soon after as one is there; when."""
        at = max(earliest, self.now)
        tokens = min(self.burst, self.tokens + (at - self.now) * self.rate)
        if tokens < 1.0:
            at += (1.0 - tokens) / self.rate
            tokens = 1.0
        self.now, self.tokens = at, tokens - 1.0
        return at


def best_possible(resolve_seconds: Sequence[float], rate: float, burst: int, batch: bool) -> float:
    """Seconds from the first request until the last lookup is read, at best.

    ``resolve_seconds`` holds each lookup's resolve time, in the order created.
    """
    if not resolve_seconds:
        return 0.0
    bucket = _Bucket(rate, float(burst), float(burst))
    finals = sorted(bucket.take(0.0) + resolve for resolve in resolve_seconds)
    size = MAX_BATCH if batch else 1
    last = 0.0
    for start in range(0, len(finals), size):
        last = bucket.take(finals[min(start + size, len(finals)) - 1])
    return last


@dataclass(frozen=True)
class Reads:
    """How the client's status reads went, per the server's trace."""

    lookups: int
    reads_per_lookup: float
    #: Seconds from a lookup becoming final to the client's first read that saw it.
    delay_median: float
    delay_p90: float
    #: Lookups the client never saw final (0 in a finished run).
    never_seen: int


def reads(lookups: Sequence[Sequence[float | None]]) -> Reads:
    """From ``[created, resolve_seconds, first final read, reads]`` per lookup."""
    delays = sorted(
        max(0.0, float(seen) - (float(created or 0) + float(resolve or 0)))
        for created, resolve, seen, _reads in lookups
        if seen is not None
    )
    total = sum(int(count or 0) for *_rest, count in lookups)
    return Reads(
        lookups=len(lookups),
        reads_per_lookup=total / max(len(lookups), 1),
        delay_median=statistics.median(delays) if delays else math.nan,
        delay_p90=_quantile(delays, 0.9),
        never_seen=len(lookups) - len(delays),
    )


def _quantile(ordered: Sequence[float], share: float) -> float:
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]
