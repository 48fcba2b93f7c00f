"""Several email types in one frame, over real HTTP: asking for one never erases another."""

from __future__ import annotations

import pandas as pd
import pytest

from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._sample import messy_leads
from tests.conftest import assert_rows_match_ground_truth, enrich_kwargs

TYPES = ("work", "personal")


def _columns(kind: str) -> list[str]:
    return [f"salesfinity_{kind}_{name}" for name in ("status", "email", "id", "error")]


def _assert_type_matches_ground_truth(frame: pd.DataFrame, server, kind: str) -> None:
    """Every row's ``kind`` columns hold what the simulator answers for that type."""
    wrong = []
    status, email = frame[f"salesfinity_{kind}_status"], frame[f"salesfinity_{kind}_email"]
    for position, cell in enumerate(frame["linkedin_url"].to_numpy(dtype=object)):
        parsed = parse_profile(cell)
        if isinstance(parsed, ProfileURL):
            truth = server.simulator.expected_outcome(parsed.url, kind)
            expected: tuple[object, object] = (truth.status, truth.email)
        else:
            expected = ("invalid", None)
        found = email.iloc[position]
        got = (status.iloc[position], None if pd.isna(found) else found)
        if got != expected:
            wrong.append((position, cell, got, expected))
    assert not wrong, f"{len(wrong)} {kind} rows differ from the ground truth: {wrong[:3]}"


def _profiles(frame: pd.DataFrame) -> int:
    parsed = (parse_profile(cell) for cell in frame["linkedin_url"])
    return len({p.url for p in parsed if isinstance(p, ProfileURL)})


def test_asking_both_types_fills_each_types_columns_with_its_ground_truth(serve):
    server = serve(seed=21)
    frame = messy_leads(120, seed=21)
    run = frame.salesfinity.enrich("linkedin_url", type=TYPES, **enrich_kwargs(server))

    for kind in TYPES:
        assert set(_columns(kind)) <= set(frame.columns)
        _assert_type_matches_ground_truth(frame, server, kind)
    plain = [c for c in frame.columns if c.startswith("salesfinity_") and c.count("_") == 1]
    assert plain == []  # no plain columns, and no email_type column beside the per-type ones
    assert "salesfinity_email_type" not in frame.columns
    # The simulator's answers differ per type: the two sets of emails are not the same.
    assert not frame["salesfinity_work_email"].equals(frame["salesfinity_personal_email"])
    assert server.ledger.lookups_created == 2 * _profiles(frame)
    # Counts are per (row, type).
    assert sum(run.counts.values()) == 2 * len(frame)
    for status in ("completed", "not_found", "invalid"):
        both = sum(int((frame[f"salesfinity_{kind}_status"] == status).sum()) for kind in TYPES)
        assert run.counts.get(status, 0) == both


def test_personal_after_work_keeps_every_work_email(serve):
    server = serve(seed=22)
    frame = messy_leads(120, seed=22)
    frame.salesfinity.enrich("linkedin_url", type="work", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server, kind="work")
    work_emails = frame["salesfinity_email"].copy()
    assert work_emails.notna().sum() > 0

    frame.salesfinity.enrich("linkedin_url", type="personal", **enrich_kwargs(server))

    assert frame["salesfinity_work_email"].equals(work_emails.rename("salesfinity_work_email"))
    _assert_type_matches_ground_truth(frame, server, "work")
    _assert_type_matches_ground_truth(frame, server, "personal")
    assert "salesfinity_status" not in frame.columns
    assert "salesfinity_email" not in frame.columns


def test_one_type_alone_keeps_the_plain_columns(serve):
    server = serve(seed=23)
    frame = messy_leads(40, seed=23)
    frame.salesfinity.enrich("linkedin_url", type=("personal",), **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server, kind="personal")
    frame.salesfinity.enrich("linkedin_url", type="personal", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server, kind="personal")
    assert "salesfinity_personal_status" not in frame.columns


def test_a_rerun_of_both_types_sends_nothing_new(serve, journal_path):
    server = serve(seed=24)
    frame = messy_leads(80, seed=24)
    frame.salesfinity.enrich("linkedin_url", type=TYPES, **enrich_kwargs(server, journal_path))
    created = server.ledger.lookups_created
    assert created == 2 * _profiles(frame)

    again = messy_leads(80, seed=24)
    run = again.salesfinity.enrich(
        "linkedin_url", type=TYPES, **enrich_kwargs(server, journal_path)
    )
    assert server.ledger.lookups_created == created
    assert run.credits_used == 0
    for kind in TYPES:
        _assert_type_matches_ground_truth(again, server, kind)


def test_work_then_both_sends_only_the_personal_lookups(serve, journal_path):
    server = serve(seed=25)
    frame = messy_leads(60, seed=25)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))
    frame.salesfinity.enrich("linkedin_url", type=TYPES, **enrich_kwargs(server, journal_path))
    assert server.ledger.lookups_created == 2 * _profiles(frame)
    for kind in TYPES:
        _assert_type_matches_ground_truth(frame, server, kind)


def test_status_refreshes_the_running_rows_of_every_type(serve):
    server = serve(seed=26, resolve_seconds=3.0)
    frame = messy_leads(20, seed=26)
    first = frame.salesfinity.enrich(
        "linkedin_url", type=TYPES, max_wait=1.0, **enrich_kwargs(server)
    )
    running = {
        kind: int(frame[f"salesfinity_{kind}_status"].isin(["pending", "processing"]).sum())
        for kind in TYPES
    }
    assert all(running.values()), running  # both types left lookups running
    assert first.counts.get("pending", 0) + first.counts.get("processing", 0) == sum(
        running.values()
    )
    again = frame.salesfinity.status(
        api_key=server.api_key, base_url=server.base_url, progress=None, poll_interval=0.2
    )
    assert sum(again.counts.values()) == sum(running.values())
    for kind in TYPES:
        _assert_type_matches_ground_truth(frame, server, kind)


@pytest.mark.parametrize("bad", [("work", "work"), ("work", "x"), ["personal", None], (), "both"])
def test_bad_types_are_refused_naming_type_before_anything_is_sent(serve, bad):
    server = serve(seed=27)
    frame = messy_leads(10, seed=27)
    before = frame.copy()
    with pytest.raises(ValueError, match="type"):
        frame.salesfinity.enrich("linkedin_url", type=bad, **enrich_kwargs(server))
    assert server.ledger.lookups_created == 0
    pd.testing.assert_frame_equal(frame, before)
