"""A messy spreadsheet cell becomes one canonical LinkedIn profile URL, or a reason."""

from __future__ import annotations

import datetime as dt
import decimal
import fractions
import math
import random
import sys
import uuid
from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sfy_pandas._linkedin import (
    MAX_CELL_LENGTH,
    InvalidCell,
    InvalidKind,
    ProfileURL,
    parse_profile,
)
from sfy_pandas._linkedin._cell import _parse_slow

JANE = "https://www.linkedin.com/in/jane-doe"
JOSE = "https://www.linkedin.com/in/jos%C3%A9"


def url_of(cell: object) -> str:
    result = parse_profile(cell)
    assert isinstance(result, ProfileURL), result
    return result.url


def refusal_of(cell: object) -> InvalidCell:
    result = parse_profile(cell)
    assert isinstance(result, InvalidCell), result
    return result


# --- cells that hold a profile ----------------------------------------------------

CANONICAL: list[tuple[str, str]] = [
    # the scheme and the host
    ("https://www.linkedin.com/in/jane-doe", JANE),
    ("http://www.linkedin.com/in/jane-doe", JANE),
    ("https://linkedin.com/in/jane-doe", JANE),
    ("linkedin.com/in/jane-doe", JANE),
    ("www.linkedin.com/in/jane-doe", JANE),
    ("//www.linkedin.com/in/jane-doe", JANE),
    ("https:/www.linkedin.com/in/jane-doe", JANE),
    ("https://uk.linkedin.com/in/jane-doe", JANE),
    ("https://de.linkedin.com/in/jane-doe", JANE),
    ("https://m.linkedin.com/in/jane-doe", JANE),
    ("https://www.linkedin.com/mwlite/in/jane-doe", JANE),
    ("https://www.linkedin.com:443/in/jane-doe", JANE),
    ("https://www.linkedin.com./in/jane-doe", JANE),
    # a path that is clearly a profile
    ("in/jane-doe", JANE),
    ("/in/jane-doe/", JANE),
    # upper case anywhere
    ("HTTPS://WWW.LINKEDIN.COM/IN/JANE-DOE", JANE),
    ("LinkedIn.com/IN/Jane-Doe/", JANE),
    # queries, fragments, trailing slashes, extra segments
    ("https://www.linkedin.com/in/jane-doe/", JANE),
    ("https://www.linkedin.com/in/jane-doe?trk=public_profile_browsemap", JANE),
    (
        "https://www.linkedin.com/in/jane-doe?utm_source=share&utm_campaign=share_via"
        "&utm_content=profile&utm_medium=ios_app",
        JANE,
    ),
    ("https://www.linkedin.com/in/jane-doe/?originalSubdomain=uk", JANE),
    ("https://www.linkedin.com/in/jane-doe#experience", JANE),
    ("https://www.linkedin.com/in/jane-doe/details/experience/", JANE),
    ("https://www.linkedin.com/in/jane-doe/en", JANE),
    ("https://www.linkedin.com/in/jane-doe/overlay/contact-info/", JANE),
    ("https://www.linkedin.com/in//jane-doe", JANE),
    ("https://www.linkedin.com/in/jane-doe?redirect=https://example.com/x", JANE),
    ("https://www.linkedin.com/in/jane-doe/?ref=linkedin.com,feed", JANE),
    # what surrounds the URL
    ("  https://www.linkedin.com/in/jane-doe  ", JANE),
    ("\u00a0https://www.linkedin.com/in/jane-doe\u00a0", JANE),
    ("\nhttps://www.linkedin.com/in/jane-doe\r\n", JANE),
    ("\u200bhttps://www.linkedin.com/in/jane-doe\u200b", JANE),
    ("\ufeffhttps://www.linkedin.com/in/jane-doe", JANE),
    ("https://www.linkedin.com/in/jane\u200b-doe", JANE),
    ("<https://www.linkedin.com/in/jane-doe>", JANE),
    ('"https://www.linkedin.com/in/jane-doe"', JANE),
    ("'linkedin.com/in/jane-doe'", JANE),
    ("\u201chttps://www.linkedin.com/in/jane-doe\u201d", JANE),
    ("(https://www.linkedin.com/in/jane-doe)", JANE),
    ("https://www.linkedin.com/in/jane-doe,", JANE),
    ("@https://www.linkedin.com/in/jane-doe", JANE),
    ("@linkedin.com/in/jane-doe", JANE),
    # a HYPERLINK formula carries its URL in plain sight
    ('=HYPERLINK("https://www.linkedin.com/in/jane-doe","Jane Doe")', JANE),
    ('=hyperlink("linkedin.com/in/Jane-Doe/"; "Jane")', JANE),
    ('=HYPERLINK("https://linkedin.com/in/jane-doe")', JANE),
    # real handle shapes
    ("linkedin.com/in/jane-doe-1a2b3c4d", "https://www.linkedin.com/in/jane-doe-1a2b3c4d"),
    ("https://www.linkedin.com/in/JaneDoe/", "https://www.linkedin.com/in/janedoe"),
    ("linkedin.com/in/jane.doe", "https://www.linkedin.com/in/jane.doe"),
    ("linkedin.com/in/jane_doe_", "https://www.linkedin.com/in/jane_doe_"),
    ("linkedin.com/in/j", "https://www.linkedin.com/in/j"),
    ("linkedin.com/in/42", "https://www.linkedin.com/in/42"),
    # unicode handles, in every encoding, become percent-encoded lower-case UTF-8
    ("https://www.linkedin.com/in/jos%C3%A9", JOSE),
    ("https://www.linkedin.com/in/jos%c3%a9", JOSE),
    ("https://www.linkedin.com/in/josé", JOSE),
    ("https://www.linkedin.com/in/JOSÉ", JOSE),
    ("https://www.linkedin.com/in/jose\u0301", JOSE),
    ("https://www.linkedin.com/in/JOS%C3%89", JOSE),
    ("https://www.linkedin.com/in/jos%25C3%25A9", JOSE),
    ("linkedin.com/in/李明", "https://www.linkedin.com/in/%E6%9D%8E%E6%98%8E"),
    (
        "linkedin.com/in/Дмитрий-Иванов",
        "https://www.linkedin.com/in/%D0%B4%D0%BC%D0%B8%D1%82%D1%80%D0%B8%D0%B9-"
        "%D0%B8%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2",
    ),
    (
        "linkedin.com/in/राहुल",
        "https://www.linkedin.com/in/%E0%A4%B0%E0%A4%BE%E0%A4%B9%E0%A5%81%E0%A4%B2",
    ),
    # zero-width joiners spell Persian names, so they stay inside a handle
    (
        "\u200clinkedin.com/in/\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627\u200d",
        "https://www.linkedin.com/in/%D9%85%D8%AD%D9%85%D8%AF%E2%80%8C%D8%B1%D8%B6%D8%A7",
    ),
    # member ids are case-sensitive, so their case is kept
    (
        "https://www.linkedin.com/in/ACoAAA8BYqEBCGLg_vT_ca6mMEqkpp9nVffJ3hc/",
        "https://www.linkedin.com/in/ACoAAA8BYqEBCGLg_vT_ca6mMEqkpp9nVffJ3hc",
    ),
]


