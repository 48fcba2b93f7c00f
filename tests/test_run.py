"""The run object: options checked once, reaching their layer, shared across batches."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import FAST, enrich_kwargs

import sfy_pandas
from sfy_pandas._sample import messy_leads
from sfy_pandas.cli import cli
from sfy_pandas.simulator import ServerHandle, Simulator, serve_in_thread


class CountingSimulator(Simulator):
    """The simulator, counting the creates it is answering at the same moment."""

    def __init__(self, **knobs: Any) -> None:
        super().__init__(**knobs)
        self.in_flight = 0
        self.peak = 0
        #: The client ports requests came from: one per connection of the pool.
        self.connections: set[int] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        counted = scope["type"] == "http" and scope["method"] == "POST"
        if scope["type"] == "http" and scope.get("client"):
            self.connections.add(scope["client"][1])
        if counted:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        try:
            await super().__call__(scope, receive, send)
        finally:
            if counted:
                self.in_flight -= 1


@pytest.fixture
def counting() -> Any:
    servers: list[ServerHandle] = []

    def start(**knobs: Any) -> tuple[ServerHandle, CountingSimulator]:
        simulator = CountingSimulator(**{**FAST, **knobs})
        server = serve_in_thread(simulator)
        servers.append(server)
        return server, simulator

    yield start
    for server in servers:
        server.stop()


def test_concurrency_32_puts_32_creates_in_flight_over_http(counting):
    # Every request takes 1 s, so creates overlap as far as the run lets them.
    server, simulator = counting(seed=3, slow_rate=1.0, slow_seconds=1.0)
    frame = messy_leads(400, seed=3)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, concurrency=32))
    assert simulator.peak == 32


def test_the_default_keeps_8_creates_in_flight(counting):
    server, simulator = counting(seed=4, slow_rate=1.0, slow_seconds=0.3)
    frame = messy_leads(120, seed=4)
    frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    assert simulator.peak == 8


def test_a_read_time_out_set_on_enrich_reaches_the_client(serve):
    # Answers take 2 s; with timeout=0.5 the client gives up on them and sends again.
    server = serve(seed=52, slow_rate=0.05, slow_seconds=2.0)
    frame = messy_leads(200, seed=52)
    run = frame.salesfinity.enrich(
        "linkedin_url",
        **enrich_kwargs(server, timeout=0.5, retry=sfy_pandas.RetryPolicy(wait_scale=0)),
    )
    assert server.ledger.faults.get("slow", 0) > 0
    assert run.stats is not None
    assert run.stats.ambiguous_creates > 0
    assert set(frame["salesfinity_status"]) <= {
        "completed",
        "not-found",
        "failed",
        "timeout",
        "invalid",
    }


@pytest.mark.parametrize(
    ("keywords", "error", "named"),
    [
        ({"concurrency": 0}, ValueError, "concurrency"),
        ({"concurrency": 2.5}, TypeError, "concurrency"),
        ({"timeout": -1}, ValueError, "timeout"),
        ({"retry": 3}, TypeError, "retry"),
        ({"type": "home"}, ValueError, "type"),
        ({"callback_url": "ftp://x"}, ValueError, "callback_url"),
        ({"max_wait": 0}, ValueError, "max_wait"),
        ({"dry_run": "yes"}, TypeError, "dry_run"),
        ({"poll_intervall": 1.0}, TypeError, "poll_intervall"),
    ],
)
def test_a_wrong_option_is_refused_naming_it_before_anything_is_sent(serve, keywords, error, named):
    server = serve()
    frame = messy_leads(10, seed=1)
    with pytest.raises(error, match=named):
        frame.salesfinity.enrich("linkedin_url", **{**enrich_kwargs(server), **keywords})
    assert sum(server.ledger.requests.values()) == 0


def test_run_options_are_frozen_and_keep_the_key_out_of_their_repr():
    options = sfy_pandas.RunOptions(api_key="sk-secret-123", concurrency=4)
    assert "sk-secret-123" not in repr(options)
    with pytest.raises(AttributeError):
        options.concurrency = 5  # type: ignore[misc]


def _chunked_run(server: ServerHandle, tmp_path: Path, chunk_rows: int, name: str) -> Any:
    source = tmp_path / f"{name}.csv"
    messy_leads(400, seed=9).to_csv(source, index=False)
    env = {
        "SALESFINITY_API_KEY": server.api_key,
        "SALESFINITY_JOURNAL": str(tmp_path / f"{name}.sqlite3"),
    }
    result = CliRunner().invoke(
        cli,
        ["enrich", str(source), "-c", "linkedin_url", "--base-url", server.base_url, "-q",
         "--poll-interval", "0.2", "--chunk-rows", str(chunk_rows)],
        env=env,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return pd.read_csv(tmp_path / f"{name}_enriched.csv")


def test_a_file_in_5_chunks_goes_through_one_pool_and_reads_the_balance_once(counting, tmp_path):
    server, simulator = counting(seed=9, rate_limit=40, burst=5)
    frame = _chunked_run(server, tmp_path, chunk_rows=80, name="five")

    assert len(frame) == 400
    assert server.ledger.requests["credits"] == 1
    assert server.ledger.duplicates() == {}
    # One pool of 8 connections for the whole file (one may be opened again
    # after the server closes it on a slow machine); a pool per chunk opens 8
    # new ones for each of the 5 chunks, 40 in all.
    assert len(simulator.connections) <= 16


def test_three_runs_of_the_same_profiles_against_the_simulator_charge_once():
    frame = messy_leads(120, seed=21)
    charged = []
    for _ in range(3):
        run = frame.salesfinity.enrich(
            "linkedin_url", base_url="simulator", progress=None, poll_interval=0.2
        )
        charged.append(run.credits_used)
    assert charged[0] > 0
    assert charged[1:] == [0, 0]
    assert run.stats is not None
    assert run.stats.created == 0


def test_a_bare_status_after_a_simulator_enrich_asks_the_same_api(monkeypatch):
    monkeypatch.delenv("SALESFINITY_API_KEY", raising=False)
    monkeypatch.delenv("SALESFINITY_BASE_URL", raising=False)
    frame = messy_leads(60, seed=22)
    frame.salesfinity.enrich(
        "linkedin_url", base_url="simulator", progress=None, poll_interval=0.2, max_wait=0.05
    )
    run = frame.salesfinity.status(progress=None, poll_interval=0.2)
    assert "simulator" in repr(run)
    assert not frame["salesfinity_status"].isin(["pending", "processing"]).any()
    assert "api_key" not in str(frame.attrs).lower()


def test_a_typo_in_base_url_is_told_it_is_not_a_url(monkeypatch):
    monkeypatch.delenv("SALESFINITY_API_KEY", raising=False)
    with pytest.raises(ValueError, match="'simulater' is not a URL"):
        messy_leads(5, seed=1).salesfinity.enrich("linkedin_url", base_url="simulater")


def test_the_last_run_stays_reachable_from_the_frame(serve):
    server = serve(seed=23)
    frame = messy_leads(40, seed=23)
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, wait=False))
    assert frame.salesfinity.last_run is run
    run.stop()
    assert run.done
    assert frame.salesfinity.last_run is run
    assert messy_leads(5, seed=1).salesfinity.last_run is None


def test_public_names_say_they_live_in_sfy_pandas():
    assert repr(sfy_pandas.EnrichmentRun) == "<class 'sfy_pandas.EnrichmentRun'>"
    for name in sfy_pandas.__all__:
        value = getattr(sfy_pandas, name)
        if isinstance(value, type):
            assert value.__module__ == "sfy_pandas", name


def test_the_run_shows_the_analyst_only_what_they_use():
    public = {name for name in dir(sfy_pandas.EnrichmentRun) if not name.startswith("_")}
    assert public == {"wait", "stop", "done", "counts", "stats", "credits_used"}


def test_the_cli_with_the_simulator_in_a_new_process_reuses_what_the_last_one_paid_for(
    tmp_path,
):
    source = tmp_path / "leads.csv"
    messy_leads(60, seed=24).to_csv(source, index=False)
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
        "SALESFINITY_JOURNAL": str(tmp_path / "journal.sqlite3"),
        "SALESFINITY_SIMULATOR_STATE": str(tmp_path / "simulator.sqlite3"),
    }
    command = [
        sys.executable, "-c", "from sfy_pandas.cli import main; main()",
        "enrich", str(source), "-c", "linkedin_url", "--base-url", "simulator", "-q",
        "--poll-interval", "0.2",
    ]  # fmt: skip
    runs = [
        subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr + runs[1].stderr

    def figure(name: str, output: str) -> int:
        found = re.search(rf"{name}\s+([\d,]+)", output)
        assert found, output
        return int(found.group(1).replace(",", ""))

    assert figure("lookups created", runs[0].stdout) > 0
    assert figure("lookups created", runs[1].stdout) == 0
    assert figure("credits used", runs[1].stdout) == 0
