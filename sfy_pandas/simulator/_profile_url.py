"""The simulator's own reading of a ``linkedin_url``: which profile it names, or why not.

Deliberately separate from the client's LinkedIn parser: tests that compare the
two catch a mistake in either. The rule is the API's (section 1): a
``linkedin.com/in/<handle>`` profile URL. Scheme, ``www``/country subdomain,
query, fragment, a trailing slash and letter case do not change the profile.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

__all__ = ["CANONICAL_PREFIX", "canonical_profile", "profile_handle"]

CANONICAL_PREFIX = "https://www.linkedin.com/in/"


def profile_handle(linkedin_url: str) -> str:
    """The profile's handle, lower-cased and percent-decoded.

    Raises ``ValueError`` with a short reason when the URL is not a
    ``linkedin.com/in/<handle>`` profile.
    """
    if not linkedin_url:
        raise ValueError("linkedin_url is empty")
    # Not trimmed: a URL holds no space or control character anywhere, and what
    # is accepted is echoed back, so it must be exactly a URL.
    if not all(_handle_char(char) or char == "/" for char in linkedin_url):
        raise ValueError("linkedin_url must be a URL without spaces or control characters")
    segments = _profile_path(linkedin_url).split("/")
    if len(segments) < 3 or segments[0] or segments[1].lower() != "in":
        raise ValueError("linkedin_url is not a profile: expected linkedin.com/in/<handle>")
    if len(segments) > 4 or (len(segments) == 4 and segments[3]):
        raise ValueError("linkedin_url has more path after the profile handle")
    try:
        handle = unquote(segments[2], errors="strict").lower()
    except UnicodeDecodeError:
        raise ValueError("linkedin_url has broken percent-encoding in the handle") from None
    if not handle:
        raise ValueError("linkedin_url has an empty profile handle")
    if not all(_handle_char(char) for char in handle):
        raise ValueError("linkedin_url has an invalid profile handle")
    return handle


def _profile_path(linkedin_url: str) -> str:
    """The path of a plain http(s) ``linkedin.com`` URL; ``ValueError`` for any other."""
    text = linkedin_url if "://" in linkedin_url else "https://" + linkedin_url
    try:
        parts = urlsplit(text)
    except ValueError:  # an unbalanced "[" in the host
        raise ValueError("linkedin_url is not a well-formed URL") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError("linkedin_url must be an http(s) URL")
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.username is not None or port is not None:
        raise ValueError("linkedin_url must be a plain linkedin.com address")
    # linkedin.com itself, or one label in front: www, a country (uk, de ...), m.
    if host != "linkedin.com" and not (host.endswith(".linkedin.com") and host.count(".") == 2):
        raise ValueError("linkedin_url is not a linkedin.com URL")
    return parts.path


def _handle_char(char: str) -> bool:
    """Anything printable but "/" and spaces, and the zero-width joiners some names use."""
    if char in _JOINERS:
        return True
    return char != "/" and unicodedata.category(char)[0] not in "CZ"


_JOINERS = "\u200c\u200d"


def canonical_profile(linkedin_url: str) -> str:
    """The one URL the simulator files a profile under (its ledger key).

    ``HTTP://UK.LinkedIn.com/in/Jane-Doe/?trk=x`` and
    ``https://www.linkedin.com/in/jane-doe`` are the same profile.
    Raises ``ValueError`` for a URL the API would refuse.
    """
    return CANONICAL_PREFIX + profile_handle(linkedin_url)