@pytest.mark.parametrize(("cell", "expected"), CANONICAL, ids=repr)
def test_a_messy_spelling_becomes_the_canonical_url(cell: str, expected: str) -> None:
    assert url_of(cell) == expected


@pytest.mark.parametrize("expected", sorted({url for _, url in CANONICAL}))
def test_a_canonical_url_reads_back_as_itself(expected: str) -> None:
    result = parse_profile(expected)
    assert isinstance(result, ProfileURL)
    assert result.url == expected
    assert result.url == "https://www.linkedin.com/in/" + result.handle


def test_every_spelling_of_one_person_maps_to_one_url() -> None:
    spellings = [cell for cell, url in CANONICAL if url == JANE]
    assert len(spellings) > 30
    assert {url_of(cell) for cell in spellings} == {JANE}


def test_a_unicode_handle_has_one_url_whether_typed_or_percent_encoded() -> None:
    spellings = ["linkedin.com/in/josé", "linkedin.com/in/jos%C3%A9", "LINKEDIN.COM/IN/JOSÉ/"]
    assert {url_of(cell) for cell in spellings} == {JOSE}


def test_the_canonical_url_is_plain_ascii() -> None:
    assert all(url_of(cell).isascii() for cell, _ in CANONICAL)


# --- cells that do not ------------------------------------------------------------

