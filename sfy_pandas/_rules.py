"""What each field of a create may hold (API.md section 1), written once for both sides.

The client checks its arguments with these before anything is sent, and the
bundled simulator answers a 400 with the same message, so the two can never
disagree about ``type``, ``external_id`` or ``callback_url``. Each check returns
the reason a value is refused (a sentence that names the field), or ``None``.
No I/O, and nothing from the package but the API's numbers.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from ._contract import EMAIL_TYPES, MAX_EXTERNAL_ID_CHARS

__all__ = [
    "callback_url_problem",
    "external_id_problem",
    "has_lone_surrogate",
    "type_problem",
]

# A host name: labels of letters, digits and hyphens (any script), dot-separated.
_HOST = re.compile(r"(?:[^\W_](?:[\w-]*[^\W_])?\.)*[^\W_](?:[\w-]*[^\W_])?\.?")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds half of a UTF-16 pair, which no UTF-8 body can carry.

    JSON's ``"\\ud800"`` escape decodes to one; echoing it back would fail.
    """
    return not text.isascii() and any("\ud800" <= char <= "\udfff" for char in text)


def type_problem(value: object) -> str | None:
    """Why ``value`` is not a create's ``type``; it is required."""
    if value is None:
        return "type is required: 'work' or 'personal'"
    if not isinstance(value, str) or value not in EMAIL_TYPES:
        return "type must be 'work' or 'personal'"
    return None


def external_id_problem(value: object) -> str | None:
    """Why ``value`` is not an ``external_id``; ``None`` (absent) is fine."""
    if value is None:
        return None
    if not isinstance(value, str):
        return "external_id must be a string"
    if len(value) > MAX_EXTERNAL_ID_CHARS:
        return f"external_id must be at most {MAX_EXTERNAL_ID_CHARS} characters"
    if has_lone_surrogate(value):
        return "external_id must be valid Unicode text"
    return None


def callback_url_problem(value: object) -> str | None:
    """Why ``value`` is not a ``callback_url``; ``None`` (absent) is fine.

    An absolute http(s) URL with a host name or IP address and, when given, a
    numeric port: what the server needs to POST to it. Nothing is trimmed: a
    URL with a space or a control character anywhere is not a URL.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        return "callback_url must be an http(s) URL string"
    if any(char.isspace() or unicodedata.category(char)[0] == "C" for char in value):
        return "callback_url must be an http(s) URL without spaces or control characters"
    try:
        parts = urlsplit(value)
        port = parts.port  # raises for a port that is not a number in 0..65535
    except ValueError:
        return "callback_url is not a well-formed URL"
    if parts.scheme.lower() not in {"http", "https"}:
        return "callback_url must be an http(s) URL"
    host = parts.hostname or ""
    if not host or not (_HOST.fullmatch(host) or _is_ip_literal(parts.netloc)):
        return "callback_url must name a host, as in https://example.com/hook"
    if port == 0:
        return "callback_url has port 0, which cannot be reached"
    return None


def _is_ip_literal(netloc: str) -> bool:
    # urlsplit has already checked the brackets of an IPv6 literal.
    return "[" in netloc.rpartition("@")[2]
