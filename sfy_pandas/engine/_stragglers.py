"""Stragglers: lookups running past what the learned times expect, before the cap is known.

A lookup still running well past the model's expectation is often one bound
for the API's maximum processing time (``_cap``), which no read before that
time can find final. Until a first ``timeout`` tells the run where the cap is,
reading every straggler each ``poll_max`` seconds mostly finds them still
running, one GET each (on the 300-profile benchmark, a lookup bound for the
cap was read about five times). It is enough that one of them looks that
often: the oldest, the *scout*, which reaches the cap first. The others are
read next at 2.5 times their age (``_schedule``); the moment the scout, or any
other lookup, is found timed out, they are scheduled at the cap instead.
"""

from __future__ import annotations

import heapq

from ._book import Running

__all__ = ["Stragglers"]


class Stragglers:
    """The stragglers of a run, and which of them is the scout."""

    def __init__(self) -> None:
        self._scout: tuple[str, Running] | None = None
        #: Stragglers other than the scout, by id; ``_order`` holds them oldest
        #: first, with entries of those gone since left in until popped.
        self._held: dict[str, Running] = {}
        self._order: list[tuple[float, str]] = []

    def add(self, lookup_id: str, record: Running) -> bool:
        """A straggler was seen running; True when it is (now) the scout, the oldest."""
        scout = self._scout
        if scout is not None and scout[0] != lookup_id:
            if _created(record) >= _created(scout[1]):
                if lookup_id not in self._held:
                    self._hold(lookup_id, record)
                return False
            self._hold(*scout)  # an older one takes over
        self._held.pop(lookup_id, None)
        self._scout = (lookup_id, record)
        return True

    def _hold(self, lookup_id: str, record: Running) -> None:
        self._held[lookup_id] = record
        heapq.heappush(self._order, (_created(record), lookup_id))

    def leave(self, lookup_id: str) -> tuple[str, Running] | None:
        """A lookup is final or no longer read; returns the new scout, if it was the scout."""
        self._held.pop(lookup_id, None)
        if self._scout is None or self._scout[0] != lookup_id:
            return None
        self._scout = None
        order = self._order
        while order:
            _, candidate = heapq.heappop(order)
            record = self._held.pop(candidate, None)
            if record is not None:
                self._scout = (candidate, record)
                return self._scout
        return None

    def clear(self) -> None:
        """The cap is known: nobody needs to scout for it."""
        self._scout = None
        self._held.clear()
        self._order.clear()


def _created(record: Running) -> float:
    # Only lookups made by this run straggle: their creation time is known.
    return record.created if record.created is not None else 0.0