REFUSED: list[tuple[object, InvalidKind, str]] = [
    # empty
    ("", InvalidKind.EMPTY, "empty cell"),
    ("   \n\t\u00a0\u200b", InvalidKind.EMPTY, "empty cell"),
    ('""', InvalidKind.EMPTY, "empty cell"),
    ("N/A", InvalidKind.EMPTY, "empty cell ('N/A')"),
    ("nan", InvalidKind.EMPTY, "empty cell ('nan')"),
    ("None", InvalidKind.EMPTY, "empty cell ('None')"),
    ("-", InvalidKind.EMPTY, "empty cell ('-')"),
    # not text
    (42, InvalidKind.NOT_TEXT, "not text (number 42)"),
    (4.2, InvalidKind.NOT_TEXT, "not text (number 4.2)"),
    (np.int64(7), InvalidKind.NOT_TEXT, "not text (number 7)"),
    (decimal.Decimal("1.5"), InvalidKind.NOT_TEXT, "not text (number 1.5)"),
    (True, InvalidKind.NOT_TEXT, "not text (boolean True)"),
    (np.bool_(False), InvalidKind.NOT_TEXT, "not text (boolean False)"),
    (b"linkedin.com/in/jane-doe", InvalidKind.NOT_TEXT, "not text (bytes)"),
    (["linkedin.com/in/jane-doe"], InvalidKind.NOT_TEXT, "not text (list)"),
    (dt.date(2024, 1, 1), InvalidKind.NOT_TEXT, "not text (date)"),
    # too long
    ("x" * (MAX_CELL_LENGTH + 1), InvalidKind.TOO_LONG, "cell too long (2,001 characters)"),
    # formulas other than HYPERLINK("...")
    ("=A2", InvalidKind.FORMULA, "a spreadsheet formula, not a URL ('=A2'); paste the value"),
    ("=HYPERLINK(A2)", InvalidKind.FORMULA, "a spreadsheet formula"),
    ('=CONCAT("linkedin.com/in/", A2)', InvalidKind.FORMULA, "a spreadsheet formula"),
    ('=HYPERLINK("=A2")', InvalidKind.FORMULA, "a spreadsheet formula"),
    # several URLs
    (
        "https://linkedin.com/in/jane-doe, https://linkedin.com/in/john-roe",
        InvalidKind.SEVERAL_URLS,
        "more than one LinkedIn URL in one cell",
    ),
    ("linkedin.com/in/a;linkedin.com/in/b", InvalidKind.SEVERAL_URLS, "more than one"),
    ("linkedin.com/in/a | linkedin.com/in/b", InvalidKind.SEVERAL_URLS, "more than one"),
    ("https://linkedin.com/in/ahttps://linkedin.com/in/b", InvalidKind.SEVERAL_URLS, "more"),
    ("https://linkedin.com/in/a/https://linkedin.com/in/b", InvalidKind.SEVERAL_URLS, "more"),
    # not a URL at all
    ("jane-doe", InvalidKind.NOT_A_URL, "not a URL ('jane-doe'); use the person's linkedin"),
    ("@jane-doe", InvalidKind.NOT_A_URL, "not a URL ('jane-doe')"),
    ("Jane Doe", InvalidKind.NOT_A_URL, "not a URL ('Jane Doe')"),
    ("jane@example.com", InvalidKind.NOT_A_URL, "an email address, not a LinkedIn URL"),
    ("mailto:jane@example.com", InvalidKind.NOT_A_URL, "an email address"),
    ("ftp://linkedin.com/in/jane-doe", InvalidKind.NOT_A_URL, "not a web link (ftp:)"),
    ("javascript:alert(1)", InvalidKind.NOT_A_URL, "not a web link (javascript:)"),
    ("http://", InvalidKind.NOT_A_URL, "not a URL"),
    ("/company/acme", InvalidKind.NOT_A_URL, "not a URL"),
    (
        "Jane Doe - linkedin.com/in/jane-doe",
        InvalidKind.NOT_A_URL,
        "extra text or spaces around the URL",
    ),
    ("linkedin.com/in/ jane-doe", InvalidKind.NOT_A_URL, "keep only the URL"),
    # another site, however much it looks like LinkedIn
    (
        "https://example.com/in/jane-doe",
        InvalidKind.NOT_LINKEDIN,
        "not a LinkedIn URL ('example.com')",
    ),
    ("notlinkedin.com/in/jane-doe", InvalidKind.NOT_LINKEDIN, "('notlinkedin.com')"),
    (
        "https://linkedin.com.evil.io/in/jane-doe",
        InvalidKind.NOT_LINKEDIN,
        "('linkedin.com.evil.io')",
    ),
    ("https://www.linkedin.com@evil.io/in/jane-doe", InvalidKind.NOT_LINKEDIN, "('evil.io')"),
    ("https://evil.io/www.linkedin.com/in/jane-doe", InvalidKind.NOT_LINKEDIN, "('evil.io')"),
    ("https://linkedin.cn/in/jane-doe", InvalidKind.NOT_LINKEDIN, "('linkedin.cn')"),
    ("https://www.google.com/url?q=linkedin.com/in/jane", InvalidKind.NOT_LINKEDIN, "google"),
    # LinkedIn, but not a person's profile
    ("https://lnkd.in/dXyZ123", InvalidKind.SHORT_LINK, "a shortened lnkd.in link; open it"),
    (
        "https://www.linkedin.com/company/acme/",
        InvalidKind.COMPANY,
        "a LinkedIn company page, not a person's profile",
    ),
    ("linkedin.com/showcase/acme-cloud", InvalidKind.COMPANY, "company page"),
    ("https://www.linkedin.com/school/mit/", InvalidKind.SCHOOL, "a LinkedIn school page"),
    (
        "https://www.linkedin.com/sales/lead/ACwAAA8BYqEBCGLg,NAME_SEARCH,abcd",
        InvalidKind.SALES_NAVIGATOR,
        "a Sales Navigator link; use the person's linkedin.com/in/ profile URL",
    ),
    ("https://www.linkedin.com/sales/people/ACwAAA8BYq", InvalidKind.SALES_NAVIGATOR, "Sales"),
    ("https://www.linkedin.com/talent/profile/AEMAAA", InvalidKind.RECRUITER, "Recruiter link"),
    (
        "https://www.linkedin.com/pub/jane-doe/12/345/678",
        InvalidKind.OLD_URL,
        "a /pub/ profile URL (old format); open it and copy the linkedin.com/in/ URL",
    ),
    ("http://www.linkedin.com/profile/view?id=12345", InvalidKind.OLD_URL, "/profile/view"),
    (
        "https://www.linkedin.com/posts/jane-doe_activity-123",
        InvalidKind.NOT_A_PROFILE,
        "a LinkedIn /posts/ page, not a person's profile",
    ),
    ("https://www.linkedin.com/feed/", InvalidKind.NOT_A_PROFILE, "/feed/"),
    ("https://www.linkedin.com/", InvalidKind.NOT_A_PROFILE, "with no profile in it"),
    ("linkedin.com", InvalidKind.NOT_A_PROFILE, "with no profile in it"),
    # a profile URL without a usable handle
    (
        "https://www.linkedin.com/in/",
        InvalidKind.NO_HANDLE,
        "a linkedin.com/in/ URL with no profile name after /in/",
    ),
    ("linkedin.com/in", InvalidKind.NO_HANDLE, "no profile name"),
    ("linkedin.com/in/?trk=x", InvalidKind.NO_HANDLE, "no profile name"),
    ("linkedin.com/in/jane%20doe", InvalidKind.BAD_HANDLE, "('jane doe') has characters"),
    ("linkedin.com/in/jane!", InvalidKind.BAD_HANDLE, "has characters LinkedIn never uses"),
    ("linkedin.com/in/..", InvalidKind.BAD_HANDLE, "has characters"),
    ("linkedin.com/in/jane%2Fdoe", InvalidKind.BAD_HANDLE, "has characters"),
    ("linkedin.com/in/jos%C3", InvalidKind.BAD_HANDLE, "broken percent-encoding"),
    ("linkedin.com/in/" + "a" * 101, InvalidKind.BAD_HANDLE, "longer than LinkedIn allows"),
]


