"""How many of the requests reads may take while creates are ready (no batch query).

Every GET draws on the rate limit the creates also need, so reads are held to
a share of the requests while a create is ready to go (``read_share``). That
is what ends a run soonest when its end is set by its last lookups (the last
creates, plus the longest lookups after them). But when the run's end is set by
the requests themselves (more creates and reads still to send than the last
lookups' time), the order of creates and reads does not move the end, and a
small share only holds every answer back: on 5,000 profiles at 10 requests/s
the median lookup was read 450 s after it was final.

So the share grows to what the requests allow: with ``left`` requests still to
send at ``rate`` a second (a create and a read for each queued profile, a read
for each running lookup), the creates must be done ``tail`` seconds before
the last request, for the last lookups to be final by then:

    queued / (rate * (1 - share)) <= left / rate - tail
    share <= 1 - queued / (left - rate * tail)

Only part of that room is taken (``_ROOM``), and never more than ``_MOST``.
"""

from __future__ import annotations

__all__ = ["read_share"]

#: The part of the room between the base share and the most the requests allow
#: that reads take: the rate and the tail are estimates.
_ROOM = 0.8
#: Reads never take more than this share while creates are ready.
_MOST = 0.5


def read_share(base: float, *, queued: int, running: int, rate: float | None, tail: float) -> float:
    """The share of requests reads may take now; ``base`` unless the requests set the end.

    ``rate``: the learned limit in requests/s (None: not known, so ``base``);
    ``tail``: how long the last lookups likely take after their create.
    """
    if rate is None or rate <= 0 or queued <= 0:
        return base
    left = 2 * queued + running
    room = left - rate * tail
    if room <= queued:
        return base
    allowed = min(1.0 - queued / room, _MOST)
    return max(base, base + _ROOM * (allowed - base))
