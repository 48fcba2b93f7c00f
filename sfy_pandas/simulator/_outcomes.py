"""What the simulator answers for a profile: status, email and timings, fixed by the seed.

Everything is drawn from a hash of (seed, handle, type), not from a running random
stream, so the answer for a profile does not depend on what else was asked or in
which order. Tests use :func:`expected_outcome` as ground truth.
"""

from __future__ import annotations

import hashlib
import math
import unicodedata
from dataclasses import dataclass
from statistics import NormalDist

from ._config import SimulatorConfig
from ._profile_url import CANONICAL_PREFIX, profile_handle

__all__ = ["ExpectedOutcome", "draw_outcome", "expected_outcome"]

EMAIL_TYPES = ("work", "personal")

# z of a standard normal kept within +-3 so a single draw cannot run for ever.
_Z_LOW = NormalDist().cdf(-3.0)
_Z_HIGH = NormalDist().cdf(3.0)
_INV_CDF = NormalDist().inv_cdf

_COMPANY_WORDS = (
    "acme", "northwind", "bluepeak", "brightline", "cobalt", "evergreen", "granite",
    "harbor", "ironclad", "juniper", "keystone", "lumen", "meridian", "nimbus", "orchid",
    "pinnacle", "quartz", "redwood", "summit", "tidal", "vertex", "willow", "zenith",
)  # fmt: skip
_COMPANY_SUFFIXES = (
    "", "labs", "systems", "group", "tech", "analytics", "software", "partners", "health",
    "logistics", "capital", "media",
)  # fmt: skip
_COMPANY_TLDS = ("com", "com", "com", "com", "io", "co", "ai", "net")
_PERSONAL_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "gmail.com", "gmail.com", "outlook.com",
    "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExpectedOutcome:
    """How one lookup of a profile will go: the ground truth for tests.

    ``status`` is the final API status (``completed``, ``not-found``, ``failed`` or
    ``timeout``); ``email`` is set only when it is ``completed``. Times are seconds
    after the lookup is created; ``resolve_seconds`` already respects the cap.
    """

    profile: str
    type: str
    status: str
    email: str | None
    pending_seconds: float
    resolve_seconds: float

    @property
    def enrichment_type(self) -> str:
        """``work_email`` or ``personal_email``, as the API reports it."""
        return f"{self.type}_email"

    @property
    def credits(self) -> int:
        """What the lookup costs: 1 when it completes, else 0."""
        return 1 if self.status == "completed" else 0


def expected_outcome(
    linkedin_url: str, type: str, config: SimulatorConfig | None = None
) -> ExpectedOutcome:
    """What a simulator with ``config`` will answer for this profile and email type.

    ``linkedin_url`` may be in any form the simulator accepts. Raises
    ``ValueError`` for a URL or type the simulator would refuse with a 400.
    """
    if type not in EMAIL_TYPES:
        raise ValueError(f"type must be 'work' or 'personal', got {type!r}")
    return draw_outcome(config or SimulatorConfig(), profile_handle(linkedin_url), type)


def draw_outcome(config: SimulatorConfig, handle: str, type: str) -> ExpectedOutcome:
    """The outcome for an already-validated handle and type (see :func:`expected_outcome`)."""
    key = f"{config.seed}\x00{handle}\x00{type}".encode()
    digest = hashlib.blake2b(key, digest_size=32).digest()
    draws = [int.from_bytes(digest[i : i + 4], "big") / 2**32 for i in range(0, 32, 4)]

    pick = draws[0]
    if pick < config.completed_rate:
        status = "completed"
    elif pick < config.completed_rate + config.not_found_rate:
        status = "not-found"
    elif pick < config.completed_rate + config.not_found_rate + config.failed_rate:
        status = "failed"
    else:
        status = "timeout"

    if config.resolve_spread > 0:
        pending = config.pending_seconds * (0.5 + draws[1])
        z = _INV_CDF(min(max(draws[2], _Z_LOW), _Z_HIGH))
        resolve = config.resolve_seconds * math.exp(config.resolve_spread * z)
    else:
        pending = config.pending_seconds
        resolve = config.resolve_seconds
    resolve = max(resolve, pending)

    cap = config.timeout_seconds
    if status == "timeout" or resolve > cap:
        status, resolve, pending = "timeout", cap, min(pending, cap)

    email = _email(handle, type, draws[3:]) if status == "completed" else None
    return ExpectedOutcome(
        profile=CANONICAL_PREFIX + handle,
        type=type,
        status=status,
        email=email,
        pending_seconds=pending,
        resolve_seconds=resolve,
    )


def _email(handle: str, type: str, draws: list[float]) -> str:
    first, last = _name_parts(handle)
    if type == "work":
        word = _pick(_COMPANY_WORDS, draws[0])
        suffix = _pick(_COMPANY_SUFFIXES, draws[1])
        domain = f"{word}{suffix}.{_pick(_COMPANY_TLDS, draws[2])}"
        style = draws[3]
        if not last:
            local = first
        elif style < 0.7:
            local = f"{first}.{last}"
        elif style < 0.85:
            local = f"{first[0]}{last}"
        else:
            local = first
        return f"{local}@{domain}"
    local = f"{first}.{last}" if last else first
    if draws[3] < 0.4:
        local += str(int(draws[4] * 90) + 10)
    return f"{local}@{_pick(_PERSONAL_DOMAINS, draws[0])}"


def _name_parts(handle: str) -> tuple[str, str]:
    """A first and last name from a handle like ``jane-doe-4a1b2c`` (last may be empty)."""
    ascii_handle = unicodedata.normalize("NFKD", handle).encode("ascii", "ignore").decode()
    words = [
        "".join(char for char in word if char.isalnum())
        for word in ascii_handle.replace("_", "-").replace(".", "-").split("-")
    ]
    # LinkedIn appends numbers or a hex tag to common names; they are not names.
    names = [word for word in words if word and not any(char.isdigit() for char in word)]
    if not names:
        return "contact", ""
    return names[0], names[-1] if len(names) > 1 else ""


def _pick(choices: tuple[str, ...], draw: float) -> str:
    return choices[min(int(draw * len(choices)), len(choices) - 1)]
