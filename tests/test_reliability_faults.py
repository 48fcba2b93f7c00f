"""Whatever the network or the API does, no row is lost and nothing is paid twice.

Each scenario enriches 1,000 messy rows over real HTTP against a simulator that
misbehaves in one way, then checks the same figures: every row ends in a final
status (or an ``error``/``not-sent`` that says why), no profile was created twice
except where a create's answer was lost (at most one extra lookup per lost
answer), and every credit charged is for a completed lookup.

The scenarios already checked row by row in ``test_enrich_options.py`` (batch
query absent, 429 with a date or without ``Retry-After``, 5xx, lost answers)
run here as slow variants, for the figures.
"""

from __future__ import annotations

import pandas as pd
import pytest

import sfy_pandas
import sfy_pandas.client._client
from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._sample import messy_leads
from sfy_pandas.simulator import ServerHandle
from tests.conftest import assert_rows_match_ground_truth, enrich_kwargs

ROWS = 1000
#: Lookups drawn to run past the cap end at it: a shorter cap, a shorter run.
CAP = {"timeout_seconds": 1.0}
FINAL = {"completed", "not-found", "failed", "timeout", "invalid", "error", "not-sent"}
API_FINAL = {"completed", "not-found", "failed", "timeout"}


def assert_no_row_lost(frame: pd.DataFrame, server: ServerHandle) -> None:
    """Every row is final; answered rows hold the ground truth; the others say why."""
    statuses = frame["salesfinity_status"]
    assert statuses.notna().all(), "a row was left without a status"
    assert set(statuses) <= FINAL, f"rows left running: {statuses.value_counts().to_dict()}"
    explained = frame.loc[statuses.isin(["invalid", "error", "not-sent"]), "salesfinity_error"]
    assert explained.notna().all()
    assert (explained.str.len() > 5).all()
    answered = frame[statuses.isin(API_FINAL)]
    for cell, status, email in zip(
        answered["linkedin_url"],
        answered["salesfinity_status"],
        answered["salesfinity_email"],
        strict=True,
    ):
        truth = server.simulator.expected_outcome(parse_profile(cell).url, "work")  # type: ignore[union-attr]
        assert (status, None if pd.isna(email) else email) == (truth.status, truth.email)


def assert_paid_once(
    frame: pd.DataFrame, server: ServerHandle, run: sfy_pandas.EnrichmentRun
) -> tuple[int, int]:
    """No profile created twice but for lost answers; charges only for completed lookups.

    Returns (extra lookups, credits charged for them).
    """
    ledger = server.ledger
    duplicates = ledger.duplicates()
    extras = sum(count - 1 for count in duplicates.values())
    # A create is only re-sent when its answer never came: one extra lookup at most
    # per answer lost, and each of them was counted as ambiguous by the client.
    assert all(count == 2 for count in duplicates.values()), duplicates
    assert extras <= ledger.lost_responses + run.stats.ambiguous_creates
    if ledger.lost_responses == 0:
        assert duplicates == {}
    assert ledger.credits_charged == ledger.outcomes.get("completed", 0)
    completed = _completed_profiles(frame)
    assert run.credits_used == completed
    charged_for_extras = ledger.credits_charged - completed
    assert 0 <= charged_for_extras <= extras
    # Every lookup the client knows of is in the frame, once per profile.
    sent = frame.loc[frame["salesfinity_id"].notna()]
    assert sent["salesfinity_id"].nunique() == run.stats.created
    assert ledger.lookups_created == run.stats.created + extras
    return extras, charged_for_extras


def _completed_profiles(frame: pd.DataFrame) -> int:
    done = frame.loc[frame["salesfinity_status"] == "completed", "linkedin_url"]
    return len({parse_profile(cell).url for cell in done})  # type: ignore[union-attr]


def _profiles(frame: pd.DataFrame) -> int:
    parsed = (parse_profile(cell) for cell in frame["linkedin_url"])
    return len({p.url for p in parsed if isinstance(p, ProfileURL)})


ALREADY_CHECKED = pytest.mark.slow