@pytest.mark.parametrize(("cell", "kind", "reason"), REFUSED, ids=repr)
def test_a_cell_that_is_not_a_profile_is_refused_with_a_reason(
    cell: object, kind: InvalidKind, reason: str
) -> None:
    refused = refusal_of(cell)
    assert refused.kind is kind
    assert refused.reason.startswith(reason) or reason in refused.reason


def test_every_kind_of_refusal_has_an_example() -> None:
    assert {kind for _, kind, _ in REFUSED} == set(InvalidKind)


@pytest.mark.parametrize(
    "cell",
    [
        None,
        math.nan,
        float("nan"),
        np.nan,
        np.float32("nan"),
        pd.NA,
        pd.NaT,
        np.datetime64("NaT"),
        decimal.Decimal("NaN"),
        complex("nan"),
    ],
    ids=repr,
)
def test_a_missing_value_is_an_empty_cell(cell: object) -> None:
    assert refusal_of(cell) == InvalidCell(InvalidKind.EMPTY, "empty cell")


def test_a_numpy_string_is_read_as_text() -> None:
    assert url_of(np.str_("linkedin.com/in/Jane-Doe")) == JANE


def test_a_huge_cell_is_refused_by_its_length_alone() -> None:
    refused = refusal_of("https://www.linkedin.com/in/jane-doe" + "?x" * 5_000_000)
    assert refused.kind is InvalidKind.TOO_LONG
    assert refused.reason == "cell too long (10,000,036 characters)"


