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

from ._cell import parse_profile
from ._results import MAX_CELL_LENGTH, InvalidCell, InvalidKind, ProfileURL

__all__ = [
    "MAX_CELL_LENGTH",
    "InvalidCell",
    "InvalidKind",
    "ProfileURL",
    "parse_profile",
]