@pytest.mark.parametrize(
    "knobs",
    [
        pytest.param({"rate_limit": 200, "burst": 5}, id="429-retry-after-seconds"),
        pytest.param(
            {"rate_limit": 200, "burst": 5, "retry_after": "date"},
            id="429-retry-after-date",
            marks=ALREADY_CHECKED,
        ),
        pytest.param(
            {"rate_limit": 200, "burst": 5, "retry_after": "none"},
            id="429-no-retry-after",
            marks=ALREADY_CHECKED,
        ),
        pytest.param({"fault_rate": 0.05}, id="5xx-5-percent", marks=ALREADY_CHECKED),
        pytest.param({"drop_rate": 0.05}, id="dropped-connections-5-percent"),
        pytest.param({"lost_response_rate": 0.05}, id="lost-create-answers-5-percent"),
        pytest.param({"batch_enabled": False}, id="no-batch-endpoint", marks=ALREADY_CHECKED),
    ],
)
def test_under_each_fault_every_row_is_right_and_nothing_is_paid_twice(serve, knobs):
    server = serve(seed=51, **CAP, **knobs)
    frame = messy_leads(ROWS, seed=51)
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))

    assert_rows_match_ground_truth(frame, server)
    assert_no_row_lost(frame, server)
    extras, _ = assert_paid_once(frame, server, run)
    ledger = server.ledger
    if "lost_response_rate" in knobs:
        assert ledger.lost_responses > 0
        assert extras == ledger.lost_responses  # each lost answer made one lookup the run re-sent
        assert run.stats.ambiguous_creates >= ledger.lost_responses
    if "rate_limit" in knobs:
        assert ledger.rate_limited > 0
        assert run.stats.rate_limited == ledger.rate_limited
    if "drop_rate" in knobs or "fault_rate" in knobs:
        assert sum(ledger.faults.values()) > 0


def test_answers_slower_than_the_clients_time_out_are_retried_without_losing_a_row(serve):
    # A read time-out shorter than the slow answers' 2 s, set from enrich() itself.
    server = serve(seed=52, slow_rate=0.05, slow_seconds=2.0, **CAP)
    frame = messy_leads(ROWS, seed=52)
    run = frame.salesfinity.enrich("linkedin_url", timeout=0.5, **enrich_kwargs(server))

    assert server.ledger.faults.get("slow", 0) > 0
    assert run.stats.ambiguous_creates > 0  # creates timed out, and were sent again
    assert_rows_match_ground_truth(frame, server)
    assert_no_row_lost(frame, server)
    assert_paid_once(frame, server, run)


def test_when_the_balance_runs_out_mid_run_the_rest_is_not_sent_and_says_why(serve):
    # Slow answers spread the creates over about 2 s: lookups resolve (and are
    # charged) while creates still go out. Unslowed, a fast client sent every
    # create before the first lookup was charged, and no create met a 402.
    server = serve(seed=53, balance=150, slow_rate=1.0, slow_seconds=0.02, **CAP)
    frame = messy_leads(ROWS, seed=53)
    with pytest.warns(UserWarning, match="balance is 150"):
        run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))

    ledger = server.ledger
    assert ledger.responses.get(402, 0) > 0
    assert_no_row_lost(frame, server)
    assert_paid_once(frame, server, run)
    held_back = frame[frame["salesfinity_status"] == "not-sent"]
    assert len(held_back) > 0
    assert held_back["salesfinity_error"].str.contains("no credits left").all()
    assert held_back["salesfinity_id"].isna().all()
    # Lookups already running when the balance ran out still finish, and are charged.
    assert run.stats.created + run.stats.not_sent == _profiles(frame)
    assert ledger.credits_charged >= 150


def test_a_wrong_key_sends_nothing_and_charges_nothing(serve):
    server = serve(api_key="the-right-key")
    frame = messy_leads(ROWS, seed=54)
    kwargs = enrich_kwargs(server)
    kwargs["api_key"] = "a-wrong-key"
    with pytest.raises(sfy_pandas.AuthenticationError, match="401"):
        frame.salesfinity.enrich("linkedin_url", **kwargs)
    ledger = server.ledger
    assert ledger.lookups_created == 0
    assert ledger.credits_charged == 0
    assert ledger.responses == {401: 1}  # refused once, at the balance check, then stopped
    assert_no_row_lost(frame, server)  # every row: not-sent, and the 401 as the reason
    valid = frame["salesfinity_status"] != "invalid"
    assert (frame.loc[valid, "salesfinity_status"] == "not-sent").all()
    assert frame.loc[valid, "salesfinity_error"].str.contains("401").all()
