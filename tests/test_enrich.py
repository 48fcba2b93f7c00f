"""enrich() over real HTTP: every row gets its right answer, and each profile is paid once."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd

import sfy_pandas
from sfy_pandas._sample import messy_leads
from tests.conftest import (
    assert_each_profile_created_once,
    assert_rows_match_ground_truth,
    enrich_kwargs,
)

COLUMNS = [
    "salesfinity_status",
    "salesfinity_email",
    "salesfinity_email_type",
    "salesfinity_id",
    "salesfinity_error",
]


def test_a_messy_thousand_rows_all_get_the_ground_truth_and_each_profile_is_sent_once(serve):
    server = serve(seed=11)
    frame = messy_leads(1000, seed=11)
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))

    assert_rows_match_ground_truth(frame, server)
    assert_each_profile_created_once(frame, server)
    ledger = server.ledger
    assert ledger.batch_sizes
    assert max(ledger.batch_sizes) <= 200
    assert ledger.responses.get(400, 0) == 0  # invalid cells never reach the API
    assert run.credits_used == ledger.credits_charged
    assert run.counts == frame["salesfinity_status"].value_counts().to_dict()
    assert sum(run.counts.values()) == len(frame)
    assert run.done


def test_output_columns_are_nullable_strings_and_export_cleanly(serve, tmp_path):
    server = serve(seed=2)
    frame = messy_leads(120, seed=2)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))

    assert list(frame.columns[-5:]) == COLUMNS
    assert all(frame[name].dtype == "string" for name in COLUMNS)
    frame.to_csv(tmp_path / "out.csv", index=False)
    again = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False, na_values=[""])
    assert (again["salesfinity_status"] == frame["salesfinity_status"].astype(str)).all()
    frame.to_excel(tmp_path / "out.xlsx", index=False)
    assert pd.read_excel(tmp_path / "out.xlsx").shape == frame.shape


def test_invalid_cells_say_why_and_are_never_sent(serve):
    server = serve()
    frame = pd.DataFrame(
        {
            "linkedin_url": [
                "https://www.linkedin.com/company/acme",
                None,
                np.nan,
                42,
                "   ",
                "https://example.com/in/jane",
                "https://www.linkedin.com/in/jane-doe",
            ]
        }
    )
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))

    statuses = frame["salesfinity_status"].tolist()
    assert statuses[:6] == ["invalid"] * 6
    assert statuses[6] != "invalid"
    assert "company page" in frame["salesfinity_error"].iloc[0]
    assert frame["salesfinity_error"].iloc[1] == "empty cell"
    assert "number 42" in frame["salesfinity_error"].iloc[3]
    assert server.ledger.lookups_created == 1


def test_any_index_works_duplicated_labels_and_multiindex(serve):
    server = serve(seed=4)
    frame = messy_leads(60, seed=4)
    frame.index = pd.MultiIndex.from_arrays([["a", "b"] * 30, [1] * 60])
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server)

    dup = messy_leads(60, seed=5)
    dup.index = ["same"] * 60
    dup.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    assert_rows_match_ground_truth(dup, server)


def test_external_ids_are_sent_and_echoed_back(serve):
    server = serve()
    frame = pd.DataFrame(
        {"li": ["linkedin.com/in/ext-one", "linkedin.com/in/ext-two"], "lead": ["L-1", 2]}
    )
    frame.salesfinity.enrich("li", external_id="lead", **enrich_kwargs(server))
    sent = {
        lookup.external_id
        for lookup in asyncio.run(_query(server, frame["salesfinity_id"].tolist()))
    }
    assert sent == {"L-1", "2"}


async def _query(server, ids):
    async with sfy_pandas.AsyncSalesfinity(server.api_key, base_url=server.base_url) as client:
        return await client.query(ids)


def test_personal_emails_are_asked_for_with_type_personal(serve):
    server = serve(seed=8)
    frame = messy_leads(80, seed=8)
    frame.salesfinity.enrich("linkedin_url", type="personal", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server, kind="personal")
    found = frame.loc[frame["salesfinity_status"] == "completed", "salesfinity_email_type"]
    assert set(found) == {"personal"}


def test_wait_false_returns_at_once_and_wait_brings_the_frame_up_to_date(serve):
    server = serve(seed=6, resolve_seconds=1.0)
    frame = messy_leads(100, seed=6)
    run = frame.salesfinity.enrich("linkedin_url", wait=False, **enrich_kwargs(server))
    assert not run.done
    run.wait()
    assert run.done
    assert_rows_match_ground_truth(frame, server)


def test_status_on_a_frame_with_a_run_in_flight_waits_for_that_run(serve):
    server = serve(seed=6, resolve_seconds=1.0)
    frame = messy_leads(50, seed=6)
    frame.salesfinity.enrich("linkedin_url", wait=False, **enrich_kwargs(server))
    frame.salesfinity.status(progress=None)
    assert_rows_match_ground_truth(frame, server)


async def test_aenrich_runs_on_the_callers_loop(serve):
    server = serve(seed=9)
    frame = messy_leads(80, seed=9)
    run = await frame.salesfinity.aenrich("linkedin_url", **enrich_kwargs(server))
    assert run.done
    assert_rows_match_ground_truth(frame, server)


def test_the_nest_asyncio_runner_is_an_opt_in_that_works_outside_a_kernel(serve):
    server = serve(seed=10)
    frame = messy_leads(40, seed=10)
    frame.salesfinity.enrich("linkedin_url", runner="nest-asyncio", **enrich_kwargs(server))
    assert_rows_match_ground_truth(frame, server)


def test_the_bundled_simulator_is_used_only_when_asked_and_the_summary_says_so():
    frame = messy_leads(30, seed=1)
    run = frame.salesfinity.enrich(
        "linkedin_url", base_url="simulator", progress=None, poll_interval=0.2
    )
    assert "simulator" in repr(run)
    assert frame["salesfinity_status"].notna().all()


def test_status_against_the_bundled_simulator_finds_the_lookups_enrich_left_running():
    frame = messy_leads(60, seed=2)
    first = frame.salesfinity.enrich(
        "linkedin_url", base_url="simulator", progress=None, poll_interval=0.2, max_wait=0.05
    )
    assert first.counts.get("pending", 0) + first.counts.get("processing", 0) > 0
    again = frame.salesfinity.status(base_url="simulator", progress=None, poll_interval=0.2)
    assert again.counts.get("error", 0) == 0
    assert not frame["salesfinity_status"].isin(["pending", "processing"]).any()
    assert sum(again.counts.values()) == first.counts.get("pending", 0) + first.counts.get(
        "processing", 0
    )


def test_the_run_repr_is_a_short_summary_with_the_counts(serve):
    server = serve(seed=3)
    frame = messy_leads(50, seed=3)
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    text = repr(run)
    assert f"{run.counts['completed']}" in text
    assert "credits" in text
    assert len(text) < 140
