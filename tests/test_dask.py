"""ddf.salesfinity on a real LocalCluster, over real HTTP against the simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
import pytest
from distributed import Client, LocalCluster

import sfy_pandas  # noqa: F401 - registers the accessors
from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._sample import messy_leads
from tests.conftest import (
    assert_each_profile_created_once,
    assert_rows_match_ground_truth,
    enrich_kwargs,
)

RESULT_COLUMNS = [
    "salesfinity_status",
    "salesfinity_email",
    "salesfinity_email_type",
    "salesfinity_id",
    "salesfinity_error",
]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        Client(local) as client,
    ):
        yield client


def _wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the run to reach the point of the test")
        time.sleep(0.01)


def _profiles(frame: pd.DataFrame) -> set[str]:
    parsed = (parse_profile(cell) for cell in frame["linkedin_url"])
    return {p.url for p in parsed if isinstance(p, ProfileURL)}


def test_every_row_matches_the_ground_truth_and_each_profile_is_created_once(
    cluster, serve, tmp_path
):
    server = serve(seed=41)
    leads = messy_leads(300, seed=41)
    frame = dd.from_pandas(leads, npartitions=4)

    run = frame.salesfinity.enrich_run(
        "linkedin_url", results=tmp_path, batch_size=60, **enrich_kwargs(server)
    )
    out = run.frame.compute()

    assert list(out.columns) == [*leads.columns, *RESULT_COLUMNS]
    assert out.index.equals(leads.index)
    assert (out["lead_id"] == leads["lead_id"]).all()
    assert_rows_match_ground_truth(out, server)
    assert_each_profile_created_once(out, server)
    assert run.profiles == len(_profiles(leads))
    assert run.stats.created == run.profiles
    assert run.frame.npartitions == frame.npartitions


def test_max_credits_holds_across_partitions(cluster, serve, tmp_path):
    server = serve(seed=44)
    leads = messy_leads(300, seed=44)
    frame = dd.from_pandas(leads, npartitions=4)

    run = frame.salesfinity.enrich_run(
        "linkedin_url", max_credits=25, results=tmp_path, batch_size=30, **enrich_kwargs(server)
    )
    out = run.frame.compute()

    assert server.ledger.credits_charged <= 25
    assert run.stats.credits_used == server.ledger.credits_charged >= 20
    not_sent = out[out["salesfinity_status"] == "not-sent"]
    assert len(not_sent) > 0
    assert (not_sent["salesfinity_error"] == "not sent: max_credits=25 reached").all()
    assert server.ledger.duplicates() == {}


def test_a_dry_run_sends_nothing_and_counts_every_partition(cluster, serve, tmp_path):
    server = serve(seed=45)
    leads = messy_leads(300, seed=45)

    run = dd.from_pandas(leads, npartitions=4).salesfinity.enrich_run(
        "linkedin_url", dry_run=True, results=tmp_path, batch_size=40, **enrich_kwargs(server)
    )
    out = run.frame.compute()

    assert server.ledger.requests.get("create", 0) == 0
    assert run.stats.max_cost == len(_profiles(leads)) == run.profiles
    valid = out[out["salesfinity_status"] != "invalid"]
    assert (valid["salesfinity_status"] == "not-sent").all()
    assert valid["salesfinity_error"].str.contains("dry run").all()


def test_a_worker_killed_mid_run_leaves_the_run_whole_and_nothing_sent_twice(
    cluster, serve, tmp_path
):
    server = serve(seed=46, rate_limit=150, burst=20)
    leads = messy_leads(300, seed=46)
    frame = dd.from_pandas(leads, npartitions=4)
    pids = cluster.run(os.getpid)
    victim = next(iter(pids.values()))

    def kill_when_sending() -> None:
        _wait_until(lambda: server.ledger.lookups_created >= 40)
        os.kill(victim, signal.SIGKILL)

    killer = threading.Thread(target=kill_when_sending)
    killer.start()
    run = frame.salesfinity.enrich_run(
        "linkedin_url", results=tmp_path, batch_size=100, **enrich_kwargs(server)
    )
    killer.join()
    out = run.frame.compute()

    assert victim not in cluster.run(os.getpid).values()
    assert_rows_match_ground_truth(out, server)
    assert_each_profile_created_once(out, server)


CLIENT_SCRIPT = """
import sys
import dask
import dask.dataframe as dd
import sfy_pandas
from sfy_pandas._sample import messy_leads

base_url, api_key, journal, results = sys.argv[1:5]
frame = dd.from_pandas(messy_leads(300, seed=47), npartitions=4)
with dask.config.set(scheduler="threads"):
    frame.salesfinity.enrich(
        "linkedin_url", base_url=base_url, api_key=api_key, journal=journal,
        results=results, progress=None, poll_interval=0.2, batch_size=100,
    )
"""


def test_the_client_killed_mid_run_resumes_from_the_journal(cluster, serve, tmp_path):
    server = serve(seed=47, rate_limit=150, burst=20)
    journal = str(tmp_path / "journal.sqlite3")
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLIENT_SCRIPT,
            server.base_url,
            server.api_key,
            journal,
            str(tmp_path),
        ],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_until(lambda: server.ledger.lookups_created >= 60 or child.poll() is not None)
    child.send_signal(signal.SIGKILL)
    _, stderr = child.communicate()
    assert child.returncode == -signal.SIGKILL, stderr.decode()[-2000:]
    created_before = server.ledger.lookups_created

    leads = messy_leads(300, seed=47)
    run = dd.from_pandas(leads, npartitions=4).salesfinity.enrich_run(
        "linkedin_url", results=tmp_path, batch_size=100, **enrich_kwargs(server, journal)
    )
    out = run.frame.compute()

    assert_rows_match_ground_truth(out, server)
    duplicates = server.ledger.duplicates()
    assert run.stats.in_doubt >= len(duplicates)
    assert all(count == 2 for count in duplicates.values())
    assert run.stats.resumed + run.stats.reused >= created_before - len(duplicates) - 8
    assert server.ledger.lookups_created == len(_profiles(leads)) + len(duplicates)
