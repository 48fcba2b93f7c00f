"""Every knob of the simulator (API.md section 6), with two named sets of defaults.

``fast`` (the default) resolves lookups in about a second, so the demo and the
tests finish quickly. ``realistic`` follows what peers report of the real API:
a median near 45 s, a tail of several minutes, a rate limit and rare faults.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["PROFILES", "RetryAfter", "SimulatorConfig"]

RetryAfter = Literal["seconds", "date", "none"]

_RETRY_AFTER_FORMS = ("seconds", "date", "none")

#: Values that differ from the dataclass defaults (which are the ``fast`` profile).
PROFILES: dict[str, dict[str, Any]] = {
    "fast": {},
    "realistic": {
        "pending_seconds": 5.0,
        "resolve_seconds": 45.0,
        # exp(0.9 * z): p90 ~ 2 min, p99 ~ 6 min; the longest runs into the cap.
        "resolve_spread": 0.9,
        "timeout_seconds": 600.0,
        "rate_limit": 10.0,
        "burst": 20,
        "fault_rate": 0.01,
        "drop_rate": 0.002,
        "slow_rate": 0.01,
        "slow_seconds": 2.0,
        "lost_response_rate": 0.005,
        "callback_duplicate_rate": 0.05,
        "callback_backoff_seconds": 2.0,
    },
}


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    """How the simulated API behaves. Every field is a knob of ``sfy-pandas simulate``.

    Build one with keywords (``SimulatorConfig(seed=7, fault_rate=0.1)``: the
    ``fast`` profile plus those), or from a named profile
    (``SimulatorConfig.from_profile("realistic", seed=7)``). Values are checked
    here, so a bad knob fails before the server starts.
    """

    #: Outcomes, timings, emails and injected faults all derive from this.
    seed: int = 0
    #: The only key accepted in ``x-api-key``; ``None`` accepts any non-empty key.
    api_key: str | None = dataclasses.field(default=None, repr=False)

    #: Typical time a lookup stays ``pending`` (each lookup draws 0.5x to 1.5x of it).
    pending_seconds: float = 0.2
    #: Median time from creation until a lookup resolves.
    resolve_seconds: float = 0.8
    #: Spread of resolve times: each is ``resolve_seconds * exp(spread * z)``, z a
    #: standard normal draw within +-3; 0 makes every lookup take exactly the median.
    resolve_spread: float = 0.5
    #: Hard cap: a lookup still running this long after creation ends in ``timeout``.
    timeout_seconds: float = 3.0

    #: Share of lookups that end ``completed`` (with an email; 1 credit). Any
    #: lookup whose drawn resolve time passes the cap ends in ``timeout`` instead.
    completed_rate: float = 0.6
    #: Share that end ``not-found``.
    not_found_rate: float = 0.3
    #: Share that end ``failed``. Whatever the three leave runs past the cap: ``timeout``.
    failed_rate: float = 0.05

    #: Starting credit balance; creating a lookup needs a positive balance.
    balance: int = 10_000

    #: Token-bucket refill in requests per second over all API calls; ``None`` = no limit.
    rate_limit: float | None = None
    #: Token-bucket size: how many requests may arrive at once.
    burst: int = 10
    #: How a 429 says when to come back: ``seconds``, an HTTP ``date``, or ``none``.
    retry_after: RetryAfter = "seconds"

    #: Share of requests answered 500, 502 or 503 before anything else happens.
    fault_rate: float = 0.0
    #: Share of requests whose connection breaks after the status line is sent.
    drop_rate: float = 0.0
    #: Share of requests delayed by ``slow_seconds`` before being handled.
    slow_rate: float = 0.0
    #: How long a slow request waits.
    slow_seconds: float = 1.0
    #: Share of successful creates whose lookup is made but whose answer is lost
    #: (a 502 or a broken connection instead of the 201).
    lost_response_rate: float = 0.0

    #: Serve the batch status query; off, its path answers 404 like the public API.
    batch_enabled: bool = True

    #: Share of callbacks delivered twice.
    callback_duplicate_rate: float = 0.0
    #: Attempts per callback delivery before giving up.
    callback_attempts: int = 3
    #: Wait before the second attempt; doubled before each further one.
    callback_backoff_seconds: float = 0.2
    #: Time-out of one callback POST.
    callback_timeout_seconds: float = 5.0

    #: A file that keeps every lookup and charge, so a simulator started later (in
    #: this process or another) knows the lookups made before; None keeps them in memory.
    state_file: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise TypeError(f"seed must be an integer, not {type(self.seed).__name__}")
        if self.api_key is not None and (not isinstance(self.api_key, str) or not self.api_key):
            raise ValueError("api_key must be a non-empty string, or None to accept any key")
        for name in (
            "pending_seconds",
            "resolve_seconds",
            "resolve_spread",
            "slow_seconds",
            "callback_backoff_seconds",
        ):
            _check_non_negative(name, getattr(self, name))
        for name in ("timeout_seconds", "callback_timeout_seconds"):
            _check_positive(name, getattr(self, name))
        rates = (
            "completed_rate",
            "not_found_rate",
            "failed_rate",
            "fault_rate",
            "drop_rate",
            "slow_rate",
            "lost_response_rate",
            "callback_duplicate_rate",
        )
        for name in rates:
            _check_rate(name, getattr(self, name))
        if self.completed_rate + self.not_found_rate + self.failed_rate > 1 + 1e-9:
            raise ValueError("completed_rate + not_found_rate + failed_rate must not exceed 1")
        if self.fault_rate + self.drop_rate > 1 + 1e-9:
            raise ValueError("fault_rate + drop_rate must not exceed 1")
        if isinstance(self.balance, bool) or not isinstance(self.balance, int):
            raise TypeError("balance must be an integer")
        if self.rate_limit is not None:
            _check_positive("rate_limit", self.rate_limit)
        if isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1:
            raise ValueError("burst must be an integer of at least 1")
        if self.retry_after not in _RETRY_AFTER_FORMS:
            raise ValueError(f"retry_after must be one of {_RETRY_AFTER_FORMS}")
        if not isinstance(self.callback_attempts, int) or self.callback_attempts < 1:
            raise ValueError("callback_attempts must be an integer of at least 1")
        _check_state_file(self.state_file)

    @classmethod
    def from_profile(cls, profile: str = "fast", **knobs: Any) -> SimulatorConfig:
        """The named profile's values (see :data:`PROFILES`), with ``knobs`` on top."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; choose from {sorted(PROFILES)}")
        return cls(**{**PROFILES[profile], **knobs})

    @property
    def timeout_rate(self) -> float:
        """Share of lookups drawn to run past the cap (what the three outcome rates leave)."""
        return max(0.0, 1.0 - self.completed_rate - self.not_found_rate - self.failed_rate)


def _check_state_file(value: object) -> None:
    if value is not None and (not isinstance(value, str) or not value):
        raise TypeError("state_file must be a file name (a non-empty string), or None")


def _check_non_negative(name: str, value: object) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


def _check_positive(name: str, value: object) -> None:
    _check_non_negative(name, value)
    assert isinstance(value, (int, float))
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _check_rate(name: str, value: object) -> None:
    _check_non_negative(name, value)
    assert isinstance(value, (int, float))
    if value > 1:
        raise ValueError(f"{name} is a share between 0 and 1, got {value}")
