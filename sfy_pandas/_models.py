"""What a lookup is: its status, its result, and how it is read off the wire.

No I/O here. Everything that reads an API answer is tolerant: optional fields may
be missing and unknown extra fields are ignored, so a server that adds a field
does not break a run.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._errors import InvalidResponseError

__all__ = [
    "API_STATUSES",
    "PROBLEM_STATUSES",
    "RUNNING_STATUSES",
    "STATUS_ORDER",
    "EmailType",
    "Lookup",
    "Status",
]


class Status(str, enum.Enum):
    """The state of one lookup, or of one row of a frame.

    The first six are the API's own. The last three are the client's: a row that
    was never sent (``invalid``, ``not-sent``) or whose request failed for good
    (``error``).
    """

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    NOT_FOUND = "not-found"
    FAILED = "failed"
    TIMEOUT = "timeout"
    INVALID = "invalid"
    ERROR = "error"
    NOT_SENT = "not-sent"

    def __str__(self) -> str:
        return self.value

    @property
    def is_running(self) -> bool:
        """True while the API is still working on the lookup."""
        return self in RUNNING_STATUSES

    @property
    def is_final(self) -> bool:
        """True when polling again cannot change the answer.

        ``not-sent`` is final for a run but can be sent by a later one.
        """
        return not self.is_running

    @property
    def is_problem(self) -> bool:
        """True for outcomes an analyst should look at (not a clean answer)."""
        return self in PROBLEM_STATUSES


#: The statuses of a lookup the API is still working on.
RUNNING_STATUSES = frozenset({Status.PENDING, Status.PROCESSING})
#: Outcomes an analyst should look at.
PROBLEM_STATUSES = frozenset({Status.FAILED, Status.TIMEOUT, Status.ERROR, Status.INVALID})
#: The statuses the API itself reports (the rest are the client's own).
API_STATUSES: tuple[Status, ...] = (
    Status.PENDING,
    Status.PROCESSING,
    Status.COMPLETED,
    Status.NOT_FOUND,
    Status.FAILED,
    Status.TIMEOUT,
)
#: Lifecycle order used by progress views and summaries.
STATUS_ORDER: tuple[Status, ...] = tuple(Status)


class EmailType(str, enum.Enum):
    """Which email the lookup asks for (the API's ``type`` field)."""

    WORK = "work"
    PERSONAL = "personal"

    def __str__(self) -> str:
        return self.value


def parse_status(value: object) -> Status:
    """Read an API status; an unknown one counts as still running.

    A vendor that adds a status (say ``queued``) should slow a run down, not
    crash it: the engine's own time cap ends lookups that never resolve.
    """
    if isinstance(value, str):
        try:
            status = Status(value)
        except ValueError:
            return Status.PROCESSING
        if status in API_STATUSES:
            return status
    return Status.PROCESSING


@dataclass(frozen=True, slots=True)
class Lookup:
    """One enrichment request as the API last described it."""

    id: str
    status: Status
    linkedin_url: str | None = None
    email: str | None = None
    email_type: str | None = None
    enrichment_type: str | None = None
    external_id: str | None = None
    data_found: bool | None = None
    updated_at: str | None = None

    @classmethod
    def from_api(cls, data: object) -> Lookup:
        """Build a lookup from a section-2 (or batch-query) JSON object.

        Raises :class:`InvalidResponseError` when the object has no usable id.
        """
        if not isinstance(data, Mapping):
            raise InvalidResponseError(f"expected a JSON object, got {type(data).__name__}")
        lookup_id = data.get("_id", data.get("id"))
        if not isinstance(lookup_id, str) or not lookup_id:
            raise InvalidResponseError("the lookup in the response has no '_id'")
        email_obj = data.get("email")
        email: str | None = None
        email_type: str | None = None
        if isinstance(email_obj, Mapping):
            email = _optional_str(email_obj.get("email"))
            email_type = _optional_str(email_obj.get("type"))
        elif isinstance(email_obj, str):
            email = email_obj or None
        data_found = data.get("dataFound")
        return cls(
            id=lookup_id,
            status=parse_status(data.get("status", "pending")),
            linkedin_url=_optional_str(data.get("linkedin_url")),
            email=email,
            email_type=email_type,
            enrichment_type=_optional_str(data.get("enrichment_type")),
            external_id=_optional_str(data.get("external_id")),
            data_found=data_found if isinstance(data_found, bool) else None,
            updated_at=_optional_str(data.get("updatedAt")),
        )

    def to_json(self) -> dict[str, Any]:
        """The fields worth keeping (the journal stores this)."""
        return {
            "_id": self.id,
            "status": self.status.value,
            "linkedin_url": self.linkedin_url,
            "email": None if self.email is None else {"email": self.email, "type": self.email_type},
            "enrichment_type": self.enrichment_type,
            "external_id": self.external_id,
        }


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
