"""Any text in a cell gives one canonical profile URL or a reason; the API takes that URL.

Hypothesis writes the cells: any unicode, control characters, very long text,
and URLs of every shape built from schemes, hosts, paths, queries and
fragments. The canonical URLs found are posted to a running simulator.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfy_pandas._linkedin import (
    MAX_CELL_LENGTH,
    InvalidCell,
    InvalidKind,
    ProfileURL,
    parse_profile,
)
from sfy_pandas._linkedin._cell import _parse_clean as parse_without_safety_net
from sfy_pandas.simulator import SimulatorConfig, serve_in_thread

KEY = "parser-key"
PREFIX = "https://www.linkedin.com/in/"
BOUNDED = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

any_text = st.text() | st.text(
    alphabet=st.characters(codec="utf-8")
    | st.sampled_from("\x00\x80\x9f\u200b\u200d\ufeff\ud800%/:@")
)
schemes = st.sampled_from(["", "https://", "http://", "HTTPS://", "//", "https:/", "ftp://"])
hosts = st.sampled_from(
    [
        "www.linkedin.com",
        "linkedin.com",
        "uk.linkedin.com",
        "M.LinkedIn.com",
        "linkedin.com.",
        "www.linkedin.com:443",
        "user@linkedin.com",
        "lnkd.in",
        "example.com",
        "notlinkedin.com",
        "",
    ]
) | st.text(max_size=12)
segments = st.sampled_from(["in", "IN", "company", "pub", "sales", "mwlite", "", "%2F"]) | st.text(
    max_size=12
)
handles = st.text(string.ascii_letters + string.digits + "-_.%", min_size=1, max_size=30) | st.text(
    min_size=1, max_size=20
)
url_shaped = st.builds(
    lambda scheme, host, first, handle, rest, query, fragment: (
        f"{scheme}{host}/{first}/{handle}{rest}{query}{fragment}"
    ),
    schemes,
    hosts,
    segments,
    handles,
    st.sampled_from(["", "/", "/details/experience/", "/en"]) | st.text(max_size=8),
    st.sampled_from(["", "?trk=x", "?a=https://www.linkedin.com/in/x"]) | st.text(max_size=8),
    st.sampled_from(["", "#about"]),
)
wrapped = st.builds(
    lambda before, url, after: before + url + after,
    st.sampled_from(["", " ", "\u00a0", '"', "<", '=HYPERLINK("', "@", "\u200b"]),
    url_shaped,
    st.sampled_from(["", " ", "\n", '"', ">", '", "x")', ","]),
)
cells = any_text | url_shaped | wrapped
# Mostly profiles: a linkedin.com host and /in/, with any handle at all.
profile_shaped = st.builds(
    lambda scheme, host, handle, rest: f"{scheme}{host}/in/{handle}{rest}",
    st.sampled_from(["", "https://", "http://"]),
    st.sampled_from(["www.linkedin.com", "linkedin.com", "de.linkedin.com"]),
    handles,
    st.sampled_from(["", "/", "?trk=1"]),
)


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    config = SimulatorConfig(seed=5, api_key=KEY, balance=10**9)
    with (
        serve_in_thread(config) as server,
        httpx.Client(base_url=server.base_url, headers={"x-api-key": KEY}) as client,
    ):
        yield client


def assert_one_answer(result: object) -> None:
    if isinstance(result, ProfileURL):
        assert result.url == PREFIX + result.handle
        assert result.handle.isascii()
        assert result.handle.isprintable()
        assert not set(result.handle) & set("/?# ")
        assert parse_profile(result.url) == result, "the canonical URL is its own canonical form"
    else:
        assert isinstance(result, InvalidCell)
        assert isinstance(result.kind, InvalidKind)
        assert isinstance(result.reason, str)
        assert result.reason


@BOUNDED
@given(cell=cells)
def test_any_cell_gives_one_canonical_url_or_a_reason(cell: str) -> None:
    assert_one_answer(parse_profile(cell))


@BOUNDED
@given(cell=cells)
def test_the_parser_needs_no_safety_net_to_never_raise(cell: str) -> None:
    # parse_profile turns an unexpected exception into a "not a URL" row; none
    # should ever be needed.
    assert_one_answer(parse_without_safety_net(cell, formula_allowed=True))


@settings(max_examples=20, deadline=None)
@given(
    cell=st.text(min_size=MAX_CELL_LENGTH + 1, max_size=MAX_CELL_LENGTH * 3)
    | url_shaped.map(lambda url: url + "?x=" + "a" * MAX_CELL_LENGTH)
)
def test_a_cell_too_long_is_refused_unread(cell: str) -> None:
    result = parse_profile(cell)
    assert isinstance(result, InvalidCell)
    assert result.kind is InvalidKind.TOO_LONG


@BOUNDED
@given(
    handle=st.text(string.ascii_lowercase + string.digits + "-", min_size=1, max_size=30).filter(
        lambda h: h.strip("-")
    ),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    host=st.sampled_from(
        ["linkedin.com", "www.linkedin.com", "uk.linkedin.com", "WWW.LINKEDIN.COM"]
    ),
    upper=st.booleans(),
    tail=st.sampled_from(["", "/", "/?trk=x", "#about", "/details/skills/"]),
)
def test_every_way_of_writing_a_profile_gives_the_same_url(
    handle: str, scheme: str, host: str, upper: bool, tail: str
) -> None:
    written = handle.upper() if upper else handle
    result = parse_profile(f"{scheme}{host}/in/{written}{tail}")
    assert result == ProfileURL(PREFIX + handle, handle)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cell=profile_shaped)
def test_every_canonical_url_is_accepted_by_the_api(api: httpx.Client, cell: str) -> None:
    result = parse_profile(cell)
    if not isinstance(result, ProfileURL):
        return
    response = api.post(
        "/v1/api/enrichment/email", json={"linkedin_url": result.url, "type": "work"}
    )
    assert response.status_code == 201, (cell, result.url, response.text)
    assert response.json()["linkedin_url"] == result.url
