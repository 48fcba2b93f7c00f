"""Bad input through ``df.salesfinity.enrich``: refused row by row, never sent, never paid.

A bad cell becomes an ``invalid`` row with a message and never reaches the API
(the simulator's ledger shows no create for it and no 400 at all); a bad frame
or a bad argument is refused before anything is sent, with an error that says
what was wrong. Each cell case runs beside one good profile, so the run really
talks to the API while the bad cell is in the frame.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

import sfy_pandas
from sfy_pandas.pandas._accessor import SalesfinityAccessor
from sfy_pandas.simulator import ServerHandle, serve_in_thread
from tests.conftest import assert_rows_match_ground_truth, enrich_kwargs

#: Lookups resolve in a few tens of milliseconds, timeouts included.
QUICK = {
    "seed": 81,
    "pending_seconds": 0.01,
    "resolve_seconds": 0.03,
    "resolve_spread": 0.0,
    "timeout_seconds": 0.1,
}
_controls = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    handle = serve_in_thread(**QUICK)
    yield handle
    handle.stop()


def _kwargs(server: ServerHandle, **extra: object) -> dict[str, object]:
    return enrich_kwargs(server, poll_interval=0.02, **extra)


BAD_CELLS = [
    pytest.param(np.nan, "empty cell", id="nan"),
    pytest.param(None, "empty cell", id="none"),
    pytest.param(pd.NA, "empty cell", id="pandas-na"),
    pytest.param(pd.NaT, "empty cell", id="nat"),
    pytest.param("", "empty cell", id="empty-string"),
    pytest.param("  \t\u00a0\n ", "empty cell", id="whitespace"),
    pytest.param("N/A", "empty cell", id="n-a"),
    pytest.param(42, "number 42", id="int"),
    pytest.param(3.5, "number 3.5", id="float"),
    pytest.param(np.int64(7), "number 7", id="numpy-int"),
    pytest.param(float("inf"), "number inf", id="infinity"),
    pytest.param(True, "boolean", id="bool"),
    pytest.param(decimal.Decimal("12"), "number 12", id="decimal"),
    pytest.param(dt.date(2024, 1, 1), "not text", id="date"),
    pytest.param(b"linkedin.com/in/jane", "bytes", id="bytes"),
    pytest.param(["linkedin.com/in/jane"], "not text", id="list"),
    pytest.param("https://www.linkedin.com/company/acme", "company page", id="company"),
    pytest.param("https://www.linkedin.com/school/mit/", "school page", id="school"),
    pytest.param(
        "https://www.linkedin.com/sales/lead/ACwAAA123,NAME_SEARCH", "Sales Navigator", id="sales"
    ),
    pytest.param("https://www.linkedin.com/talent/profile/AEMA", "Recruiter", id="recruiter"),
    pytest.param("https://www.linkedin.com/pub/jane-doe/1/2/3", "/pub/", id="pub"),
    pytest.param("https://www.linkedin.com/posts/jane-123", "/posts/", id="posts"),
    pytest.param("https://www.linkedin.com/in/", "no profile name", id="no-handle"),
    pytest.param("https://lnkd.in/abc", "lnkd.in", id="short-link"),
    pytest.param("https://example.com/in/jane", "not a LinkedIn URL", id="other-site"),
    pytest.param("https://linkedin.com.evil.example/in/jane", "not a LinkedIn URL", id="lookalike"),
    pytest.param(
        "https://evil.example/?u=linkedin.com/in/jane", "not a LinkedIn URL", id="in-query"
    ),
    pytest.param("jane@example.com", "email address", id="email"),
    pytest.param("jane-doe", "not a URL", id="bare-handle"),
    pytest.param("@jane", "not a URL", id="at-handle"),
    pytest.param("javascript:alert(1)", "not a web link", id="javascript"),
    pytest.param("file:///etc/passwd", "not a web link", id="file"),
    pytest.param("linkedin.com/in/jane linkedin.com/in/joe", "more than one", id="two-urls"),
    pytest.param("https://www.linkedin.com/in/jane%20doe", "characters", id="space-in-handle"),
    pytest.param("https://www.linkedin.com/in/%E9", "percent-encoding", id="broken-percent"),
    pytest.param("https://www.linkedin.com/in/%ZZ", "characters", id="bad-percent"),
    pytest.param("https://www.linkedin.com/in/\U0001f600", "characters", id="emoji-handle"),
    pytest.param("https://www.linkedin.com/in/jane\x00", "characters", id="nul-in-handle"),
    pytest.param("https://www.linkedin.com/in/" + "a" * 101, "longer than", id="long-handle"),
    pytest.param("x" * 5_000, "too long", id="huge-cell"),
    pytest.param("https://www.linkedin.com/in/jane?" + "q" * 1_000_000, "too long", id="1mb-cell"),
    pytest.param("=A2", "formula", id="formula"),
    pytest.param("=cmd|' /C calc'!A0", "formula", id="dde-formula"),
    pytest.param("+linkedin.com/in/jane", "not a URL", id="plus-formula"),
    pytest.param("-1", "not a URL", id="minus"),
]


@pytest.mark.parametrize(("cell", "reason"), BAD_CELLS)
def test_a_bad_cell_is_invalid_with_a_message_and_never_reaches_the_api(server, cell, reason):
    control = f"https://www.linkedin.com/in/bad-input-control-{next(_controls)}"
    frame = pd.DataFrame({"linkedin_url": pd.Series([cell, control], dtype=object)})
    before = server.ledger
    frame.salesfinity.enrich("linkedin_url", **_kwargs(server))

    assert frame["salesfinity_status"].iloc[0] == "invalid"
    message = frame["salesfinity_error"].iloc[0]
    assert reason in message
    assert len(message) < 200  # a huge cell is not copied into its message
    assert pd.isna(frame["salesfinity_id"].iloc[0])
    assert frame["salesfinity_status"].iloc[1] != "invalid"
    after = server.ledger
    assert after.lookups_created - before.lookups_created == 1  # the control, only
    assert after.created_for(control, "work") == 1
    assert after.responses.get(400, 0) == 0


def test_unicode_and_percent_encoded_handles_are_one_profile_sent_once(serve):
    server = serve(**QUICK)
    spellings = [
        "linkedin.com/in/josé",
        "https://www.linkedin.com/in/jos%C3%A9",
        "https://WWW.LINKEDIN.COM/in/JOSÉ/",
        "http://de.linkedin.com/in/jos%c3%a9?trk=public_profile",
        "https://www.linkedin.com/in/jos%25C3%25A9",  # encoded twice
        "\u200bhttps://www.linkedin.com/in/jos\u00e9\u200f",  # zero-width and bidi marks
        "https://www.linkedin.com/in/jose\u0301",  # é as e + combining accent (NFD)
        '=HYPERLINK("https://www.linkedin.com/in/jos%C3%A9","José")',
    ]
    others = ["https://www.linkedin.com/in/王伟-123", "linkedin.com/in/محمد-علي", "in/Zoë-Ünal"]
    frame = pd.DataFrame({"linkedin_url": spellings + others})
    frame.salesfinity.enrich("linkedin_url", **_kwargs(server))

    assert (frame["salesfinity_status"] != "invalid").all(), frame["salesfinity_error"].tolist()
    assert frame["salesfinity_id"].iloc[: len(spellings)].nunique() == 1
    ledger = server.ledger
    assert ledger.duplicates() == {}
    assert ledger.lookups_created == 1 + len(others)
    assert ledger.responses.get(400, 0) == 0  # every canonical form is one the API takes
    assert_rows_match_ground_truth(frame, server)


def test_a_frame_of_every_bad_cell_and_a_few_good_ones_sends_only_the_good_ones(serve):
    server = serve(**QUICK)
    bad = [param.values[0] for param in BAD_CELLS]
    good = ["linkedin.com/in/only-good-1", "https://www.linkedin.com/in/only-good-2/"]
    frame = pd.DataFrame({"linkedin_url": pd.Series(bad + good + good, dtype=object)})
    run = frame.salesfinity.enrich("linkedin_url", **_kwargs(server))

    assert run.counts["invalid"] == len(bad)
    assert frame["salesfinity_error"].iloc[: len(bad)].notna().all()
    assert server.ledger.lookups_created == len(good)
    assert server.ledger.responses.get(400, 0) == 0
    assert_rows_match_ground_truth(frame, server)


def test_an_external_id_too_long_for_the_api_makes_its_row_invalid_not_a_400(serve):
    server = serve(**QUICK)
    frame = pd.DataFrame(
        {"li": ["linkedin.com/in/ext-long", "linkedin.com/in/ext-ok"], "lead": ["x" * 300, "L-2"]}
    )
    frame.salesfinity.enrich("li", external_id="lead", **_kwargs(server))
    assert frame["salesfinity_status"].tolist()[0] == "invalid"
    assert "external_id longer than 256" in frame["salesfinity_error"].iloc[0]
    assert server.ledger.lookups_created == 1
    assert server.ledger.responses.get(400, 0) == 0


def test_bad_cells_that_look_like_formulas_are_neutralised_on_export(server, tmp_path):
    frame = pd.DataFrame({"linkedin_url": ["=A2", "+1+2", "@SUM(1)", "-2+3", "\t=1"]})
    frame.salesfinity.enrich("linkedin_url", **_kwargs(server))
    assert (frame["salesfinity_status"] == "invalid").all()
    sfy_pandas.safe_for_spreadsheet(frame).to_csv(tmp_path / "out.csv", index=False)
    exported = pd.read_csv(tmp_path / "out.csv", dtype=str)
    for column in exported.columns:
        cells = exported[column].dropna()
        assert not cells.str.startswith(("=", "+", "@", "\t")).any(), column
        assert not cells[cells.str.startswith("-")].str.contains("[+=]").any(), column


# --- bad frames -----------------------------------------------------------------


def test_a_missing_column_is_a_key_error_that_names_the_columns_there_are():
    frame = pd.DataFrame({0: ["linkedin.com/in/a"], "LinkedIn URL": ["x"], "name": ["A"]})
    with pytest.raises(KeyError) as caught:
        frame.salesfinity.enrich("linkedin_url", api_key="k", journal="off")
    message = str(caught.value)
    assert "'linkedin_url'" in message
    assert "0, 'LinkedIn URL', 'name'" in message
    assert "salesfinity_status" not in frame.columns  # refused before touching the frame


def test_a_frame_without_columns_names_that_it_has_none():
    with pytest.raises(KeyError, match="is not a column of this frame"):
        pd.DataFrame().salesfinity.enrich("linkedin_url", api_key="k", journal="off")


def test_anything_but_a_dataframe_is_refused():
    # pandas asks an accessor to raise AttributeError for an object it cannot serve.
    with pytest.raises(AttributeError, match="not a list"):
        SalesfinityAccessor(["linkedin.com/in/a"])  # type: ignore[arg-type]
    with pytest.raises(AttributeError, match="works on a DataFrame, not a Series"):
        pd.Series(["linkedin.com/in/a"]).salesfinity  # noqa: B018
    with pytest.raises(AttributeError):
        pd.Index(["linkedin.com/in/a"]).salesfinity  # noqa: B018


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([], dtype=object),
        pd.Series([], dtype="float64"),
        pd.Series([], dtype="string"),
    ],
    ids=["object", "float", "string"],
)
def test_an_empty_frame_of_any_dtype_is_a_run_with_nothing_to_do(server, column):
    frame = pd.DataFrame({"linkedin_url": column})
    before = server.ledger
    run = frame.salesfinity.enrich("linkedin_url", **_kwargs(server))
    assert run.counts == {}
    assert run.done
    assert server.ledger.requests == before.requests  # not even the balance is read


@pytest.mark.parametrize(
    "column",
    [
        pd.Series([np.nan] * 3, dtype="float64"),
        pd.Series([pd.NA] * 3, dtype="string"),
        pd.Series([1, 2, 3], dtype="Int64"),
        pd.Series(["=A1", "n/a", ""], dtype="category"),
    ],
    ids=["all-nan-floats", "all-missing-strings", "nullable-ints", "categorical"],
)
def test_a_column_with_no_usable_cell_of_any_dtype_is_all_invalid_and_sends_nothing(server, column):
    frame = pd.DataFrame({"linkedin_url": column})
    before = server.ledger
    run = frame.salesfinity.enrich("linkedin_url", **_kwargs(server))
    assert run.counts == {"invalid": 3}
    assert frame["salesfinity_error"].notna().all()
    assert server.ledger.requests == before.requests


def test_string_arrow_and_categorical_columns_are_read_like_text(serve):
    server = serve(**QUICK)
    urls = ["linkedin.com/in/dtype-a", None, "linkedin.com/in/dtype-b", "linkedin.com/in/dtype-a"]
    frame = pd.DataFrame(
        {
            "string": pd.Series(urls, dtype="string"),
            "category": pd.Series(urls, dtype="category"),
        }
    )
    frame.salesfinity.enrich("string", **_kwargs(server))
    first = frame["salesfinity_status"].tolist()
    frame.salesfinity.enrich("category", **_kwargs(server))
    assert frame["salesfinity_status"].tolist() == first
    assert first[1] == "invalid"
    assert frame["salesfinity_id"].iloc[0] == frame["salesfinity_id"].iloc[3]


def test_duplicated_index_labels_and_a_multiindex_are_addressed_by_position(serve):
    server = serve(**QUICK)
    frame = pd.DataFrame(
        {"linkedin_url": ["linkedin.com/in/pos-a", "nope", "linkedin.com/in/pos-b", None]},
        index=pd.MultiIndex.from_tuples([("x", 1), ("x", 1), ("y", 2), ("x", 1)]),
    )
    frame.salesfinity.enrich("linkedin_url", **_kwargs(server))
    assert frame["salesfinity_status"].tolist()[1::2] == ["invalid", "invalid"]
    assert_rows_match_ground_truth(frame, server)


def test_a_column_label_that_appears_twice_is_refused_naming_it(server):
    frame = pd.DataFrame([["linkedin.com/in/a", "linkedin.com/in/b"]], columns=["li", "li"])
    with pytest.raises(ValueError, match="'li'"):
        frame.salesfinity.enrich("li", **_kwargs(server))
    assert "salesfinity_status" not in frame.columns


def test_a_frame_with_multiindex_columns_is_enriched_or_refused_clearly(server):
    frame = pd.DataFrame({("contact", "li"): ["linkedin.com/in/mi-a"], ("contact", "name"): ["A"]})
    columns = list(frame.columns)
    refused: Exception | None = None
    try:
        frame.salesfinity.enrich(("contact", "li"), **_kwargs(server))
    except (ValueError, TypeError) as exc:
        refused = exc
    if refused is None:
        assert_rows_match_ground_truth(frame, server, column=("contact", "li"))  # type: ignore[arg-type]
    else:
        assert "MultiIndex" in str(refused) or "column levels" in str(refused)
        assert list(frame.columns) == columns  # refused before touching the frame


# --- bad call arguments (test_enrich_options.py has type, progress, max_credits,
# concurrency, poll_interval, external_id, journal, plain http and runner) ----------


@pytest.mark.parametrize(
    ("call", "error", "names"),
    [
        ({"column": None}, KeyError, "column=None"),
        ({"column": ["linkedin_url"]}, KeyError, "column="),
        ({"column": ("linkedin_url",)}, KeyError, "column="),
        ({"type": None}, ValueError, "type"),
        ({"type": "WORK"}, ValueError, "type"),
        ({"type": "email"}, ValueError, "type"),
        ({"progress": True}, ValueError, "progress"),
        ({"max_credits": "5"}, TypeError, "max_credits"),
        ({"max_credits": True}, TypeError, "max_credits"),
        ({"concurrency": True}, TypeError, "concurrency"),
        ({"concurrency": 2.0}, TypeError, "concurrency"),
        ({"poll_interval": -1}, ValueError, "poll_interval"),
        ({"poll_interval": float("nan")}, ValueError, "poll_interval"),
        ({"poll_interval": "1"}, ValueError, "poll_interval"),
        ({"max_wait": 0}, ValueError, "max_wait"),
        ({"max_wait": -5}, ValueError, "max_wait"),
        ({"external_id": ["lead"]}, KeyError, "external_id"),
        ({"api_key": 123}, TypeError, "api_key"),
        ({"api_key": "   "}, ValueError, "api_key"),
        ({"base_url": 123}, TypeError, "base_url"),
        ({"base_url": "ftp://api.example.com"}, ValueError, "base_url"),
        ({"base_url": "not a url"}, ValueError, "base_url"),
        ({"journal": b"j.sqlite3"}, TypeError, "journal"),
    ],
)
def test_a_bad_argument_is_refused_before_anything_is_sent(server, call, error, names, tmp_path):
    frame = pd.DataFrame({"linkedin_url": ["linkedin.com/in/arg-a"], "lead": ["L1"]})
    before = server.ledger
    kwargs = {**_kwargs(server, journal=str(tmp_path / "j.sqlite3")), **call}
    column = kwargs.pop("column", "linkedin_url")
    with pytest.raises(error, match=names):
        frame.salesfinity.enrich(column, **kwargs)
    assert server.ledger.requests == before.requests
    assert "salesfinity_status" not in frame.columns


def test_a_callback_url_that_is_not_http_is_refused_before_anything_is_sent(server):
    frame = pd.DataFrame({"linkedin_url": ["linkedin.com/in/cb-a", "linkedin.com/in/cb-b"]})
    before = server.ledger
    with pytest.raises(ValueError, match="callback_url"):
        frame.salesfinity.enrich("linkedin_url", callback_url="not a url", **_kwargs(server))
    assert server.ledger.requests == before.requests
    assert "salesfinity_status" not in frame.columns


def test_a_flag_given_as_a_string_is_refused_rather_than_read_as_true(serve, journal_path):
    server = serve(**QUICK)
    frame = pd.DataFrame({"linkedin_url": ["linkedin.com/in/flag-a"]})
    frame.salesfinity.enrich("linkedin_url", **_kwargs(server, journal=journal_path))
    with pytest.raises(TypeError, match="refresh"):
        frame.salesfinity.enrich(
            "linkedin_url", refresh="false", **_kwargs(server, journal=journal_path)
        )
    assert server.ledger.lookups_created == 1


def test_an_api_key_that_cannot_travel_in_a_header_is_refused_before_the_frame_changes():
    frame = pd.DataFrame({"linkedin_url": ["linkedin.com/in/key-a"]})
    with pytest.raises(ValueError, match="api_key") as caught:
        frame.salesfinity.enrich("linkedin_url", api_key="my secret key", journal="off")
    assert "my secret key" not in str(caught.value)
    assert list(frame.columns) == ["linkedin_url"]
