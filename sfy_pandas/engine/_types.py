"""The engine's vocabulary: what goes in (jobs, options), what comes out (updates, stats).

No I/O and no asyncio here, so the faces and the run object can use these names
without pulling in the engine's machinery.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .._models import Lookup, Status
from ..journal._journal import ProfileKey

__all__ = [
    "DEFAULT_CREATE_CONCURRENCY",
    "EngineOptions",
    "Job",
    "LookupAPI",
    "RunStats",
    "Update",
]


class LookupAPI(Protocol):
    """The part of :class:`~sfy_pandas.AsyncSalesfinity` a run needs.

    Two more parts are used when a client has them: ``get(id)`` (to tell a real
    404 from an answer the client could not use) and ``stats.batch_supported``
    (whether ``query`` is one batch call or one GET per id).
    """

    async def create(
        self,
        linkedin_url: str,
        type: str = "work",
        *,
        external_id: str | None = None,
        callback_url: str | None = None,
    ) -> Lookup: ...

    async def query(self, ids: Sequence[str]) -> list[Lookup]: ...

    async def credits(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Job:
    """One unique profile to enrich."""

    key: ProfileKey
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    """A profile's new state, to be written to every row of that profile."""

    key: ProfileKey
    status: Status
    lookup_id: str | None = None
    email: str | None = None
    email_type: str | None = None
    message: str | None = None
    #: A final answer reused from the journal: no request, no charge.
    cached: bool = False

    @classmethod
    def of(cls, key: ProfileKey, lookup: Lookup, message: str | None = None) -> Update:
        return cls(key, lookup.status, lookup.id, lookup.email, lookup.email_type, message)

    @classmethod
    def reused(cls, key: ProfileKey, lookup: Lookup) -> Update:
        return cls(
            key, lookup.status, lookup.id, lookup.email, lookup.email_type, None, cached=True
        )


#: Creates in flight at once by default. Small on purpose: a create whose answer
#: is lost when the process dies is in doubt, so this bounds the doubt; and past
#: a handful in flight the HTTP client's own CPU cost climbs (FACTS: httpcore).
DEFAULT_CREATE_CONCURRENCY = 8


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """How a run behaves; the defaults suit the real API."""

    max_credits: int | None = None
    dry_run: bool = False
    refresh: bool = False
    callback_url: str | None = None
    #: Creates in flight at once (see DEFAULT_CREATE_CONCURRENCY).
    create_concurrency: int = DEFAULT_CREATE_CONCURRENCY
    #: Least time between two status rounds, counted from the start of a round.
    poll_initial: float = 1.0
    #: Most time between two reads of one running lookup, until the API's cap
    #: is known. Without the batch query, of the lookups running past what the
    #: learned times expect only the oldest is read this often (``_stragglers``).
    poll_max: float = 30.0
    #: Least growth of a lookup's age from one read to its next.
    poll_backoff: float = 1.2
    #: Stop the run after this many seconds: creates not sent by then are
    #: ``not-sent``, rows still running keep their id and are finished later by
    #: ``status()``. None waits until all are final.
    max_wait: float | None = None
    #: Once stopped, how long in-flight creates may take to answer before
    #: they are abandoned (and counted in doubt by the next run).
    stop_grace: float = 10.0
    #: Rounds a running id may be missing from the API's answers before the
    #: API is taken to no longer know it.
    missing_rounds: int = 5
    #: What the run believes of lookup times before it has seen any: the median
    #: in seconds and the spread of their logarithm (the real API's shape).
    lookup_median: float = 45.0
    lookup_spread: float = 0.9
    #: A lookup is first read when it is this likely to be final (with the batch
    #: query, reads are cheap and the first comes earlier).
    read_quantile: float = 0.85
    batch_read_quantile: float = 0.5
    #: A lookup found still running is read next when it is this likely final.
    reread_quantile: float = 0.8
    #: No lookup is read younger than this quantile of the learned times,
    #: unless the run is ending.
    lower_quantile: float = 0.1
    #: With one GET per read, the share of requests reads may take while creates
    #: are ready to go when the run's requests set its end; half of it when its
    #: lookups do (``_share``).
    read_share: float = 0.2
    #: The first lookups of a run are read early and often (at ``poll_initial``,
    #: then at twice the age each time) to learn their time even when the
    #: prior above is far off; this many of them.
    probes: int = 6
    #: Whether ``query`` is one batch call; None asks the client.
    batch_query: bool | None = None


@dataclass(slots=True)
class RunStats:
    """What happened, in numbers an analyst can check."""

    profiles: int = 0
    created: int = 0
    reused: int = 0
    resumed: int = 0
    in_doubt: int = 0
    waited_on_other_process: int = 0
    not_sent: int = 0
    errors: int = 0
    credits_used: int = 0
    balance: int | None = None
    max_cost: int = 0
    poll_rounds: int = 0
    status_calls: int = 0
    #: Lookups read (one per id in each status call).
    reads: int = 0
    #: Journaled ids the API no longer knew: sent again, or marked.
    recreated: int = 0
    unknown_ids: int = 0
    #: Journal writes that failed; the run went on without them.
    journal_failures: int = 0
    interrupted: bool = False
    timed_out: bool = False
    elapsed: float = 0.0
    finals: dict[str, int] = field(default_factory=dict)
    #: Analyst-facing notes on what the run did (also sent to ``warn``).
    warnings: list[str] = field(default_factory=list)
    #: Filled in from the HTTP client when the run ends: requests sent per
    #: endpoint, 429s received, and creates whose answer was lost and that were
    #: sent again (each may have made a second, chargeable lookup).
    requests: dict[str, int] = field(default_factory=dict)
    rate_limited: int = 0
    ambiguous_creates: int = 0
