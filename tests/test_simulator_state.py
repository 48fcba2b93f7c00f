"""The bundled simulator keeps its lookups, books and balance in a file, like a real API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import sfy_pandas.simulator as sim
from sfy_pandas.simulator._bundled import BUNDLED_BALANCE, KNOBS_ENV, STATE_ENV
from sfy_pandas.simulator._paths import CREATE_PATH, CREDITS_PATH, LOOKUP_PREFIX

PROFILE = "https://www.linkedin.com/in/jane-doe-persisted"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def state_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test has its own state file: none touches the user's real cache."""
    path = tmp_path / "simulator.sqlite3"
    monkeypatch.setenv(STATE_ENV, str(path))
    monkeypatch.delenv(KNOBS_ENV, raising=False)
    sim.configure()
    yield path
    sim.configure()  # stops the bundled simulator this test started


def _client(handle: sim.ServerHandle) -> httpx.Client:
    return httpx.Client(base_url=handle.base_url, headers={"x-api-key": handle.api_key})


def _create(handle: sim.ServerHandle, url: str = PROFILE) -> str:
    with _client(handle) as client:
        answer = client.post(CREATE_PATH, json={"linkedin_url": url, "type": "work"})
    assert answer.status_code == 201
    return str(answer.json()["_id"])


def _final(handle: sim.ServerHandle, lookup_id: str) -> dict[str, object]:
    """The lookup once final: the fast profile resolves it within seconds."""
    deadline = time.monotonic() + 30
    with _client(handle) as client:
        while True:
            answer = client.get(LOOKUP_PREFIX + lookup_id)
            assert answer.status_code == 200, answer.text
            body: dict[str, object] = answer.json()
            if body["status"] not in ("pending", "processing") or time.monotonic() > deadline:
                return body
            time.sleep(0.1)


def _balance(handle: sim.ServerHandle) -> int:
    with _client(handle) as client:
        return int(client.get(CREDITS_PATH).json()["balance"])


CHILD = """
import json, sys, time, httpx
import sfy_pandas.simulator as sim
from sfy_pandas.simulator._paths import CREATE_PATH, LOOKUP_PREFIX
RUNNING = ("pending", "processing")
handle = sim.bundled()
headers = {"x-api-key": handle.api_key}
with httpx.Client(base_url=handle.base_url, headers=headers) as client:
    if sys.argv[1] == "create":
        body = client.post(CREATE_PATH, json={"linkedin_url": sys.argv[2], "type": "work"}).json()
        print(json.dumps({"id": body["_id"]}))
    else:
        for _ in range(300):
            answer = client.get(LOOKUP_PREFIX + sys.argv[2])
            running = answer.status_code == 200 and answer.json()["status"] in RUNNING
            if not running:
                break
            time.sleep(0.1)
        ledger = handle.ledger
        print(json.dumps({
            "code": answer.status_code,
            "body": answer.json(),
            "created": ledger.created_for(sys.argv[3], "work"),
            "charged": ledger.credits_charged,
            "url": handle.base_url,
        }))
"""


def _child(*args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_second_process_finds_the_lookups_the_first_one_made(state_file: Path) -> None:
    made = _child("create", PROFILE)

    found = _child("read", str(made["id"]), PROFILE)

    assert found["code"] == 200
    body = found["body"]
    assert isinstance(body, dict)
    assert body["_id"] == made["id"]
    assert body["status"] in ("completed", "not-found", "failed", "timeout")
    assert found["created"] == 1  # the ledger counts the first process's create
    assert found["charged"] == (1 if body["status"] == "completed" else 0)
    assert state_file.exists()


def test_a_restarted_simulator_in_the_same_process_keeps_its_lookups_and_balance() -> None:
    first = sim.bundled()
    lookup_id = _create(first)
    answer = _final(first, lookup_id)
    spent = 1 if answer["status"] == "completed" else 0

    sim.configure(resolve_seconds=0.5)  # new knobs: a new server on the same state
    second = sim.bundled()

    assert second.base_url != first.base_url or not first.running
    assert _final(second, lookup_id) == answer
    assert second.ledger.created_for(PROFILE, "work") == 1
    assert _balance(second) == BUNDLED_BALANCE - spent


def test_the_bundled_balance_is_one_no_trial_exhausts() -> None:
    assert _balance(sim.bundled()) == 10_000_000


def test_knobs_are_set_from_a_notebook_and_a_bad_one_is_named() -> None:
    config = sim.configure(rate_limit=10, burst=5, batch_enabled=False)

    assert (config.rate_limit, config.burst, config.batch_enabled) == (10, 5, False)
    assert sim.bundled().simulator.config.rate_limit == 10
    with pytest.raises(TypeError, match="unknown simulator knob 'rate'"):
        sim.configure(rate=10)
    with pytest.raises(ValueError, match="rate_limit must not be negative"):
        sim.configure(rate_limit=-1)


def test_a_profile_can_be_picked_and_keeps_the_trial_balance() -> None:
    config = sim.configure(profile="realistic")

    assert config.resolve_seconds == 45.0
    assert config.balance == BUNDLED_BALANCE


def test_knobs_come_from_the_environment_for_the_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KNOBS_ENV, "rate_limit=25, batch_enabled=false,seed=3,balance=500")

    config = sim.bundled_config()

    assert (config.rate_limit, config.batch_enabled, config.seed) == (25.0, False, 3)
    assert config.balance == 500
    monkeypatch.setenv(KNOBS_ENV, "rate_limit=fast")
    with pytest.raises(ValueError, match="rate_limit must be a number"):
        sim.bundled_config()
    monkeypatch.setenv(KNOBS_ENV, "speed=3")
    with pytest.raises(ValueError, match="unknown simulator knob 'speed'"):
        sim.bundled_config()
    monkeypatch.delenv(KNOBS_ENV)


def test_the_state_file_is_the_env_var_s_else_in_the_user_cache(
    state_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sim.state_path() == state_file
    monkeypatch.delenv(STATE_ENV)
    cached = sim.state_path()
    assert cached.name == "simulator.sqlite3"
    assert "sfy-pandas" in cached.parts


def test_reset_forgets_every_lookup() -> None:
    lookup_id = _create(sim.bundled())

    sim.reset()
    handle = sim.bundled()

    with _client(handle) as client:
        assert client.get(LOOKUP_PREFIX + lookup_id).status_code == 404
    assert handle.ledger.lookups_created == 0


def test_two_simulators_on_one_file_answer_each_other_s_ids(state_file: Path) -> None:
    with (
        sim.serve_in_thread(state_file=str(state_file)) as one,
        sim.serve_in_thread(state_file=str(state_file)) as other,
    ):
        lookup_id = _create(one)
        # Creates reach the file within a quarter second: poll until the other knows it.
        deadline = time.monotonic() + 10
        with _client(other) as client:
            while client.get(LOOKUP_PREFIX + lookup_id).status_code == 404:
                assert time.monotonic() < deadline, "the other simulator never knew the id"
                time.sleep(0.05)

        assert _final(other, lookup_id)["_id"] == lookup_id


def test_a_simulator_without_a_state_file_knows_no_earlier_ids(state_file: Path) -> None:
    with sim.serve_in_thread(state_file=str(state_file)) as kept:
        lookup_id = _create(kept)
    with sim.serve_in_thread() as fresh, _client(fresh) as client:
        assert client.get(LOOKUP_PREFIX + lookup_id).status_code == 404
