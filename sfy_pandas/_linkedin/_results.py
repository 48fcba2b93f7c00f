"""What the parser answers: a canonical profile URL, or why a cell holds none."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

__all__ = [
    "CANONICAL_PREFIX",
    "EMPTY_CELL",
    "MAX_CELL_LENGTH",
    "MAX_HANDLE_LENGTH",
    "InvalidCell",
    "InvalidKind",
    "ProfileURL",
    "not_a_url",
    "show",
]

#: Longer cells are refused unread: a LinkedIn URL, even with tracking, is far shorter.
MAX_CELL_LENGTH: Final = 2_000

#: LinkedIn's own limit on a custom profile name.
MAX_HANDLE_LENGTH: Final = 100

CANONICAL_PREFIX: Final = "https://www.linkedin.com/in/"


class InvalidKind(str, enum.Enum):
    """Why a cell holds no usable profile URL, in groups an analyst can count."""

    EMPTY = "empty"
    NOT_TEXT = "not-text"
    TOO_LONG = "too-long"
    FORMULA = "formula"
    SEVERAL_URLS = "several-urls"
    NOT_A_URL = "not-a-url"
    NOT_LINKEDIN = "not-linkedin"
    SHORT_LINK = "short-link"
    COMPANY = "company"
    SCHOOL = "school"
    SALES_NAVIGATOR = "sales-navigator"
    RECRUITER = "recruiter"
    OLD_URL = "old-url"
    NOT_A_PROFILE = "not-a-profile"
    NO_HANDLE = "no-handle"
    BAD_HANDLE = "bad-handle"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class ProfileURL:
    """A person's LinkedIn profile in canonical form.

    ``url`` is ``https://www.linkedin.com/in/<handle>``; ``handle`` is the part after
    ``/in/``, percent-encoded as in ``url``. ``str()`` gives the URL.
    """

    url: str
    handle: str

    def __str__(self) -> str:
        return self.url


@dataclass(frozen=True, slots=True)
class InvalidCell:
    """A cell that holds no usable profile URL: ``kind`` to group, ``reason`` to read."""

    kind: InvalidKind
    reason: str

    def __str__(self) -> str:
        return self.reason


EMPTY_CELL: Final = InvalidCell(InvalidKind.EMPTY, "empty cell")


def not_a_url(text: str) -> InvalidCell:
    return InvalidCell(
        InvalidKind.NOT_A_URL,
        f"not a URL ({show(text)}); use the person's linkedin.com/in/ URL",
    )


def show(text: str, limit: int = 40, *, quoted: bool = True) -> str:
    """A short, printable excerpt of the cell for a reason string."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    shown = repr(text)
    return shown if quoted else shown[1:-1]
