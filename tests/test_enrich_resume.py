"""Nothing lost, nothing paid twice: kills, interrupts, and status() in a fresh process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sfy_pandas._sample import messy_leads
from tests.conftest import (
    assert_each_profile_created_once,
    assert_rows_match_ground_truth,
    enrich_kwargs,
)

ROOT = Path(__file__).resolve().parent.parent
IN_FLIGHT_LIMIT = 8  # the engine's default create concurrency

ENRICH_SCRIPT = textwrap.dedent(
    """
    import sys
    import sfy_pandas
    from sfy_pandas._sample import messy_leads

    base_url, api_key, journal = sys.argv[1:4]
    frame = messy_leads(600, seed=21)
    frame.salesfinity.enrich(
        "linkedin_url", base_url=base_url, api_key=api_key, journal=journal,
        progress=None, poll_interval=0.2,
    )
    """
)


def _wait_until(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the run to reach the point of the test")
        time.sleep(0.01)


def _python(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("killed_after_creates", [40, 250])
def test_a_run_killed_mid_way_resumes_without_paying_twice(
    serve, journal_path, killed_after_creates
):
    # Rate limited, so the kill lands while creates are still going out.
    server = serve(seed=21, rate_limit=150, burst=20)
    child = _python(ENRICH_SCRIPT, server.base_url, server.api_key, journal_path)
    _wait_until(lambda: server.ledger.lookups_created >= killed_after_creates)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    created_before = server.ledger.lookups_created

    frame = messy_leads(600, seed=21)
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))

    assert_rows_match_ground_truth(frame, server)
    duplicates = server.ledger.duplicates()
    assert len(duplicates) <= IN_FLIGHT_LIMIT
    assert all(count == 2 for count in duplicates.values())
    assert run.stats.in_doubt >= len(duplicates)
    assert run.stats.in_doubt <= IN_FLIGHT_LIMIT
    assert run.stats.resumed + run.stats.reused >= created_before - IN_FLIGHT_LIMIT


def test_a_rerun_of_a_finished_run_sends_nothing_and_costs_nothing(serve, journal_path):
    server = serve(seed=22)
    first = messy_leads(300, seed=22)
    first.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))
    created = server.ledger.lookups_created
    charged = server.ledger.credits_charged

    again = messy_leads(300, seed=22)
    run = again.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))

    assert server.ledger.lookups_created == created
    assert server.ledger.credits_charged == charged
    assert run.credits_used == 0
    pd.testing.assert_frame_equal(first, again)


def test_refresh_asks_again_for_profiles_already_answered(serve, journal_path):
    server = serve(seed=23)
    frame = messy_leads(100, seed=23)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))
    once = server.ledger.lookups_created
    frame.salesfinity.enrich("linkedin_url", refresh=True, **enrich_kwargs(server, journal_path))
    assert server.ledger.lookups_created == 2 * once
    assert_rows_match_ground_truth(frame, server)


def test_an_interrupt_stops_creating_keeps_ids_and_a_rerun_finishes_the_job(
    serve, journal_path, capsys
):
    server = serve(seed=24, rate_limit=100, burst=10)
    frame = messy_leads(600, seed=24)

    def interrupt_when_half_sent() -> None:
        _wait_until(lambda: server.ledger.lookups_created >= 100)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_when_half_sent, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))

    statuses = frame["salesfinity_status"]
    not_sent = frame[statuses == "not-sent"]
    assert len(not_sent) > 0
    assert not_sent["salesfinity_error"].str.contains("stopped").all()
    assert not_sent["salesfinity_id"].isna().all()
    sent = frame[frame["salesfinity_id"].notna()]
    assert not sent["salesfinity_status"].isin(["not-sent", "invalid"]).any()
    assert sent["salesfinity_id"].nunique() == server.ledger.lookups_created
    assert "run the same enrich() again" in capsys.readouterr().err

    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))
    assert_rows_match_ground_truth(frame, server)
    assert_each_profile_created_once(frame, server)


STATUS_SCRIPT = textwrap.dedent(
    """
    import sys
    import pandas as pd
    import sfy_pandas

    source, target, base_url, api_key = sys.argv[1:5]
    frame = pd.read_csv(source)
    run = frame.salesfinity.status(base_url=base_url, api_key=api_key, progress=None,
                                   poll_interval=0.2)
    frame.to_csv(target, index=False)
    print(run.counts)
    """
)


def test_status_on_a_frame_re_read_from_csv_in_a_fresh_process_completes_running_rows(
    serve, tmp_path
):
    server = serve(seed=25, pending_seconds=1.0, resolve_seconds=2.5, timeout_seconds=10)
    frame = messy_leads(200, seed=25)
    # Long enough for every create to go out, short of the lookups' 1 s + 2.5 s.
    run = frame.salesfinity.enrich("linkedin_url", max_wait=2, **enrich_kwargs(server))
    assert run.stats.timed_out
    assert frame["salesfinity_status"].isin(["pending", "processing"]).any()
    frame.to_csv(tmp_path / "half.csv", index=False)
    created = server.ledger.lookups_created

    child = _python(
        STATUS_SCRIPT,
        str(tmp_path / "half.csv"),
        str(tmp_path / "done.csv"),
        server.base_url,
        server.api_key,
    )
    _out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err

    done = pd.read_csv(tmp_path / "done.csv")
    assert_rows_match_ground_truth(done, server)
    assert server.ledger.lookups_created == created
