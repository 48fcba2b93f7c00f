"""Turn a messy spreadsheet cell into one canonical LinkedIn profile URL, or say why not.

``parse_profile(cell)`` returns either a :class:`ProfileURL` or an :class:`InvalidCell`;
it never raises, whatever the cell holds.

The canonical form
------------------
``https://www.linkedin.com/in/<handle>``: https, the ``www`` host, no trailing slash,
no query, no fragment, nothing after the handle. The handle is

- lower case, because LinkedIn profile names are case-insensitive (``/in/JaneDoe``
  redirects to ``/in/janedoe``). The one exception is a member id such as
  ``ACoAAB...`` (what Sales Navigator exports put after ``/in/``): those are
  case-sensitive, so their case is kept;
- percent-encoded UTF-8 (upper-case hex, NFC first), so ``/in/jos%C3%A9``,
  ``/in/jos%c3%a9``, ``/in/josé`` and ``/in/JOSÉ`` are one profile,
  ``/in/jos%C3%A9``. The encoded form is what LinkedIn itself puts in the address
  bar, it is plain ASCII (safe in JSON, CSV, HTTP and any Excel), and there is only
  one way to write it.

What is cleaned up
------------------
Whitespace around the cell (non-breaking spaces and line breaks too), invisible
characters anywhere (zero-width spaces, BOM, bidi marks, soft hyphens; zero-width
joiners only around the cell, as Persian and Indic names use them), wrapping
quotes, angle brackets and parentheses, a leading ``@``, a missing or ``http``
scheme, any ``*.linkedin.com`` host (``uk.``, ``de.``, ``m.`` ...), the mobile
``/mwlite`` prefix, upper case in scheme, host and path, query strings, fragments,
trailing slashes and extra segments after the handle (``/details/experience/``,
``/en``), percent-encoding, even when applied twice. A path without a host is
accepted only when it is clearly a profile path (``in/jane`` or ``/in/jane``).

A spreadsheet formula ``=HYPERLINK("<url>", "label")`` is read for its URL: the
URL is written in the formula itself, so nothing is guessed. Any other formula
(``=A2``, ``=CONCAT(...)``) is refused, because its value is not in the cell.

Why a cell is refused
---------------------
Each :class:`InvalidCell` has a ``kind`` (an :class:`InvalidKind`, for grouping and
counting) and a ``reason`` an analyst can act on:

==================  =====================================================================
kind                example reason
==================  =====================================================================
``empty``           empty cell; empty cell ('N/A')
``not-text``        not text (number 42); not text (boolean True); not text (bytes)
``too-long``        cell too long (5,000 characters)
``formula``         a spreadsheet formula, not a URL ('=A2'); paste the value instead
``several-urls``    more than one LinkedIn URL in one cell
``not-a-url``       not a URL ('jane-doe'); use the person's linkedin.com/in/ URL;
                    an email address, not a LinkedIn URL; not a web link (mailto:);
                    extra text around the URL (...); keep only the URL
``not-linkedin``    not a LinkedIn URL (example.com)
``short-link``      a shortened lnkd.in link; open it and copy the linkedin.com/in/ URL
``company``         a LinkedIn company page, not a person's profile
``school``          a LinkedIn school page, not a person's profile
``sales-navigator`` a Sales Navigator link; use the person's linkedin.com/in/ profile URL
``recruiter``       a LinkedIn Recruiter link; use the person's linkedin.com/in/ profile URL
``old-url``         a /pub/ profile URL (old format); open it and copy the linkedin.com/in/ URL
``not-a-profile``   a LinkedIn /posts/ page, not a person's profile
``no-handle``       a linkedin.com/in/ URL with no profile name after /in/
``bad-handle``      the profile name ('jane doe') has characters LinkedIn never uses;
                    broken percent-encoding in the profile name; the profile name
                    is longer than LinkedIn allows (100 characters)
==================  =====================================================================

Empty-looking text (``nan``, ``None``, ``N/A``, ``-`` ...) counts as empty, as do
``None``, float NaN, ``pandas.NA`` and ``NaT`` (recognised without importing pandas).
A bare name (``jane-doe``, ``@jane``) is refused: it could be a handle, a
username on another site or a typo, and a wrong guess costs a credit.

Speed
-----
Cells longer than :data:`MAX_CELL_LENGTH` are refused before they are looked at.
Text is parsed with precompiled patterns and the result of each distinct text is
kept in a bounded LRU cache, so a column with many repeats costs a dictionary look-up
per repeat. Results are immutable and safe to share.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import quote, unquote

__all__ = [
    "MAX_CELL_LENGTH",
    "InvalidCell",
    "InvalidKind",
    "ProfileURL",
    "parse_profile",
]

#: Longer cells are refused unread: a LinkedIn URL, even with tracking, is far shorter.
MAX_CELL_LENGTH: Final = 2_000

#: LinkedIn's own limit on a custom profile name.
_MAX_HANDLE_LENGTH: Final = 100

#: How many distinct texts the parser remembers (about 10 MB when full).
_CACHE_SIZE: Final = 2**15

_CANONICAL_PREFIX: Final = "https://www.linkedin.com/in/"


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


def parse_profile(cell: object) -> ProfileURL | InvalidCell:
    """Read one cell as a LinkedIn profile URL.

    Returns the canonical :class:`ProfileURL`, or an :class:`InvalidCell` saying in
    plain words why the cell cannot be sent. Never raises.
    """
    if type(cell) is str:
        text = cell
    elif isinstance(cell, str):
        try:
            # str.__str__ copies a subclass (numpy.str_, ...) into a plain str
            # without calling anything the subclass overrides.
            text = str.__str__(cell)
        except Exception:  # a str subclass can do anything; the contract is never to raise
            return _not_text(cell)
    else:
        return _parse_object(cell)
    if len(text) > MAX_CELL_LENGTH:
        return InvalidCell(InvalidKind.TOO_LONG, f"cell too long ({len(text):,} characters)")
    return _parse_text(text)


# --- non-text cells ---------------------------------------------------------------

_EMPTY_CELL: Final = InvalidCell(InvalidKind.EMPTY, "empty cell")
# pandas.NA and pandas.NaT, recognised by type name so pandas is never imported.
_MISSING_TYPE_NAMES: Final = frozenset({"NAType", "NaTType"})
_BOOL_TYPE_NAMES: Final = frozenset({"bool", "bool_"})  # bool and numpy.bool_
_NUMBER_TYPE_PREFIXES: Final = ("int", "uint", "float", "complex", "Decimal", "Fraction")


def _parse_object(cell: object) -> InvalidCell:
    try:
        return _describe_object(cell)
    except Exception:  # an object's own methods may raise; the contract is never to raise
        return _not_text(cell)


def _describe_object(cell: object) -> InvalidCell:
    """Why a cell that is not text cannot be used; may raise on odd objects."""
    if cell is None:
        return _EMPTY_CELL
    if isinstance(cell, float):  # float and numpy.float64
        return _EMPTY_CELL if math.isnan(cell) else _number(cell)
    name = type(cell).__name__
    if name in _MISSING_TYPE_NAMES:
        return _EMPTY_CELL
    if isinstance(cell, bool) or name in _BOOL_TYPE_NAMES:
        return InvalidCell(InvalidKind.NOT_TEXT, f"not text (boolean {bool(cell)})")
    if isinstance(cell, (bytes, bytearray, memoryview)):
        return InvalidCell(InvalidKind.NOT_TEXT, f"not text ({name})")
    if isinstance(cell, int) or name.startswith(_NUMBER_TYPE_PREFIXES):
        return _EMPTY_CELL if _is_nan(cell) else _number(cell)
    if name in {"datetime64", "timedelta64"} and _is_nan(cell):  # numpy's NaT
        return _EMPTY_CELL
    return _not_text(cell)


def _is_nan(value: object) -> bool:
    # NaN is the only value not equal to itself; numpy answers with numpy.bool_.
    unequal = value != value  # noqa: PLR0124
    return type(unequal).__name__ in _BOOL_TYPE_NAMES and bool(unequal)


def _number(value: object) -> InvalidCell:
    try:
        shown = str(value)
    except Exception:  # e.g. an int too long to print
        shown = "too large to show"
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return InvalidCell(InvalidKind.NOT_TEXT, f"not text (number {shown})")


def _not_text(cell: object) -> InvalidCell:
    try:
        name = str.__str__(type(cell).__name__)
    except Exception:  # a metaclass can make even the type's name raise
        name = "unknown type"
    return InvalidCell(InvalidKind.NOT_TEXT, f"not text ({name})")


# --- text cells -------------------------------------------------------------------

# Characters that never belong in a URL and are invisible when pasted: zero-width
# space, word joiner, BOM, bidi marks and overrides, soft hyphen.
_INVISIBLE: Final = re.compile(
    "[\u00ad\u061c\u180e\ufeff\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069]"
)
# Zero-width (non-)joiners spell words in Persian and Indic scripts: kept inside a
# profile name, dropped only around the cell.
_JOINERS: Final = "\u200c\u200d"
_WHITESPACE: Final = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
# What people wrap a URL in: quotes of every kind, <>, (), [], and list punctuation.
_QUOTES: Final = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb\u2039\u203a"
_WRAPPERS: Final = _WHITESPACE + _JOINERS + _QUOTES + "<>()[]{}"
_TRAILERS: Final = _WRAPPERS + ",;"
_PLACEHOLDERS: Final = frozenset(
    {"nan", "none", "null", "nil", "n/a", "na", "#n/a", "-", "--", "\u2014", "?"}
)

_HYPERLINK: Final = re.compile(
    r'=\s*HYPERLINK\s*\(\s*"([^"]*)"\s*(?:[,;].*)?\)\s*', re.IGNORECASE | re.DOTALL
)
_HAS_SPACE: Final = re.compile(r"\s")
_SEPARATORS: Final = re.compile(r"[\s,;|]+")
_QUERY: Final = re.compile(r"[?#]")
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
_HANDLE_PUNCTUATION: Final = frozenset("._-" + _JOINERS)
# The shape most cells have, already lower case and ASCII: answered without the
# general parser, which gives the same answer (a test holds the two together).
_COMMON_SHAPE: Final = re.compile(
    r"\s*(?:https?://)?(?:www\.|m\.|[a-z]{2}\.)?linkedin\.com/in/"
    r"([a-z0-9._-]*[a-z0-9][a-z0-9._-]*)"
    r"(?:/[^?#\s,;|:]*)?(?:[?#][^\s,;|]*)?\s*"
)

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
_SEVERAL: Final = InvalidCell(InvalidKind.SEVERAL_URLS, "more than one LinkedIn URL in one cell")
_SHORT_LINK: Final = InvalidCell(
    InvalidKind.SHORT_LINK, "a shortened lnkd.in link; open it and copy the linkedin.com/in/ URL"
)
_EMAIL_ADDRESS: Final = InvalidCell(InvalidKind.NOT_A_URL, "an email address, not a LinkedIn URL")


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_text(text: str) -> ProfileURL | InvalidCell:
    common = _COMMON_SHAPE.fullmatch(text)
    if common is not None and len(handle := common.group(1)) <= _MAX_HANDLE_LENGTH:
        return ProfileURL(_CANONICAL_PREFIX + handle, handle)
    return _parse_slow(text)


def _parse_slow(text: str) -> ProfileURL | InvalidCell:
    try:
        return _parse_clean(text, formula_allowed=True)
    except Exception:  # a bug here must cost one row, not the whole run
        return InvalidCell(InvalidKind.NOT_A_URL, f"not a URL ({_show(text)})")


def _parse_clean(text: str, *, formula_allowed: bool) -> ProfileURL | InvalidCell:
    if not text.isascii():
        text = _INVISIBLE.sub("", text)
    text = text.strip(_WHITESPACE + _JOINERS)
    if text.startswith("="):  # before unwrapping: a formula ends in '")'
        found = _HYPERLINK.fullmatch(text) if formula_allowed else None
        if found is None:
            return InvalidCell(
                InvalidKind.FORMULA,
                f"a spreadsheet formula, not a URL ({_show(text)}); paste the value instead",
            )
        return _parse_clean(found.group(1), formula_allowed=False)
    text = text.strip(_WRAPPERS)
    if text.startswith("@"):  # "@https://..." pasted from a chat mention
        text = text[1:].lstrip(_WRAPPERS)
    text = text.rstrip(_TRAILERS)
    if not text:
        return _EMPTY_CELL
    lower = text.lower()
    if lower in _PLACEHOLDERS:
        return InvalidCell(InvalidKind.EMPTY, f"empty cell ({_show(text)})")
    if (lower.count("linkedin.") > 1 or lower.count("://") > 1) and _several_urls(lower):
        return _SEVERAL
    if _HAS_SPACE.search(text):
        if "linkedin." in lower:
            return InvalidCell(
                InvalidKind.NOT_A_URL,
                f"extra text or spaces around the URL ({_show(text)}); keep only the URL",
            )
        return _not_a_url(text)
    return _parse_url(text)


def _several_urls(lower: str) -> bool:
    """Whether the cell holds two URLs, not one with a URL in its query string."""
    urls = 0
    for part in _SEPARATORS.split(lower):
        head = _QUERY.split(part, maxsplit=1)[0]
        if head.count("://") > 1:  # pasted twice with nothing between
            return True
        urls += "linkedin." in head or "://" in head
    return urls > 1


def _parse_url(text: str) -> ProfileURL | InvalidCell:
    scheme = _HTTP_SCHEME.match(text)
    if scheme is not None:
        rest = text[scheme.end() :]
    elif _PROFILE_PATH.match(text):  # "in/jane" or "/in/jane": clearly a profile path
        return _parse_path(text)
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
        return _not_a_url(text)
    name, colon, port = host.rpartition(":")
    if colon and (port.isdigit() or not port):
        host = name
    host = host.rstrip(".")
    if not host:
        return _not_a_url(text)
    if host == "lnkd.in" or host.endswith(".lnkd.in"):
        return _SHORT_LINK
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return InvalidCell(InvalidKind.NOT_LINKEDIN, f"not a LinkedIn URL ({_show(host, 60)})")
    return _parse_path(path)


def _parse_path(path: str) -> ProfileURL | InvalidCell:
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
            f"a LinkedIn /{_show(section, 30, quoted=False)}/ page, not a person's profile",
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
        handle = unicodedata.normalize("NFC", _INVISIBLE.sub("", handle)).lower()
        valid = _is_unicode_handle(handle)
        encoded = quote(handle, safe="")
    if not valid:
        return InvalidCell(
            InvalidKind.BAD_HANDLE,
            f"the profile name ({_show(handle)}) has characters LinkedIn never uses",
        )
    if len(handle) > _MAX_HANDLE_LENGTH:
        return InvalidCell(
            InvalidKind.BAD_HANDLE,
            f"the profile name is longer than LinkedIn allows ({_MAX_HANDLE_LENGTH} characters)",
        )
    return ProfileURL(_CANONICAL_PREFIX + encoded, encoded)


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


def _not_a_url(text: str) -> InvalidCell:
    return InvalidCell(
        InvalidKind.NOT_A_URL,
        f"not a URL ({_show(text)}); use the person's linkedin.com/in/ URL",
    )


def _show(text: str, limit: int = 40, *, quoted: bool = True) -> str:
    """A short, printable excerpt of the cell for a reason string."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    shown = repr(text)
    return shown if quoted else shown[1:-1]