def test_a_cell_of_exactly_the_limit_is_still_read() -> None:
    cell = "https://www.linkedin.com/in/jane-doe?q=" + "x" * (MAX_CELL_LENGTH - 39)
    assert len(cell) == MAX_CELL_LENGTH
    assert url_of(cell) == JANE


def test_a_reason_shows_at_most_a_short_excerpt_of_the_cell() -> None:
    refused = refusal_of("not-a-url-" * 150)
    assert len(refused.reason) < 120


# --- the results themselves -------------------------------------------------------


def test_a_result_prints_as_its_url_or_its_reason() -> None:
    assert str(parse_profile("linkedin.com/in/jane-doe")) == JANE
    assert str(parse_profile("linkedin.com/company/acme")) == (
        "a LinkedIn company page, not a person's profile"
    )
    assert str(InvalidKind.COMPANY) == "company"


def test_results_are_frozen_and_comparable() -> None:
    result = parse_profile("linkedin.com/in/jane-doe")
    assert result == ProfileURL(JANE, "jane-doe")
    with pytest.raises(FrozenInstanceError):
        result.url = "x"  # type: ignore[misc]


def test_a_repeated_cell_gets_the_same_result_object() -> None:
    cell = f"linkedin.com/in/repeat-{uuid.uuid4().hex}"
    assert parse_profile(cell) is parse_profile(cell)


