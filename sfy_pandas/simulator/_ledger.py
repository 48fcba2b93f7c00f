"""What the simulator saw and charged, so a test can prove nothing was sent or paid twice.

:class:`LedgerBook` is the running tally, written only under the simulator's lock.
:class:`Ledger` is a frozen copy of it, safe to read from any thread.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from ._profile_url import canonical_profile

__all__ = ["Ledger", "LedgerBook"]

_K = TypeVar("_K")


@dataclass(frozen=True)
class Ledger:
    """A snapshot of the simulator's books, taken at one instant.

    Every lookup whose resolve time has passed is settled before the snapshot is
    taken, so ``credits_charged`` counts each completed lookup once whether or not
    anyone polled it.
    """

    #: Credits left: the starting balance minus ``credits_charged`` (may go below 0
    #: when lookups created on the last credits complete).
    balance: int
    #: Credits charged in all: one per lookup that reached ``completed``.
    credits_charged: int
    #: Lookups created, per (canonical profile URL, type).
    created: Mapping[tuple[str, str], int]
    #: Credits charged per lookup id; every value is 1 by construction.
    charged: Mapping[str, int]
    #: Lookups that reached a final status, per status.
    outcomes: Mapping[str, int]
    #: Number of ids in each batch status query, in arrival order.
    batch_sizes: tuple[int, ...]
    #: Requests that arrived, per route: ``create``, ``get``, ``batch_query``,
    #: ``credits`` and ``other``; rejected ones (429, 401, faults) included.
    requests: Mapping[str, int]
    #: Responses sent, per status code (injected faults included).
    responses: Mapping[int, int]
    #: ``429`` answers sent by the rate limiter.
    rate_limited: int
    #: Injected faults per kind: ``500``, ``502``, ``503``, ``drop``, ``slow``.
    faults: Mapping[str, int]
    #: Ids of lookups that were created but whose 201 never reached the client.
    lost_ids: tuple[str, ...]
    #: Callback POSTs that got a 2xx answer (a duplicate delivery counts again).
    callbacks_delivered: int
    #: Callback POSTs tried, successful or not.
    callback_attempts: int
    #: Callbacks sent a second time on purpose.
    callbacks_duplicated: int
    #: Callbacks abandoned after every attempt failed.
    callbacks_abandoned: int

    @property
    def lookups_created(self) -> int:
        """All lookups created, whatever the profile."""
        return sum(self.created.values())

    @property
    def lost_responses(self) -> int:
        """Creates that made a lookup but whose answer the client never got."""
        return len(self.lost_ids)

    def created_for(self, linkedin_url: str, type: str) -> int:
        """How many lookups were created for this profile (any accepted URL form) and type."""
        return self.created.get((canonical_profile(linkedin_url), type), 0)

    def duplicates(self) -> dict[tuple[str, str], int]:
        """The (profile, type) pairs created more than once, with their counts."""
        return {key: count for key, count in self.created.items() if count > 1}


@dataclass
class LedgerBook:
    """The running tally behind :class:`Ledger`; the caller holds the lock."""

    balance: int
    credits_charged: int = 0
    created: Counter[tuple[str, str]] = field(default_factory=Counter)
    charged: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    batch_sizes: list[int] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)
    responses: Counter[int] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    lost_ids: list[str] = field(default_factory=list)
    callbacks_delivered: int = 0
    callback_attempts: int = 0
    callbacks_duplicated: int = 0
    callbacks_abandoned: int = 0

    def charge(self, lookup_id: str) -> None:
        """Charge one credit for a lookup that just completed."""
        self.charged[lookup_id] += 1
        self.credits_charged += 1

    def snapshot(self) -> Ledger:
        return Ledger(
            balance=self.balance - self.credits_charged,
            credits_charged=self.credits_charged,
            created=_frozen(self.created),
            charged=_frozen(self.charged),
            outcomes=_frozen(self.outcomes),
            batch_sizes=tuple(self.batch_sizes),
            requests=_frozen(self.requests),
            responses=_frozen(self.responses),
            rate_limited=self.responses[429],
            faults=_frozen(self.faults),
            lost_ids=tuple(self.lost_ids),
            callbacks_delivered=self.callbacks_delivered,
            callback_attempts=self.callback_attempts,
            callbacks_duplicated=self.callbacks_duplicated,
            callbacks_abandoned=self.callbacks_abandoned,
        )


def _frozen(counter: Mapping[_K, int]) -> Mapping[_K, int]:
    return MappingProxyType(dict(counter))
