"""Files in chunks, a real ``sfy-pandas`` process over HTTP, and an interrupted run resumed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._sample import messy_leads
from sfy_pandas.cli._commands import cli
from sfy_pandas.simulator import ServerHandle
from tests.conftest import assert_each_profile_created_once, assert_rows_match_ground_truth

Serve = Callable[..., ServerHandle]
CLEAN = {"completed_rate": 0.7, "not_found_rate": 0.3, "failed_rate": 0.0}
QUICK = {"pending_seconds": 0.02, "resolve_seconds": 0.1, "resolve_spread": 0.3}
SCRIPT = Path(sys.executable).parent / "sfy-pandas"


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def chunk_of_each_profile(frame: pd.DataFrame, rows: int) -> dict[str, set[int]]:
    """For each profile, the chunks (of ``rows`` rows) it appears in."""
    chunks: dict[str, set[int]] = {}
    for position, cell in enumerate(frame["linkedin_url"]):
        parsed = parse_profile(cell)
        if isinstance(parsed, ProfileURL):
            chunks.setdefault(parsed.url, set()).add(position // rows)
    return chunks


def test_a_profile_seen_in_an_early_chunk_is_reused_later_without_a_new_create(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**QUICK, **CLEAN)
    leads = messy_leads(400, seed=8)
    spread = chunk_of_each_profile(leads, 50)
    assert sum(len(chunks) > 1 for chunks in spread.values()) >= 20  # the point of the test
    source = tmp_path / "leads.csv"
    leads.to_csv(source, index=False)

    result = CliRunner().invoke(
        cli,
        ["enrich", str(source), "-c", "linkedin_url", "--chunk-rows", "50",
         "--journal", str(tmp_path / "journal.sqlite3"), "--poll-interval", "0.05", "-q"],
        env={"SALESFINITY_API_KEY": server.api_key, "SALESFINITY_BASE_URL": server.base_url},
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    frame = read_csv(tmp_path / "leads_enriched.csv")
    assert len(frame) == 400
    assert_rows_match_ground_truth(frame, server)
    assert_each_profile_created_once(frame, server)
    assert all(server.ledger.created_for(url, "work") == 1 for url in spread)
    assert "answers reused" in result.stdout
    # Every row of a profile has the one lookup id, whichever chunk it was in.
    ids = frame.dropna(subset=["salesfinity_id"]).groupby("salesfinity_id")["linkedin_url"]
    assert all(len({parse_profile(c).url for c in cells}) == 1 for _, cells in ids)  # type: ignore[union-attr]


def _environment(server: ServerHandle) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESFINITY_")}
    env["SALESFINITY_API_KEY"] = server.api_key
    return env


def test_a_real_process_writes_every_row_as_the_simulator_answered(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**QUICK, **CLEAN)
    leads = messy_leads(300, seed=13)
    source, out = tmp_path / "leads.csv", tmp_path / "enriched.csv"
    leads.to_csv(source, index=False)

    done = subprocess.run(
        [str(SCRIPT), "enrich", str(source), "--column", "linkedin_url", "--out", str(out),
         "--base-url", server.base_url, "--journal", str(tmp_path / "journal.sqlite3"),
         "--chunk-rows", "100", "--poll-interval", "0.05"],
        env=_environment(server), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert server.api_key not in done.stdout + done.stderr
    frame = read_csv(out)
    assert frame["lead_id"].tolist() == leads["lead_id"].tolist()
    assert_rows_match_ground_truth(frame, server)
    assert server.ledger.duplicates() == {}
    assert_each_profile_created_once(frame, server)
    counts = Counter(frame["salesfinity_status"])
    for status, n in counts.items():
        assert f"{status}" in done.stdout
        assert f"{n:,}" in done.stdout


def test_ctrl_c_writes_the_rows_reached_exits_130_and_a_rerun_finishes_without_resending(
    serve: Serve, tmp_path: Path
) -> None:
    # Every request slowed down, so the interrupt lands while creates go out.
    server = serve(**QUICK, **CLEAN, slow_rate=1.0, slow_seconds=0.1)
    leads = messy_leads(200, seed=17)
    source, out = tmp_path / "leads.csv", tmp_path / "leads_enriched.csv"
    leads.to_csv(source, index=False)
    command = [
        str(SCRIPT), "enrich", str(source), "-c", "linkedin_url", "--chunk-rows", "80",
        "--journal", str(tmp_path / "journal.sqlite3"), "--base-url", server.base_url,
        "--poll-interval", "0.05", "-q",
    ]  # fmt: skip

    process = subprocess.Popen(
        command, env=_environment(server), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 30
    while server.ledger.lookups_created < 20:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the run never got going")
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, stderr
    assert "Run the same command again" in stderr
    assert "Traceback" not in stderr
    partial = read_csv(out)
    assert 0 < len(partial) < len(leads)
    assert (partial["salesfinity_status"] == "not-sent").any()
    assert f"Wrote {len(partial):,} rows" in stdout
    created = server.ledger.lookups_created

    again = subprocess.run(
        command, env=_environment(server), capture_output=True, text=True, timeout=60, check=False
    )

    assert again.returncode == 0, again.stderr
    frame = read_csv(out)
    assert len(frame) == len(leads)
    assert_rows_match_ground_truth(frame, server)
    assert server.ledger.duplicates() == {}  # nothing was sent twice
    assert server.ledger.lookups_created > created
    assert_each_profile_created_once(frame, server)


def test_after_a_crash_a_rerun_finishes_and_resends_only_the_creates_in_doubt(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**QUICK, **CLEAN, slow_rate=1.0, slow_seconds=0.1)
    leads = messy_leads(160, seed=19)
    source, out = tmp_path / "leads.csv", tmp_path / "leads_enriched.csv"
    leads.to_csv(source, index=False)
    command = [
        str(SCRIPT), "enrich", str(source), "-c", "linkedin_url", "--chunk-rows", "80",
        "--journal", str(tmp_path / "journal.sqlite3"), "--base-url", server.base_url,
        "--poll-interval", "0.05", "-q",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env=_environment(server), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while server.ledger.lookups_created < 20:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the run never got going")
        time.sleep(0.01)
    process.kill()  # SIGKILL: no chance to write anything down
    process.wait(timeout=10)

    again = subprocess.run(
        command, env=_environment(server), capture_output=True, text=True, timeout=60, check=False
    )

    assert again.returncode == 0, again.stderr
    frame = read_csv(out)
    assert len(frame) == len(leads)
    assert_rows_match_ground_truth(frame, server)
    resent = sum(count - 1 for count in server.ledger.duplicates().values())
    reported = re.search(r"sent again\s+(\d+) \(in doubt after a crash\)", again.stdout)
    in_doubt = int(reported.group(1)) if reported else 0
    assert resent <= in_doubt <= 8  # at most the creates in flight when it died, and said so
    assert not list(tmp_path.glob(".*partial*"))