# --- it never raises --------------------------------------------------------------


class _Hostile:
    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    def __ne__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    def __hash__(self) -> int:
        raise RuntimeError("no hashing")

    def __str__(self) -> str:
        raise RuntimeError("no printing")

    def __repr__(self) -> str:
        raise RuntimeError("no printing")

    def __bool__(self) -> bool:
        raise RuntimeError("no truth")


class _HostileStr(str):
    __slots__ = ()

    def __str__(self) -> str:
        raise RuntimeError("no printing")

    def __hash__(self) -> int:
        raise RuntimeError("no hashing")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    def lower(self) -> str:  # type: ignore[override]
        raise RuntimeError("no lowering")


class _HostileNumber(int):
    def __ne__(self, other: object) -> bool:
        raise RuntimeError("no comparing")

    def __str__(self) -> str:
        raise RuntimeError("no printing")


class _NamelessMeta(type):
    @property
    def __name__(cls) -> str:  # type: ignore[override]
        raise RuntimeError("no name")


class _Nameless(metaclass=_NamelessMeta):
    pass


def _odd_objects() -> Iterator[object]:
    yield from [
        0,
        -1,
        10**5000,
        math.inf,
        -math.inf,
        1j,
        decimal.Decimal("sNaN"),
        decimal.Decimal("Infinity"),
        fractions.Fraction(1, 3),
        np.float64("inf"),
        np.int8(3),
        np.array(["linkedin.com/in/jane-doe"]),
        np.array([math.nan]),
        np.array([]),
        pd.Series(["linkedin.com/in/jane-doe"]),
        pd.DataFrame(),
        pd.Timestamp("2024-01-01"),
        pd.Timedelta(1),
        pd.Categorical(["a"]),
        bytearray(b"x"),
        memoryview(b"x"),
        {"url": "linkedin.com/in/jane-doe"},
        ("linkedin.com/in/jane-doe",),
        {1},
        frozenset(),
        object(),
        object,
        type,
        len,
        sys,
        iter([]),
        (x for x in ()),
        Ellipsis,
        NotImplemented,
        uuid.uuid4(),
        dt.datetime.now(tz=dt.timezone.utc),
        dt.timedelta(1),
        _Hostile(),
        _HostileStr("linkedin.com/in/jane-doe"),
        _HostileNumber(5),
        _Nameless(),
        ProfileURL(JANE, "jane-doe"),
        InvalidKind.EMPTY,
    ]


def _type_name(cell: object) -> str:
    try:
        return type(cell).__name__
    except RuntimeError:
        return "nameless"


@pytest.mark.parametrize("cell", list(_odd_objects()), ids=_type_name)
def test_any_python_object_gets_an_answer_not_an_exception(cell: object) -> None:
    result = parse_profile(cell)
    assert isinstance(result, (ProfileURL, InvalidCell))


def test_a_str_subclass_that_overrides_everything_is_still_read() -> None:
    assert url_of(_HostileStr("linkedin.com/in/Jane-Doe")) == JANE


_PIECES = [
    "https://", "http://", "//", "www.", "uk.", "m.", "linkedin.com", "LinkedIn.com", "lnkd.in",
    "/in/", "/IN/", "in/", "/pub/", "/company/", "/sales/lead/", "/", "//", "?", "#", "&", "=",
    "%", "%C3%A9", "%25", "%zz", "%C3", "jane", "JANE", "-", "_", ".", "..", "@", ":", ":443",
    "\u00a0", "\u200b", " ", "\n", "\t", '"', "'", "<", ">", "(", ")", "[", "]", ",", ";",
    "=HYPERLINK(", '"', "é", "e\u0301", "李", "\U0001f600", "\x00", "\udcff", "\\", "+", "~",
    "ACoAAA8BYqEBCGLg_vT_ca6mMEqkpp9nVffJ3hc", "x" * 120,
]  # fmt: skip


