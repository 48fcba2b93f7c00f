"""What the analyst sees for budgets, dry runs, hostile servers and wrong calls."""

from __future__ import annotations

import pandas as pd
import pytest

import sfy_pandas
from sfy_pandas._sample import messy_leads
from tests.conftest import (
    assert_each_profile_created_once,
    assert_rows_match_ground_truth,
    enrich_kwargs,
)


def test_max_credits_never_starts_a_lookup_that_could_exceed_the_budget(serve):
    server = serve(seed=31)
    frame = messy_leads(400, seed=31)
    run = frame.salesfinity.enrich("linkedin_url", max_credits=25, **enrich_kwargs(server))

    assert server.ledger.credits_charged <= 25
    assert run.credits_used == server.ledger.credits_charged
    held_back = frame[frame["salesfinity_status"] == "not-sent"]
    assert len(held_back) > 0
    assert held_back["salesfinity_error"].str.contains("max_credits=25").all()
    # Not-found answers give their unit back, so the budget is used in full.
    assert server.ledger.credits_charged == 25


def test_a_dry_run_counts_the_maximum_cost_and_sends_nothing(serve):
    server = serve(seed=32)
    frame = messy_leads(300, seed=32)
    run = frame.salesfinity.enrich("linkedin_url", dry_run=True, **enrich_kwargs(server))

    assert server.ledger.lookups_created == 0
    valid = frame["salesfinity_status"] != "invalid"
    assert (frame.loc[valid, "salesfinity_status"] == "not-sent").all()
    assert frame.loc[valid, "salesfinity_error"].str.contains("dry run").all()
    assert run.stats.max_cost == run.stats.profiles > 0


def test_a_balance_too_low_warns_first_and_leaves_the_rest_not_sent(serve):
    server = serve(seed=33, balance=0)
    frame = messy_leads(50, seed=33)
    with pytest.warns(UserWarning, match="balance is 0"):
        frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    valid = frame["salesfinity_status"] != "invalid"
    assert (frame.loc[valid, "salesfinity_status"] == "not-sent").all()
    assert frame.loc[valid, "salesfinity_error"].str.contains("no credits left").all()


@pytest.mark.parametrize(
    "knobs",
    [
        pytest.param({"batch_enabled": False}, id="no-batch-endpoint"),
        pytest.param(
            {"rate_limit": 200, "burst": 5, "retry_after": "none"}, id="429-without-retry-after"
        ),
        pytest.param({"rate_limit": 200, "burst": 5, "retry_after": "date"}, id="429-http-date"),
        pytest.param({"fault_rate": 0.05}, id="5xx-faults"),
    ],
)
def test_every_row_is_right_whatever_the_server_does(serve, knobs):
    server = serve(seed=34, **knobs)
    frame = messy_leads(1000, seed=34)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server)
    assert_each_profile_created_once(frame, server)
    assert server.ledger.credits_charged == server.ledger.outcomes.get("completed", 0)
    if "batch_enabled" in knobs:
        assert server.ledger.requests.get("batch_query", 0) == 1  # asked once, then remembered


def test_a_429_storm_is_met_with_a_handful_of_429s_not_a_flood(serve):
    server = serve(seed=35, rate_limit=100, burst=5, retry_after="none")
    frame = messy_leads(500, seed=35)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    ledger = server.ledger
    assert ledger.rate_limited < 0.1 * sum(ledger.requests.values())


def test_lost_create_answers_cost_at_most_one_extra_lookup_each(serve):
    server = serve(seed=36, lost_response_rate=0.05)
    frame = messy_leads(400, seed=36)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server)
    # Each lost answer can cost one extra lookup, no more: the client re-sends a
    # create only when it never heard back.
    extras = sum(count - 1 for count in server.ledger.duplicates().values())
    assert server.ledger.lost_responses > 0
    assert extras <= server.ledger.lost_responses


def test_without_a_key_the_error_says_how_to_set_one_or_try_the_simulator(monkeypatch):
    monkeypatch.delenv("SALESFINITY_API_KEY", raising=False)
    monkeypatch.delenv("SALESFINITY_BASE_URL", raising=False)
    frame = messy_leads(5)
    with pytest.raises(ValueError, match="SALESFINITY_API_KEY") as caught:
        frame.salesfinity.enrich("linkedin_url", journal="off")
    assert "base_url='simulator'" in str(caught.value)
    assert "salesfinity_status" not in frame.columns


def test_a_wrong_key_gives_one_clear_message_and_sends_nothing(serve):
    server = serve(api_key="the-right-key")
    frame = messy_leads(30)
    kwargs = enrich_kwargs(server)
    kwargs["api_key"] = "a-wrong-key-123"
    with pytest.raises(sfy_pandas.AuthenticationError) as caught:
        frame.salesfinity.enrich("linkedin_url", **kwargs)
    assert "SALESFINITY_API_KEY" in str(caught.value)
    assert "a-wrong-key-123" not in str(caught.value)
    assert server.ledger.lookups_created == 0
    valid = frame["salesfinity_status"] != "invalid"
    assert (frame.loc[valid, "salesfinity_status"] == "not-sent").all()
    assert frame.loc[valid, "salesfinity_error"].str.contains("401").all()


def test_a_missing_column_is_a_key_error_that_lists_the_columns():
    frame = messy_leads(5)
    with pytest.raises(KeyError, match="linkedin_url") as caught:
        frame.salesfinity.enrich("linkedin", api_key="k", journal="off")
    assert "column=" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"type": "home"}, ValueError, "type"),
        ({"progress": "fancy"}, ValueError, "progress"),
        ({"max_credits": -1}, ValueError, "max_credits"),
        ({"max_credits": 2.5}, TypeError, "max_credits"),
        ({"concurrency": 0}, ValueError, "concurrency"),
        ({"poll_interval": 0}, ValueError, "poll_interval"),
        ({"external_id": "nope"}, KeyError, "external_id"),
        ({"journal": 42}, TypeError, "journal"),
        ({"base_url": "http://api.example.com"}, ValueError, "base_url"),
        ({"runner": "trio"}, ValueError, "runner"),
    ],
)
def test_a_bad_argument_is_refused_naming_it(kwargs, error, names, tmp_path):
    frame = messy_leads(5)
    call = {"api_key": "k", "journal": str(tmp_path / "j.sqlite3"), **kwargs}
    with pytest.raises(error, match=names):
        frame.salesfinity.enrich("linkedin_url", **call)


def test_a_column_of_the_same_name_that_is_not_ours_is_never_overwritten():
    frame = messy_leads(5)
    frame["salesfinity_email"] = "mine@example.com"
    with pytest.raises(ValueError, match="salesfinity_email"):
        frame.salesfinity.enrich("linkedin_url", api_key="k", journal="off")
    assert (frame["salesfinity_email"] == "mine@example.com").all()


def test_the_accessor_refuses_to_work_on_anything_but_a_dataframe():
    with pytest.raises(AttributeError):
        pd.Series([1, 2]).salesfinity  # noqa: B018


def test_an_empty_frame_is_a_run_with_nothing_to_do(serve):
    server = serve()
    frame = pd.DataFrame({"linkedin_url": pd.Series([], dtype=object)})
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    assert run.counts == {}
    assert server.ledger.lookups_created == 0
    assert "salesfinity_status" in frame.columns
