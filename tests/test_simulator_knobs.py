"""Each knob of API.md section 6 changes what a client sees, over real HTTP."""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from sfy_pandas.simulator import (
    DroppedConnection,
    ServerHandle,
    Simulator,
    SimulatorConfig,
    expected_outcome,
    serve_in_thread,
    start,
)

CREATE = "/v1/api/enrichment/email"
BATCH = "/v1/api/enrichment/email/batch/query"
CREDITS = "/v1/api/enrichment/credits"
QUICK = {"pending_seconds": 0.05, "resolve_seconds": 0.15, "resolve_spread": 0.0}

Serve = Callable[..., tuple[ServerHandle, httpx.Client]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start a simulator with the given knobs; returns it with a client holding its key."""
    opened: list[tuple[ServerHandle, httpx.Client]] = []

    def start(**knobs: Any) -> tuple[ServerHandle, httpx.Client]:
        handle = serve_in_thread(**knobs)
        client = httpx.Client(base_url=handle.base_url, headers={"x-api-key": handle.api_key})
        opened.append((handle, client))
        return handle, client

    yield start
    for handle, client in opened:
        client.close()
        handle.stop()


def body(n: int, type: str = "work") -> dict[str, str]:
    return {"linkedin_url": f"https://www.linkedin.com/in/knob-person-{n}", "type": type}


# --- keys and the batch switch -----------------------------------------------------------


def test_without_a_configured_key_any_non_empty_key_is_accepted(serve: Serve) -> None:
    handle, _ = serve()
    for key in ("a", "anything-at-all"):
        response = httpx.get(handle.base_url + CREDITS, headers={"x-api-key": key})
        assert response.status_code == 200
    assert httpx.get(handle.base_url + CREDITS, headers={"x-api-key": ""}).status_code == 401


def test_no_batch_answers_404_on_the_batch_path_and_polling_still_works(serve: Serve) -> None:
    _, api = serve(batch_enabled=False, **QUICK)
    lookup_id = api.post(CREATE, json=body(1)).json()["_id"]
    assert api.post(BATCH, json={"tasks": [{"id": lookup_id}]}).status_code == 404
    assert api.get(f"{CREATE}/{lookup_id}").status_code == 200


# --- the rate limit --------------------------------------------------------------------


def test_past_the_burst_requests_get_429_with_retry_after_in_seconds(serve: Serve) -> None:
    handle, api = serve(rate_limit=0.5, burst=2)
    statuses = [api.get(CREDITS).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = api.get(CREDITS)
    assert limited.json()["error"] == "RATE_LIMITED"
    assert int(limited.headers["retry-after"]) in {1, 2}
    assert handle.ledger.rate_limited == 2


def test_retry_after_can_be_an_http_date_in_the_future(serve: Serve) -> None:
    _, api = serve(rate_limit=0.5, burst=1, retry_after="date")
    api.get(CREDITS)
    limited = api.get(CREDITS)
    assert limited.status_code == 429
    when = parsedate_to_datetime(limited.headers["retry-after"])
    assert limited.headers["retry-after"].endswith("GMT")
    assert 0 < (when - datetime.now(timezone.utc)).total_seconds() <= 4


def test_retry_after_can_be_left_out(serve: Serve) -> None:
    _, api = serve(rate_limit=0.5, burst=1, retry_after="none")
    api.get(CREDITS)
    limited = api.get(CREDITS)
    assert limited.status_code == 429
    assert "retry-after" not in limited.headers


def test_the_bucket_refills_at_the_configured_rate(serve: Serve) -> None:
    _, api = serve(rate_limit=20, burst=1)
    assert api.get(CREDITS).status_code == 200
    assert api.get(CREDITS).status_code == 429
    time.sleep(0.06)
    assert api.get(CREDITS).status_code == 200


def test_a_rate_limited_create_creates_nothing(serve: Serve) -> None:
    handle, api = serve(rate_limit=0.5, burst=3)
    statuses = [api.post(CREATE, json=body(n)).status_code for n in range(6)]
    assert statuses.count(201) == 3
    assert statuses.count(429) == 3
    assert handle.ledger.lookups_created == 3
    assert handle.ledger.requests["create"] == 6


# --- credits -----------------------------------------------------------------------------


def test_a_zero_balance_makes_every_create_402(serve: Serve) -> None:
    handle, api = serve(balance=0)
    response = api.post(CREATE, json=body(1))
    assert response.status_code == 402
    assert response.json()["error"] == "INSUFFICIENT_CREDITS"
    assert api.get(CREDITS).json() == {"balance": 0}
    assert handle.ledger.lookups_created == 0


def test_creates_stop_once_completed_lookups_use_up_the_balance(serve: Serve) -> None:
    _, api = serve(balance=1, completed_rate=1.0, not_found_rate=0.0, failed_rate=0.0, **QUICK)
    assert api.post(CREATE, json=body(1)).status_code == 201
    time.sleep(0.2)
    assert api.get(CREDITS).json() == {"balance": 0}
    assert api.post(CREATE, json=body(2)).status_code == 402


# --- injected faults -----------------------------------------------------------------------


def test_fault_rate_one_answers_every_request_with_a_5xx_and_counts_them(serve: Serve) -> None:
    handle, api = serve(fault_rate=1.0)
    statuses = [api.post(CREATE, json=body(n)).status_code for n in range(30)]
    assert set(statuses) == {500, 502, 503}
    ledger = handle.ledger
    assert ledger.lookups_created == 0
    assert sum(ledger.faults.values()) == 30
    assert {kind: ledger.faults[kind] for kind in ("500", "502", "503")} == {
        str(code): statuses.count(code) for code in (500, 502, 503)
    }


def test_faults_fall_on_the_same_requests_for_the_same_seed(serve: Serve) -> None:
    runs = []
    for _ in range(2):
        _, api = serve(seed=5, fault_rate=0.3)
        runs.append([api.get(CREDITS).status_code for _ in range(40)])
    _, other = serve(seed=6, fault_rate=0.3)
    assert runs[0] == runs[1]
    assert runs[0] != [other.get(CREDITS).status_code for _ in range(40)]
    assert 0 < sum(status != 200 for status in runs[0]) < 40


def test_a_dropped_connection_breaks_the_response_and_is_counted(serve: Serve) -> None:
    handle, api = serve(drop_rate=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get(CREDITS)
    assert handle.ledger.faults["drop"] == 1


def test_a_slow_response_arrives_late_and_is_counted(serve: Serve) -> None:
    handle, api = serve(slow_rate=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert api.get(CREDITS).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert handle.ledger.faults["slow"] == 1


def test_a_lost_create_response_still_creates_the_lookup(serve: Serve) -> None:
    handle, api = serve(seed=3, lost_response_rate=1.0, **QUICK)
    outcomes = []
    for n in range(12):
        try:
            outcomes.append(api.post(CREATE, json=body(n)).status_code)
        except httpx.RemoteProtocolError:
            outcomes.append("dropped")
    assert set(outcomes) == {502, "dropped"}
    ledger = handle.ledger
    assert ledger.lookups_created == 12
    assert ledger.lost_responses == 12
    for lookup_id in ledger.lost_ids:
        assert api.get(f"{CREATE}/{lookup_id}").status_code == 200


def test_lost_answers_fall_on_the_same_profiles_whatever_the_order(serve: Serve) -> None:
    lost_profiles = []
    for order in (range(40), reversed(range(40))):
        handle, api = serve(seed=8, lost_response_rate=0.3)
        for n in order:
            with contextlib.suppress(httpx.RemoteProtocolError):
                api.post(CREATE, json=body(n))
        lost_ids = set(handle.ledger.lost_ids)
        lost_profiles.append(
            {api.get(f"{CREATE}/{lookup_id}").json()["linkedin_url"] for lookup_id in lost_ids}
        )
    assert lost_profiles[0] == lost_profiles[1]
    assert 0 < len(lost_profiles[0]) < 40


def test_a_refused_create_is_not_lost_but_answered(serve: Serve) -> None:
    handle, api = serve(lost_response_rate=1.0)
    assert api.post(CREATE, json={"type": "work"}).status_code == 400
    assert handle.ledger.lost_responses == 0


# --- the lifecycle and its cap ----------------------------------------------------------------


def test_a_lookup_past_the_cap_ends_in_timeout(serve: Serve) -> None:
    handle, api = serve(pending_seconds=0.05, resolve_seconds=5.0, timeout_seconds=0.3)
    lookup_id = api.post(CREATE, json=body(1)).json()["_id"]
    assert api.get(f"{CREATE}/{lookup_id}").json()["status"] in {"pending", "processing"}
    time.sleep(0.35)
    assert api.get(f"{CREATE}/{lookup_id}").json() == {
        "_id": lookup_id,
        "status": "timeout",
        "enrichment_type": "work_email",
        "email": None,
        "linkedin_url": body(1)["linkedin_url"],
    }
    assert api.post(BATCH, json={"tasks": [{"id": lookup_id}]}).json()[0]["dataFound"] is False
    assert handle.simulator.expected_outcome(body(1)["linkedin_url"], "work").status == "timeout"


# --- outcomes: deterministic, mixed, plausible -------------------------------------------------


def test_the_same_seed_gives_the_same_outcomes_over_the_wire(serve: Serve) -> None:
    answers = []
    for _ in range(2):
        _, api = serve(seed=42, **QUICK)
        ids = [api.post(CREATE, json=body(n)).json()["_id"] for n in range(20)]
        time.sleep(0.2)
        lookups = [api.get(f"{CREATE}/{i}").json() for i in ids]
        answers.append([(lookup["status"], lookup["email"]) for lookup in lookups])
    assert answers[0] == answers[1]


def test_a_different_seed_gives_a_different_mix() -> None:
    urls = [f"https://www.linkedin.com/in/seed-person-{n}" for n in range(100)]
    one = [expected_outcome(url, "work", SimulatorConfig(seed=1)).status for url in urls]
    two = [expected_outcome(url, "work", SimulatorConfig(seed=2)).status for url in urls]
    assert one != two


def test_the_default_mix_is_mostly_completed_with_many_not_found_and_a_few_failures() -> None:
    config = SimulatorConfig(seed=9)
    statuses = [
        expected_outcome(f"https://www.linkedin.com/in/mix-{n}", "work", config).status
        for n in range(2_000)
    ]
    share = {status: statuses.count(status) / len(statuses) for status in set(statuses)}
    assert 0.55 < share["completed"] < 0.65
    assert 0.25 < share["not-found"] < 0.35
    assert 0.02 < share["failed"] < 0.08
    assert 0.02 < share["timeout"] < 0.08


# A long cap, so that no lookup's drawn time runs into it.
ALWAYS_FOUND = SimulatorConfig(
    completed_rate=1.0, not_found_rate=0.0, failed_rate=0.0, timeout_seconds=60.0
)
WEBMAIL = {"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com", "proton.me"}


def emails_of(handles: list[str], type: str) -> list[tuple[str, str]]:
    """(local part, domain) of the email each handle completes with."""
    found = []
    for handle in handles:
        email = expected_outcome(f"linkedin.com/in/{handle}", type, ALWAYS_FOUND).email
        assert email is not None
        local, domain = email.split("@")
        found.append((local, domain))
    return found


def test_work_emails_are_mostly_firstname_dot_lastname_at_a_company_domain() -> None:
    handles = [f"jane-doe-{n:x}a{n}" for n in range(100)]  # LinkedIn's numbered handles
    emails = emails_of(handles, "work")
    locals_ = [local for local, _ in emails]
    assert set(locals_) <= {"jane.doe", "jdoe", "jane"}
    assert locals_.count("jane.doe") > 60
    assert not {domain for _, domain in emails} & WEBMAIL
    assert len({domain for _, domain in emails}) > 20


def test_personal_emails_are_at_webmail_domains() -> None:
    emails = emails_of([f"ana-lima-{n}" for n in range(100)], "personal")
    assert {domain for _, domain in emails} <= WEBMAIL
    assert all(local.startswith("ana.lima") for local, _ in emails)


def test_a_handle_in_another_script_still_gets_an_ascii_address() -> None:
    ((local, _),) = emails_of(["jos%C3%A9-garc%C3%ADa-1b2"], "work")
    assert local in {"jose.garcia", "jgarcia", "jose"}


def test_the_realistic_profile_has_a_median_near_45_seconds_and_a_tail_of_minutes() -> None:
    config = SimulatorConfig.from_profile("realistic", seed=4)
    times = [
        expected_outcome(f"https://www.linkedin.com/in/slow-{n}", "work", config).resolve_seconds
        for n in range(1_000)
    ]
    assert 35 < statistics.median(times) < 55
    assert sorted(times)[950] > 120
    assert max(times) <= config.timeout_seconds


def test_ground_truth_reads_any_accepted_url_form_and_refuses_others() -> None:
    plain = expected_outcome("https://www.linkedin.com/in/jane-doe", "work")
    assert expected_outcome("uk.linkedin.com/in/Jane-Doe/?x=1", "work") == plain
    with pytest.raises(ValueError, match="profile"):
        expected_outcome("https://www.linkedin.com/company/acme", "work")
    with pytest.raises(ValueError, match="type"):
        expected_outcome("https://www.linkedin.com/in/jane-doe", "mobile")


# --- the ledger ----------------------------------------------------------------------------


def test_the_ledger_proves_what_was_sent_twice_and_charges_each_completion_once(
    serve: Serve,
) -> None:
    handle, api = serve(completed_rate=1.0, not_found_rate=0.0, failed_rate=0.0, **QUICK)
    api.post(CREATE, json=body(1))
    api.post(CREATE, json={"linkedin_url": "linkedin.com/in/KNOB-PERSON-1/", "type": "work"})
    api.post(CREATE, json=body(1, "personal"))
    api.post(CREATE, json=body(2))
    time.sleep(0.2)
    ledger = handle.ledger
    profile = "https://www.linkedin.com/in/knob-person-1"
    assert ledger.duplicates() == {(profile, "work"): 2}
    assert ledger.created_for("http://www.linkedin.com/in/knob-person-1", "personal") == 1
    assert ledger.credits_charged == 4
    assert set(ledger.charged.values()) == {1}
    assert ledger.balance == handle.simulator.config.balance - 4
    assert ledger.outcomes == {"completed": 4}


def test_the_ledger_counts_requests_per_route_and_batch_sizes(serve: Serve) -> None:
    handle, api = serve()
    lookup_id = api.post(CREATE, json=body(1)).json()["_id"]
    api.get(f"{CREATE}/{lookup_id}")
    api.post(BATCH, json={"tasks": [{"id": lookup_id}] * 3})
    api.get(CREDITS)
    api.get("/elsewhere")
    ledger = handle.ledger
    assert dict(ledger.requests) == {
        "create": 1,
        "get": 1,
        "batch_query": 1,
        "credits": 1,
        "other": 1,
    }
    assert ledger.batch_sizes == (3,)
    assert dict(ledger.responses) == {201: 1, 200: 3, 404: 1}


# --- in process -----------------------------------------------------------------------------


async def test_the_app_serves_in_process_through_asgi_transport() -> None:
    simulator = Simulator(seed=1, drop_rate=0.0, **QUICK)
    transport = httpx.ASGITransport(app=simulator)
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as api:
        created = await api.post(CREATE, json=body(1), headers={"x-api-key": "k"})
        assert created.status_code == 201
        lookup = await api.get(f"{CREATE}/{created.json()['_id']}", headers={"x-api-key": "k"})
        assert lookup.json()["status"] == "pending"
    assert simulator.ledger.lookups_created == 1


async def test_in_process_a_dropped_connection_is_an_httpx_protocol_error() -> None:
    transport = httpx.ASGITransport(app=Simulator(drop_rate=1.0))
    async with httpx.AsyncClient(transport=transport, base_url="http://simulator") as api:
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await api.get(CREDITS, headers={"x-api-key": "k"})
    assert isinstance(caught.value, DroppedConnection)


def test_bad_knobs_are_refused_before_anything_starts() -> None:
    with pytest.raises(ValueError, match="exceed 1"):
        SimulatorConfig(completed_rate=0.8, not_found_rate=0.3)
    with pytest.raises(ValueError, match="retry_after"):
        SimulatorConfig(retry_after="later")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="profile"):
        SimulatorConfig.from_profile("slow")


def test_start_keeps_a_simulator_running_for_a_notebook() -> None:
    handle = start(seed=1)
    try:
        assert handle.running
        response = httpx.get(handle.base_url + CREDITS, headers={"x-api-key": handle.api_key})
        assert response.json() == {"balance": handle.simulator.config.balance}
        assert handle.base_url in repr(handle)
    finally:
        handle.stop()
    assert not handle.running
