"""Read one cell: pick text out of any value, clean it up, and hand one URL on.

Most cells have one common shape and are answered by one pattern; the rest are
cleaned (invisible characters, wrappers, a =HYPERLINK formula) and parsed.
Each distinct text is parsed once: a bounded LRU cache answers the repeats.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from ._objects import not_text, parse_object
from ._results import (
    CANONICAL_PREFIX,
    EMPTY_CELL,
    MAX_CELL_LENGTH,
    MAX_HANDLE_LENGTH,
    InvalidCell,
    InvalidKind,
    ProfileURL,
    not_a_url,
    show,
)
from ._url import INVISIBLE, JOINERS, parse_url

__all__ = ["parse_profile"]

#: How many distinct texts the parser remembers (about 1 MB when full): enough
#: for the repeats of a list, while a million distinct cells keep none of theirs.
_CACHE_SIZE: Final = 2**12

_WHITESPACE: Final = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
# What people wrap a URL in: quotes of every kind, <>, (), [], and list punctuation.
_QUOTES: Final = "\"'`\u201c\u201d\u2018\u2019\u00ab\u00bb\u2039\u203a"
_WRAPPERS: Final = _WHITESPACE + JOINERS + _QUOTES + "<>()[]{}"
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
# The shape most cells have, already lower case and ASCII: answered without the
# general parser, which gives the same answer (a test holds the two together).
_COMMON_SHAPE: Final = re.compile(
    r"\s*(?:https?://)?(?:www\.|m\.|[a-z]{2}\.)?linkedin\.com/in/"
    r"([a-z0-9._-]*[a-z0-9][a-z0-9._-]*)"
    r"(?:/[^?#\s,;|:]*)?(?:[?#][^\s,;|]*)?\s*"
)

_SEVERAL: Final = InvalidCell(InvalidKind.SEVERAL_URLS, "more than one LinkedIn URL in one cell")


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
            return not_text(cell)
    else:
        return parse_object(cell)
    if len(text) > MAX_CELL_LENGTH:
        return InvalidCell(InvalidKind.TOO_LONG, f"cell too long ({len(text):,} characters)")
    return _parse_text(text)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_text(text: str) -> ProfileURL | InvalidCell:
    common = _COMMON_SHAPE.fullmatch(text)
    if common is not None and len(handle := common.group(1)) <= MAX_HANDLE_LENGTH:
        return ProfileURL(CANONICAL_PREFIX + handle, handle)
    return _parse_slow(text)


def _parse_slow(text: str) -> ProfileURL | InvalidCell:
    try:
        return _parse_clean(text, formula_allowed=True)
    except Exception:  # a bug here must cost one row, not the whole run
        return InvalidCell(InvalidKind.NOT_A_URL, f"not a URL ({show(text)})")


def _parse_clean(text: str, *, formula_allowed: bool) -> ProfileURL | InvalidCell:
    if not text.isascii():
        text = INVISIBLE.sub("", text)
    text = text.strip(_WHITESPACE + JOINERS)
    if text.startswith("="):  # before unwrapping: a formula ends in '")'
        found = _HYPERLINK.fullmatch(text) if formula_allowed else None
        if found is None:
            return InvalidCell(
                InvalidKind.FORMULA,
                f"a spreadsheet formula, not a URL ({show(text)}); paste the value instead",
            )
        return _parse_clean(found.group(1), formula_allowed=False)
    text = text.strip(_WRAPPERS)
    if text.startswith("@"):  # "@https://..." pasted from a chat mention
        text = text[1:].lstrip(_WRAPPERS)
    text = text.rstrip(_TRAILERS)
    if not text:
        return EMPTY_CELL
    lower = text.lower()
    if lower in _PLACEHOLDERS:
        return InvalidCell(InvalidKind.EMPTY, f"empty cell ({show(text)})")
    if (lower.count("linkedin.") > 1 or lower.count("://") > 1) and _several_urls(lower):
        return _SEVERAL
    if _HAS_SPACE.search(text):
        if "linkedin." in lower:
            return InvalidCell(
                InvalidKind.NOT_A_URL,
                f"extra text or spaces around the URL ({show(text)}); keep only the URL",
            )
        return not_a_url(text)
    return parse_url(text)


def _several_urls(lower: str) -> bool:
    """Whether the cell holds two URLs, not one with a URL in its query string."""
    urls = 0
    for part in _SEPARATORS.split(lower):
        head = _QUERY.split(part, maxsplit=1)[0]
        if head.count("://") > 1:  # pasted twice with nothing between
            return True
        urls += "linkedin." in head or "://" in head
    return urls > 1
