"""The API's rules for what a request may hold (API.md sections 1 and 3), written once.

The run checks its options against these before anything is sent, the client
checks its arguments, and the bundled simulator refuses what breaks them with a
400, so none of them can disagree. No I/O here.
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = [
    "EMAIL_TYPES",
    "MAX_BATCH",
    "MAX_EXTERNAL_ID_CHARS",
    "check_callback_url",
    "check_email_type",
]

#: The values of a create's ``type`` field (section 1).
EMAIL_TYPES: tuple[str, ...] = ("work", "personal")
#: The batch status query takes at most this many ids (section 3).
MAX_BATCH = 200
#: ``external_id`` is at most this long (section 1).
MAX_EXTERNAL_ID_CHARS = 256


def check_email_type(value: object) -> str:
    """The ``type`` of a create as the API spells it; ``ValueError`` naming ``type`` if not one."""
    text = getattr(value, "value", value)  # an EmailType member, or its string
    if isinstance(text, str) and text in EMAIL_TYPES:
        return text
    shown = " or ".join(repr(t) for t in EMAIL_TYPES)
    raise ValueError(f"type must be {shown}, not {value!r}")


def check_callback_url(value: object) -> str | None:
    """A ``callback_url`` the API accepts (an http(s) URL with a host), or None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"callback_url must be a URL string, not {type(value).__name__}")
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"callback_url must be an http(s) URL with a host, not {value!r}")
    return url
