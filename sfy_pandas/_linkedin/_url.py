"""Read a URL (or a bare profile path) as a LinkedIn profile: host, path, then the handle.

The text reaching here is one token: trimmed, unwrapped, without spaces.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final
from urllib.parse import quote, unquote

from ._results import (
    CANONICAL_PREFIX,
    MAX_HANDLE_LENGTH,
    InvalidCell,
    InvalidKind,
    ProfileURL,
    not_a_url,
    show,
)

__all__ = ["INVISIBLE", "JOINERS", "parse_path", "parse_url"]

# Characters that never belong in a URL and are invisible when pasted: zero-width
# space, word joiner, BOM, bidi marks and overrides, soft hyphen.
INVISIBLE: Final = re.compile(
    "[\u00ad\u061c\u180e\ufeff\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]"
)
# Zero-width (non-)joiners spell words in Persian and Indic scripts: kept inside a
# profile name, dropped only around the cell.
JOINERS: Final = "\u200c\u200d"
_EMAIL: Final = re.compile(r"[^@/\s]+@[^@/\s]+\.[^@/\s]+")
_HTTP_SCHEME: Final = re.compile(r"(?:https?:/{0,3}|//)", re.IGNORECASE)
# Any other scheme; "jane:doe" or "linkedin.com:443" is not one.
_OTHER_SCHEME: Final = re.compile(
    r"([a-z][a-z0-9+.-]*)://|(mailto|tel|sms|javascript|data|file|ftp|urn):", re.IGNORECASE
)
_PROFILE_PATH: Final = re.compile(r"/?in/", re.IGNORECASE)
_DOMAIN: Final = re.compile(r"(?:[\w-]+\.)+[^\W\d_]{2,}[\w-]*\.?(?::\d*)?")
_ASCII_HANDLE: Final = re.compile(r"[a-z0-9._-]*[a-z0-9][a-z0-9._-]*")
# Member ids (Sales Navigator exports, "ACoAAB..."): case-sensitive, kept as written.
_MEMBER_ID: Final = re.compile(r"AC[ow]AA[A-Za-z0-9_-]{20,}")
_HANDLE_PUNCTUATION: Final = frozenset("._-" + JOINERS)

_SECTION_KINDS: Final = {
    "company": InvalidCell(InvalidKind.COMPANY, "a LinkedIn company page, not a person's profile"),
    "showcase": InvalidCell(InvalidKind.COMPANY, "a LinkedIn company page, not a person's profile"),
    "school": InvalidCell(InvalidKind.SCHOOL, "a LinkedIn school page, not a person's profile"),
    "edu": InvalidCell(InvalidKind.SCHOOL, "a LinkedIn school page, not a person's profile"),
    "sales": InvalidCell(
        InvalidKind.SALES_NAVIGATOR,
        "a Sales Navigator link; use the person's linkedin.com/in/ profile URL",
    ),
    "talent": InvalidCell(
        InvalidKind.RECRUITER,
        "a LinkedIn Recruiter link; use the person's linkedin.com/in/ profile URL",
    ),
    "recruiter": InvalidCell(
        InvalidKind.RECRUITER,
        "a LinkedIn Recruiter link; use the person's linkedin.com/in/ profile URL",
    ),
    "pub": InvalidCell(
        InvalidKind.OLD_URL,
        "a /pub/ profile URL (old format); open it and copy the linkedin.com/in/ URL",
    ),
    "profile": InvalidCell(
        InvalidKind.OLD_URL,
        "a /profile/view link (old format); open it and copy the linkedin.com/in/ URL",
    ),
    "": InvalidCell(InvalidKind.NOT_A_PROFILE, "a LinkedIn address with no profile in it"),
}
_NO_HANDLE: Final = InvalidCell(
    InvalidKind.NO_HANDLE, "a linkedin.com/in/ URL with no profile name after /in/"
)
_SHORT_LINK: Final = InvalidCell(
    InvalidKind.SHORT_LINK, "a shortened lnkd.in link; open it and copy the linkedin.com/in/ URL"
)
_EMAIL_ADDRESS: Final = InvalidCell(InvalidKind.NOT_A_URL, "an email address, not a LinkedIn URL")


def parse_url(text: str) -> ProfileURL | InvalidCell:
    scheme = _HTTP_SCHEME.match(text)
    if scheme is not None:
        rest = text[scheme.end() :]
    elif _PROFILE_PATH.match(text):  # "in/jane" or "/in/jane": clearly a profile path
        return parse_path(text)
    elif _EMAIL.fullmatch(text):
        return _EMAIL_ADDRESS
    elif (other := _OTHER_SCHEME.match(text)) is not None:
        return InvalidCell(
            InvalidKind.NOT_A_URL, f"not a web link ({(other[1] or other[2]).lower()}:)"
        )
    else:
        rest = text

    end = len(rest)
    for separator in "/?#":
        found = rest.find(separator)
        if 0 <= found < end:
            end = found
    authority, path = rest[:end], rest[end:]
    host = authority.rpartition("@")[2].lower()
    if scheme is None and not _DOMAIN.fullmatch(host):
        return not_a_url(text)
    name, colon, port = host.rpartition(":")
    if colon and (port.isdigit() or not port):
        host = name
    host = host.rstrip(".")
    if not host:
        return not_a_url(text)
    if host == "lnkd.in" or host.endswith(".lnkd.in"):
        return _SHORT_LINK
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return InvalidCell(InvalidKind.NOT_LINKEDIN, f"not a LinkedIn URL ({show(host, 60)})")
    return parse_path(path)


def parse_path(path: str) -> ProfileURL | InvalidCell:
    for separator in "?#":
        path = path.partition(separator)[0]
    segments = [segment for segment in path.split("/") if segment]
    if segments and segments[0].lower() == "mwlite":  # the mobile site's prefix
        segments = segments[1:]
    section = segments[0].lower() if segments else ""
    if section != "in":
        known = _SECTION_KINDS.get(section)
        if known is not None:
            return known
        return InvalidCell(
            InvalidKind.NOT_A_PROFILE,
            f"a LinkedIn /{show(section, 30, quoted=False)}/ page, not a person's profile",
        )
    if len(segments) < 2:
        return _NO_HANDLE
    return _parse_handle(segments[1])


def _parse_handle(raw: str) -> ProfileURL | InvalidCell:
    handle = raw
    # Decode until stable: links that passed through a redirector are often encoded
    # twice, and a literal "%" is never part of a profile name.
    for _ in range(3):
        if "%" not in handle:
            break
        try:
            handle = unquote(handle, errors="strict")
        except UnicodeDecodeError:
            return InvalidCell(
                InvalidKind.BAD_HANDLE, "broken percent-encoding in the profile name"
            )
    if handle.isascii():
        if not _MEMBER_ID.fullmatch(handle):
            handle = handle.lower()
        valid = _ASCII_HANDLE.fullmatch(handle.lower()) is not None
        encoded = handle
    else:
        handle = unicodedata.normalize("NFC", INVISIBLE.sub("", handle)).lower()
        valid = _is_unicode_handle(handle)
        encoded = quote(handle, safe="")
    if not valid:
        return InvalidCell(
            InvalidKind.BAD_HANDLE,
            f"the profile name ({show(handle)}) has characters LinkedIn never uses",
        )
    if len(handle) > MAX_HANDLE_LENGTH:
        return InvalidCell(
            InvalidKind.BAD_HANDLE,
            f"the profile name is longer than LinkedIn allows ({MAX_HANDLE_LENGTH} characters)",
        )
    return ProfileURL(CANONICAL_PREFIX + encoded, encoded)


def _is_unicode_handle(handle: str) -> bool:
    """Letters, marks and digits of any script, plus ``.``, ``_`` and ``-``."""
    has_alnum = False
    for char in handle:
        if char in _HANDLE_PUNCTUATION:
            continue
        if char.isascii():
            if not char.isalnum():
                return False
        elif unicodedata.category(char)[0] not in "LMN":
            return False
        has_alnum = True
    return has_alnum
