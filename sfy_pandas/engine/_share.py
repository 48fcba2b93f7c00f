"""The share of requests status reads may take while creates are ready (one GET a read).

Creates and reads draw on one rate limit, and which to favour depends on what
sets the end of the run:

- **Its requests**: the creates still to send and a read for each lookup need
  longer at the run's rate than its last lookup takes to be final. The run
  ends when its requests do, in whatever order they go, so a read now costs
  the end nothing and shows an early result: reads take ``read_share``.
- **Its lookups**: the end is the last create plus the time its lookup takes,
  and every read sent before the last create puts it a turn later. Reads take
  half the share then, enough for early results and to learn lookup times.

The rate is the one the run has sent at over the last seconds, creates and reads
together (the API's limit, or what its answers allow, whichever binds), and the
lookups' time is the read plan's ``tail``.
"""

from __future__ import annotations

from collections import deque

__all__ = ["ReadShare"]

#: The rate is measured over this many seconds ...
_WINDOW = 10.0
#: ... from counts taken at least this far apart.
_SAMPLE_EVERY = 0.25
#: The part of ``read_share`` reads take when the lookups set the end.
_LOOKUP_BOUND = 0.5
#: The most of the requests reads ever take while creates are ready.
_MOST = 0.9


class ReadShare:
    """Which share reads may take now, from the run's rate and what is left."""

    def __init__(self, read_share: float) -> None:
        self.full = min(max(read_share, 0.0), _MOST)
        #: (time, requests sent by then), oldest first, spanning about ``_WINDOW``.
        self._counts: deque[tuple[float, int]] = deque()

    def count(self, now: float, requests: int) -> None:
        """The run had sent ``requests`` (creates and reads) by ``now``."""
        counts = self._counts
        if counts and now - counts[-1][0] < _SAMPLE_EVERY:
            return
        counts.append((now, requests))
        while len(counts) > 2 and now - counts[1][0] >= _WINDOW:
            counts.popleft()

    def rate(self) -> float | None:
        """Requests a second over the window; None until a second of them is seen."""
        if len(self._counts) < 2:
            return None
        (start, before), (end, after) = self._counts[0], self._counts[-1]
        if end - start < 1.0 or after <= before:
            return None
        return (after - before) / (end - start)

    def share(self, backlog: int, tail: float) -> float:
        """The share now; ``backlog``: creates still to send plus lookups running.

        ``tail``: about how long the run's last lookups take, in seconds.
        """
        rate = self.rate()
        if rate is None or backlog / rate > tail:
            return self.full
        return self.full * _LOOKUP_BOUND
