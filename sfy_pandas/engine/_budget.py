"""The credit budget (``max_credits``): never more lookups running or charged than it allows.

One :class:`Budget` may be shared by every engine of a run object, so several
batches of profiles spend one ``max_credits`` between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

__all__ = ["Budget"]


class Budget:
    """``limit`` credits at most, over every engine given this object.

    A unit is taken before a create and held until its lookup resolves: a
    completed lookup keeps it (it was charged), any other outcome gives it back.
    So a budget of N never starts a lookup that could be the (N+1)-th charge,
    yet uses every credit that not-found answers leave unspent. A create that
    starts no lookup gives its unit back at once (:meth:`release`).

    ``limit=None`` is no budget: every call is free and nothing waits.
    """

    def __init__(self, limit: int | None = None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"max_credits must be 0 or more, not {limit}")
        self.limit = limit
        self._held = 0
        #: Lookups holding a unit that some engine is still reading.
        self._holders: set[str] = set()
        self._changed = asyncio.Event()

    def __repr__(self) -> str:
        return f"Budget(limit={self.limit}, held={self._held})"

    @property
    def held(self) -> int:
        """Units taken: charged, running, or about to be sent."""
        return self._held

    def available(self) -> bool:
        """True when a create could take a unit now, without waiting."""
        return self.limit is None or self._held < self.limit

    def spent(self) -> bool:
        """True when no unit can ever come back: every held one is charged or given up."""
        return not self.available() and not self._holders

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Take one unit; False when the budget is spent for good or ``stop`` is set."""
        if self.limit is None:
            return True
        while self._held >= self.limit:
            if not self._holders or stop.is_set():
                return False  # every unit is charged: nothing will come back
            self._changed.clear()
            await self._changed.wait()
        self._held += 1
        return True

    def wake(self) -> None:
        """Let waiters look again (a run is stopping)."""
        self._changed.set()

    def release(self) -> None:
        """Give back a unit whose create did not start a lookup."""
        if self.limit is not None:
            self._held -= 1
            self._changed.set()

    def started(self, lookup_id: str) -> None:
        """The create answered: its unit is now held by this lookup."""
        if self.limit is not None:
            self._holders.add(lookup_id)

    def finished(self, lookup_id: str, *, charged: bool) -> None:
        """The lookup resolved; an uncharged one gives its unit back."""
        if self.limit is None or lookup_id not in self._holders:
            return
        self._holders.discard(lookup_id)
        if not charged:
            self._held -= 1
        self._changed.set()

    def abandon(self, lookup_ids: Iterable[str]) -> None:
        """A run ended with these lookups still running: nobody will read them now.

        They may still be charged, so their units stay taken; but no create
        waits for them any more (another batch would otherwise wait forever).
        """
        if self.limit is None:
            return
        self._holders.difference_update(lookup_ids)
        self._changed.set()
