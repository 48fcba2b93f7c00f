"""The API's maximum processing time, learned from the lookups that end in ``timeout``.

A lookup that exceeds the API's maximum processing time ends in ``timeout``
(``API.md``, section 2). When that maximum is a hard cap, every lookup still
running near it is final at the cap itself, whatever the lognormal model of
lookup times says: reading such a lookup at the cap, not at the model's long
tail, is what ends a run on time (the last lookups of a run are often the ones
that hit the cap).

The cap is known to lie in ``(low, high]``: ``low`` is the oldest age at which a
lookup was seen still running, ``high`` the youngest at which one was seen timed
out. Reads go at the middle of the interval until it is narrow (each read
halves it), then at ``high``; a lookup found running at the middle is read
next at ``high``. A lookup seen running well past ``high`` means
there is no hard cap: the cap is dropped for the rest of the run.
"""

from __future__ import annotations

__all__ = ["HardCap"]

#: The interval is narrow enough when it is this wide, in seconds ...
_NARROW_SECONDS = 0.25
#: ... or this share of the cap.
_NARROW_SHARE = 0.005
#: A lookup seen running this little past ``high`` is the clocks' doing (the
#: client's age of a lookup starts when its create is answered), not a sign of
#: no cap: ``high`` moves up instead.
_SLACK_SECONDS = 1.0
_SLACK_SHARE = 0.02


class HardCap:
    """What the run knows of the API's maximum processing time."""

    def __init__(self) -> None:
        #: The oldest age at which a lookup was seen still running.
        self.low = 0.0
        #: The youngest age at which a lookup was seen timed out; None: none yet.
        self.high: float | None = None
        #: True once a lookup ran past the cap: there is none.
        self.absent = False

    def running_at(self, age: float) -> None:
        """A lookup was still running at ``age`` seconds."""
        if age <= self.low:
            return
        self.low = age
        high = self.high
        if high is not None and age >= high:
            if age - high > max(_SLACK_SECONDS, _SLACK_SHARE * high):
                self.high, self.absent = None, True
            else:
                self.high = age + _NARROW_SECONDS

    def timed_out_by(self, age: float) -> None:
        """A lookup was found timed out at ``age`` seconds."""
        if self.absent:
            return
        if age <= self.low:
            # Another lookup ran longer than this one took to time out: no one cap.
            if self.low - age > max(_SLACK_SECONDS, _SLACK_SHARE * self.low):
                self.high, self.absent = None, True
            return
        if self.high is None or age < self.high:
            self.high = age

    def read_age(self, seen_running: float | None = None) -> float | None:
        """The age at which a lookup still running is worth reading; None: no cap known.

        ``seen_running``: the age at which this lookup was last seen running.
        One that was at ``low`` (read at the middle, found running) is read
        next at ``high``: the middle moves on with the lookups behind it, and
        following it there would read the same lookup at each halving.
        """
        high = self.high
        if high is None:
            return None
        narrow = max(_NARROW_SECONDS, _NARROW_SHARE * high)
        if high - self.low <= narrow or (
            seen_running is not None and seen_running >= self.low - narrow
        ):
            return high
        return (self.low + high) / 2.0