def test_random_text_gets_an_answer_not_an_exception() -> None:
    rng = random.Random(20240501)
    for _ in range(20_000):
        cell = "".join(rng.choices(_PIECES, k=rng.randint(0, 12)))
        result = parse_profile(cell)
        if isinstance(result, ProfileURL):
            assert result.url.isascii()
            assert result.url.startswith("https://www.linkedin.com/in/")
            assert parse_profile(result.url) == result  # canonical is a fixed point
        else:
            assert result.reason


def test_random_unicode_gets_an_answer_not_an_exception() -> None:
    rng = random.Random(7)
    for _ in range(5_000):
        cell = "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randint(0, 30)))
        assert isinstance(parse_profile(cell), (ProfileURL, InvalidCell))


def _decorate(handle: str, rng: random.Random) -> str:
    """One of the many ways a person's profile URL reaches a spreadsheet."""
    if rng.random() < 0.3:
        handle = "".join(c.upper() if rng.random() < 0.5 else c for c in handle)
    if rng.random() < 0.3:
        handle = "".join(f"%{byte:02X}" for byte in handle.encode())
    prefix = (
        rng.choice(["", "https://", "http://", "HTTPS://", "//"])
        + rng.choice(["www.", "", "uk.", "M.", "de."])
        + rng.choice(["linkedin.com", "LinkedIn.com", "linkedin.com:443"])
        + rng.choice(["/in/", "/IN/", "/mwlite/in/", "//in/"])
    )
    suffix = rng.choice(["", "/", "/details/experience/", "/en", "?trk=abc", "#top", "/?x=1#y"])
    left, right = rng.choice([("", ""), ("<", ">"), ('"', '"'), ("\u00a0 ", "\n"), ("@", "")])
    return left + prefix + handle + suffix + right


@pytest.mark.parametrize("handle", ["jane-doe", "jane.doe_42", "josé", "李明", "ólafur-þór"])
def test_random_spellings_of_one_profile_all_give_its_url(handle: str) -> None:
    rng = random.Random(handle)
    expected = url_of("linkedin.com/in/" + handle)
    spellings = {_decorate(handle, rng) for _ in range(500)}
    results: dict[str, Any] = {cell: parse_profile(cell) for cell in spellings}
    assert {str(result) for result in results.values()} == {expected}, results


def _common_shapes(rng: random.Random) -> Iterator[str]:
    """Cells close to the everyday shape, to hold the quick path to the general one."""
    tails = ["", "/", "/x", "/x:y", "/a/b/", "?", "#", "?a=b,c", "?u=https://x.io/y", "|", ";"]
    tails += [",", ")", '"', " ", "\u00a0", "\u200b", "\u200c", "/https://linkedin.com/in/z"]
    for _ in range(5_000):
        handle = "".join(rng.choices("ab9._-%A", k=rng.randint(0, 6)))
        yield (
            rng.choice(["", " ", "\n", "\u3000", "\u200b"])
            + rng.choice(["", "https://", "http://", "https:/", "HTTPS://"])
            + rng.choice(["", "www.", "m.", "uk.", "xyz.", "WWW."])
            + rng.choice(["linkedin.com", "linkedin.com.", "linkedin.com:80"])
            + rng.choice(["/in/", "/in//", "/mwlite/in/", "/In/"])
            + handle
            + "".join(rng.choices(tails, k=rng.randint(0, 3)))
        )


def test_the_quick_path_for_everyday_cells_agrees_with_the_general_parser() -> None:
    rng = random.Random(3)
    cells = [cell for cell, _ in CANONICAL] + [c for c, _, _ in REFUSED if isinstance(c, str)]
    cells += list(_common_shapes(rng))
    cells += ["".join(rng.choices(_PIECES, k=rng.randint(0, 12))) for _ in range(5_000)]
    disagreements = {
        cell: (parse_profile(cell), _parse_slow(cell))
        for cell in cells
        if len(cell) <= MAX_CELL_LENGTH and parse_profile(cell) != _parse_slow(cell)
    }
    assert disagreements == {}
