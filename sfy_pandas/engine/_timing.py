"""How long lookups take, learned during the run, and when each is worth reading.

Lookup times are modelled as lognormal (the real API: a median near 45 s, a long
tail). Most observations are intervals, not exact times: a lookup found final at
age 30 s after being seen running at age 12 s resolved somewhere in (12, 30]. A
lookup still running at its last read is censored: it takes longer than that.
The model is fitted to these by expectation-maximisation over the log-times,
with the prior counted as a few observations, so it neither trusts the first
answers too much nor drifts upward from reading late (which fitting the read
ages themselves would do). Exact times come in when the API says when a lookup
changed (``updatedAt`` in the batch query).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from statistics import NormalDist

__all__ = ["LookupTimes"]

_STANDARD = NormalDist()
#: Resolved lookups kept for fitting; older ones are dropped (the shape of a
#: run's lookups is steady, and the fit's cost grows with this).
_KEEP = 2_000
_MIN_SPREAD = 0.05
_MAX_SPREAD = 3.0


@functools.lru_cache(maxsize=64)
def _z(p: float) -> float:
    """The standard normal's ``p`` quantile: asked for a few shares, per read scheduled."""
    return _STANDARD.inv_cdf(p)


def _cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def _pdf(z: float) -> float:
    return math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)


class LookupTimes:
    """A lognormal model of lookup times: a prior, then what the run sees."""

    def __init__(self, median: float, spread: float, *, prior_weight: float = 1.0) -> None:
        if median <= 0:
            raise ValueError(f"lookup_median must be more than 0, not {median}")
        if spread <= 0:
            raise ValueError(f"lookup_spread must be more than 0, not {spread}")
        self._prior = (math.log(median), spread)
        self._weight = prior_weight
        self.mu, self.sigma = self._prior
        #: Log-time intervals (low, high] of resolved lookups; -inf / +inf for open ends.
        self._resolved: list[tuple[float, float]] = []
        #: Resolved lookups seen, including those no longer kept.
        self.resolved = 0

    def observe(self, low: float | None, high: float, *, exact: bool = False) -> None:
        """A lookup resolved after ``low`` seconds (None: no earlier read) and by ``high``."""
        high = max(high, 1e-3)
        self.resolved += 1
        if exact:
            point = math.log(high)
            self._resolved.append((point, point))
        else:
            start = -math.inf if not low or low <= 0 else math.log(min(low, high))
            self._resolved.append((start, math.log(high)))
        if len(self._resolved) > _KEEP:
            del self._resolved[: len(self._resolved) - _KEEP]

    def fit(self, still_running: Iterable[float] = (), *, rounds: int = 40) -> None:
        """Refit to what was seen; ``still_running``: ages of lookups last read running.

        Starts from the last fit, so a few rounds usually settle it; stops when
        the median moves less than 1%.
        """
        intervals = list(self._resolved)
        intervals.extend((math.log(age), math.inf) for age in still_running if age > 0)
        if not intervals:
            return
        for _ in range(rounds):
            mu, sigma = self.mu, self.sigma
            self._em_step(intervals)
            if abs(self.mu - mu) < 0.01 and abs(self.sigma - sigma) < 0.01:
                break

    def _em_step(self, intervals: list[tuple[float, float]]) -> None:
        mu, sigma = self.mu, self.sigma
        total, total_sq = 0.0, 0.0
        for low, high in intervals:
            mean, square = _truncated_moments(low, high, mu, sigma)
            total += mean
            total_sq += square
        prior_mu, prior_sigma = self._prior
        weight = self._weight
        count = weight + len(intervals)
        new_mu = (weight * prior_mu + total) / count
        # The spread is the data's own, around their own centre: a prior centre
        # far from the data moves the centre, but must not widen the spread
        # (which would push every read later).
        seen = len(intervals)
        around = max(total_sq - total * total / seen, 0.0)
        variance = max((weight * prior_sigma**2 + around) / count, _MIN_SPREAD**2)
        self.mu, self.sigma = new_mu, min(math.sqrt(variance), _MAX_SPREAD)

    def quantile(self, p: float) -> float:
        """The time by which a share ``p`` of lookups are final."""
        p = min(max(p, 1e-6), 1 - 1e-6)
        return math.exp(self.mu + self.sigma * _z(p))

    def share_done_by(self, age: float) -> float:
        """The share of lookups final by ``age`` seconds."""
        if age <= 0:
            return 0.0
        return _cdf((math.log(age) - self.mu) / self.sigma)

    def next_read_age(self, age: float, p: float) -> float:
        """For a lookup still running at ``age``: the age by which it is final with chance ``p``."""
        done = self.share_done_by(age)
        return max(age, self.quantile(done + p * (1.0 - done)))

    def median(self) -> float:
        return math.exp(self.mu)


def _truncated_moments(low: float, high: float, mu: float, sigma: float) -> tuple[float, float]:
    """E[x] and E[x^2] of N(mu, sigma^2) restricted to (low, high]."""
    if low == high:
        return low, low * low
    alpha = (low - mu) / sigma
    beta = (high - mu) / sigma
    mass = (_cdf(beta) if high < math.inf else 1.0) - (_cdf(alpha) if low > -math.inf else 0.0)
    if mass < 1e-12:  # far out in a tail: the nearer end stands for the whole interval
        point = high if beta < 0 else low
        return point, point * point
    pdf_low = _pdf(alpha) if low > -math.inf else 0.0
    pdf_high = _pdf(beta) if high < math.inf else 0.0
    ratio = (pdf_low - pdf_high) / mass
    mean = mu + sigma * ratio
    edge = (alpha * pdf_low if low > -math.inf else 0.0) - (
        beta * pdf_high if high < math.inf else 0.0
    )
    variance = sigma * sigma * max(1.0 + edge / mass - ratio * ratio, 0.0)
    return mean, variance + mean * mean
