"""The simulator keeps every row of API.md sections 1 to 4, over real HTTP on loopback."""

from __future__ import annotations

import json
import re
import time
import types
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from sfy_pandas import simulator as simulator_package
from sfy_pandas.simulator import ServerHandle, Simulator, SimulatorConfig, serve_in_thread

KEY = "test-key"
CONFIG = SimulatorConfig(
    seed=11,
    api_key=KEY,
    pending_seconds=0.25,
    resolve_seconds=0.6,
    resolve_spread=0.0,
    timeout_seconds=5.0,
)
CREATE = "/v1/api/enrichment/email"
BATCH = "/v1/api/enrichment/email/batch/query"
CREDITS = "/v1/api/enrichment/credits"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
TRUTH = Simulator(CONFIG)  # same config as the server: its ground truth is the server's


@pytest.fixture(scope="module")
def server() -> Iterator[ServerHandle]:
    with serve_in_thread(CONFIG) as handle:
        yield handle


@pytest.fixture
def api(server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": KEY}) as client:
        yield client


@pytest.fixture
def quiet_server() -> Iterator[ServerHandle]:
    """A server of its own, for tests that count credits while nothing else runs."""
    with serve_in_thread(CONFIG) as handle:
        yield handle


@pytest.fixture
def quiet_api(quiet_server: ServerHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=quiet_server.base_url, headers={"x-api-key": KEY}) as client:
        yield client


def profile_ending(status: str, type: str = "work") -> str:
    """A profile URL the simulator resolves to ``status``, found from its ground truth."""
    for n in range(10_000):
        url = f"https://www.linkedin.com/in/contract-person-{n}"
        if TRUTH.expected_outcome(url, type).status == status:
            return url
    raise AssertionError(f"no profile ends {status}")


def create(api: httpx.Client, url: str, type: str = "work", **extra: object) -> dict[str, object]:
    response = api.post(CREATE, json={"linkedin_url": url, "type": type, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def wait_resolved(api: httpx.Client, lookup_id: object) -> dict[str, object]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        body: dict[str, object] = api.get(f"{CREATE}/{lookup_id}").json()
        if body["status"] not in {"pending", "processing"}:
            return body
        time.sleep(0.02)
    raise AssertionError("the lookup never resolved")


# --- section 1: create ---------------------------------------------------------------


def test_create_answers_201_with_id_pending_status_and_the_url_sent(api: httpx.Client) -> None:
    url = "https://www.linkedin.com/in/jane-doe"
    response = api.post(CREATE, json={"linkedin_url": url, "type": "work"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"_id", "status", "linkedin_url"}
    assert OBJECT_ID.match(body["_id"])
    assert body["status"] == "pending"
    assert body["linkedin_url"] == url


def test_every_create_gets_a_new_id(api: httpx.Client) -> None:
    url = "https://www.linkedin.com/in/twice-sent"
    assert create(api, url)["_id"] != create(api, url)["_id"]


@pytest.mark.parametrize(
    "url",
    [
        "http://linkedin.com/in/form-test",
        "linkedin.com/in/form-test",
        "www.linkedin.com/in/form-test/",
        "https://uk.linkedin.com/in/Form-Test?trk=public_profile#about",
        "HTTPS://WWW.LINKEDIN.COM/IN/FORM-TEST",
        "https://www.linkedin.com/in/form%2Dtest/",
    ],
)
def test_any_form_of_a_profile_url_is_accepted_and_filed_under_one_profile(
    api: httpx.Client, server: ServerHandle, url: str
) -> None:
    before = server.ledger.created_for("https://www.linkedin.com/in/form-test", "work")
    create(api, url)
    after = server.ledger.created.get(("https://www.linkedin.com/in/form-test", "work"), 0)
    assert after == before + 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"linkedin_url": "https://www.linkedin.com/company/acme", "type": "work"}, "company"),
        ({"linkedin_url": "https://www.linkedin.com/pub/jane-doe/1/2/3", "type": "work"}, "pub"),
        ({"linkedin_url": "https://www.linkedin.com/sales/lead/123", "type": "work"}, "sales"),
        ({"linkedin_url": "https://www.linkedin.com/school/mit", "type": "work"}, "school"),
        ({"linkedin_url": "https://example.com/in/jane-doe", "type": "work"}, "other host"),
        ({"linkedin_url": "https://notlinkedin.com/in/jane", "type": "work"}, "look-alike"),
        ({"linkedin_url": "https://www.linkedin.com/in/", "type": "work"}, "empty handle"),
        ({"linkedin_url": "", "type": "work"}, "empty url"),
        ({"linkedin_url": 42, "type": "work"}, "url not a string"),
        ({"type": "work"}, "url missing"),
        ({"linkedin_url": "https://www.linkedin.com/in/jane-doe"}, "type missing"),
        ({"linkedin_url": "https://www.linkedin.com/in/jane-doe", "type": "mobile"}, "bad type"),
        (
            {"linkedin_url": "https://www.linkedin.com/in/j", "type": "work", "external_id": 7},
            "external_id not a string",
        ),
        (
            {"linkedin_url": "https://www.linkedin.com/in/j", "type": "work",
             "external_id": "x" * 257},
            "external_id too long",
        ),
        (
            {"linkedin_url": "https://www.linkedin.com/in/j", "type": "work", "callback_url": "ftp://h/x"},
            "callback not http",
        ),
    ],
)  # fmt: skip
def test_create_refuses_what_the_contract_refuses_with_a_validation_error(
    api: httpx.Client, body: dict[str, object], reason: str
) -> None:
    response = api.post(CREATE, json=body)
    assert response.status_code == 400, reason
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert response.json()["message"]


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'"a string"', b""])
def test_create_refuses_a_body_that_is_not_a_json_object(api: httpx.Client, content: bytes) -> None:
    response = api.post(CREATE, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


def test_an_external_id_of_exactly_256_characters_is_accepted(api: httpx.Client) -> None:
    body = create(api, "https://www.linkedin.com/in/long-id", external_id="x" * 256)
    assert api.get(f"{CREATE}/{body['_id']}").json()["external_id"] == "x" * 256


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", CREATE),
        ("GET", f"{CREATE}/0123456789abcdef01234567"),
        ("POST", BATCH),
        ("GET", CREDITS),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"x-api-key": ""}, {"x-api-key": "wrong"}])
def test_every_route_answers_401_without_the_right_key(
    server: ServerHandle, method: str, path: str, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=server.base_url, headers=headers) as client:
        response = client.request(method, path, content=b"not even json")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"
    assert "wrong" not in response.text


def test_the_key_is_checked_before_the_body(server: ServerHandle) -> None:
    with httpx.Client(base_url=server.base_url) as client:
        response = client.post(CREATE, json={"linkedin_url": "nope"})
    assert response.status_code == 401


# --- regressions: hostile values that once got a 500 or a 201 --------------------------

JANE_URL = "https://www.linkedin.com/in/janedoe"


def refusal(api: httpx.Client, body: object) -> str:
    """The message of the 400 VALIDATION_ERROR the create must answer."""
    # Escaped JSON (ensure_ascii), so half a surrogate pair can be sent too.
    content = json.dumps(body).encode()
    response = api.post(CREATE, content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "VALIDATION_ERROR"
    message: str = response.json()["message"]
    return message


@pytest.mark.parametrize("value", [{}, [], {"work": 1}, ["work"], 1, True, 1.5])
def test_a_type_that_is_an_object_or_array_is_a_400_not_a_500(
    api: httpx.Client, value: object
) -> None:
    assert "type" in refusal(api, {"linkedin_url": JANE_URL, "type": value})


@pytest.mark.parametrize(
    "url",
    [
        "https://www.linkedin.com/in/jane\u0000doe",
        "https://www.linkedin.com/in/jane\x80doe",
        "https://www.linkedin.com/in/jane\x9fdoe",
        "https://www.linkedin.com/in/jane%00doe",
        "https://www.linkedin.com/in/jane%C2%80doe",
        "https://www.linkedin.com/in/jane%80doe",
        "https://www.linkedin.com/in/jane\u200bdoe",
        "https://www.linkedin.com/in/jane\ud800doe",
    ],
)
def test_a_handle_with_control_characters_is_refused(api: httpx.Client, url: str) -> None:
    assert "linkedin_url" in refusal(api, {"linkedin_url": url, "type": "work"})


@pytest.mark.parametrize(
    "url", [" " + JANE_URL, JANE_URL + " ", "\t" + JANE_URL, JANE_URL + "\n", "\u00a0" + JANE_URL]
)
def test_a_url_with_spaces_around_it_is_refused_and_never_echoed(
    api: httpx.Client, url: str
) -> None:
    message = refusal(api, {"linkedin_url": url, "type": "work"})
    assert "linkedin_url" in message
    assert url not in message


@pytest.mark.parametrize(
    "callback",
    [
        "https://example.com:2*/cb",
        "https://exa mple.com/cb",
        " https://example.com/cb",
        "https://example.com/c\u0000b",
        "https://example.com:99999/cb",
        "https://exa_mple!.com/cb",
        "https://[::1/cb",
        "https:///cb",
        "ftp://example.com/cb",
        "example.com/cb",
        "",
        42,
        ["https://example.com/cb"],
    ],
)
def test_a_callback_url_that_is_not_a_url_is_refused(api: httpx.Client, callback: object) -> None:
    body = {"linkedin_url": JANE_URL, "type": "work", "callback_url": callback}
    assert "callback_url" in refusal(api, body)


@pytest.mark.parametrize(
    "callback",
    ["https://example.com:8443/cb?x=1", "http://127.0.0.1:9/cb", "http://[::1]:8080/cb"],
)
def test_a_well_formed_callback_url_is_accepted(api: httpx.Client, callback: str) -> None:
    create(api, JANE_URL, callback_url=callback)


def test_an_external_id_with_half_a_surrogate_pair_is_a_400_not_a_500(api: httpx.Client) -> None:
    body = b'{"linkedin_url": "%s", "type": "work", "external_id": "a\\ud800b"}' % JANE_URL.encode()
    response = api.post(CREATE, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "external_id" in response.json()["message"]


@pytest.mark.parametrize("route", [CREATE, BATCH])
def test_a_body_nested_too_deep_to_decode_is_a_400_not_a_500(api: httpx.Client, route: str) -> None:
    response = api.post(route, content=b"[" * 100_000, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


# --- section 2: poll one lookup --------------------------------------------------------


def test_a_lookup_goes_pending_then_processing_then_final(api: httpx.Client) -> None:
    lookup = create(api, profile_ending("completed"))
    seen: list[str] = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        status = api.get(f"{CREATE}/{lookup['_id']}").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status not in {"pending", "processing"}:
            break
        time.sleep(0.02)
    assert seen == ["pending", "processing", "completed"]


def test_a_running_lookup_has_no_email_and_no_enrichment_type(api: httpx.Client) -> None:
    lookup = create(api, profile_ending("completed"))
    body = api.get(f"{CREATE}/{lookup['_id']}").json()
    assert body["status"] in {"pending", "processing"}
    assert "email" not in body
    assert "enrichment_type" not in body
    assert "external_id" not in body


def test_a_completed_work_lookup_carries_the_email_object(api: httpx.Client) -> None:
    url = profile_ending("completed")
    lookup = create(api, url, external_id="lead-42")
    body = wait_resolved(api, lookup["_id"])
    expected = TRUTH.expected_outcome(url, "work")
    assert body == {
        "_id": lookup["_id"],
        "status": "completed",
        "enrichment_type": "work_email",
        "email": {"email": expected.email, "type": "work"},
        "linkedin_url": url,
        "external_id": "lead-42",
    }


def test_a_personal_lookup_resolves_as_personal_email(api: httpx.Client) -> None:
    url = profile_ending("completed", "personal")
    body = wait_resolved(api, create(api, url, "personal")["_id"])
    assert body["enrichment_type"] == "personal_email"
    expected = TRUTH.expected_outcome(url, "personal")
    assert body["email"] == {"email": expected.email, "type": "personal"}


@pytest.mark.parametrize("status", ["not-found", "failed"])
def test_a_lookup_without_an_email_has_email_null(api: httpx.Client, status: str) -> None:
    body = wait_resolved(api, create(api, profile_ending(status))["_id"])
    assert body["status"] == status
    assert body["email"] is None
    assert body["enrichment_type"] == "work_email"


@pytest.mark.parametrize("lookup_id", ["0123456789abcdef01234567", "not-an-id", "ABC"])
def test_an_unknown_or_malformed_id_is_404(api: httpx.Client, lookup_id: str) -> None:
    response = api.get(f"{CREATE}/{lookup_id}")
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_polling_a_completed_lookup_again_and_again_charges_it_once(
    api: httpx.Client, server: ServerHandle
) -> None:
    lookup = create(api, profile_ending("completed"))
    wait_resolved(api, lookup["_id"])
    for _ in range(5):
        api.get(f"{CREATE}/{lookup['_id']}")
    assert server.ledger.charged[str(lookup["_id"])] == 1


# --- section 3: batch status query ------------------------------------------------------


def test_batch_reports_data_found_as_null_true_and_false(api: httpx.Client) -> None:
    completed = create(api, profile_ending("completed"))["_id"]
    not_found = create(api, profile_ending("not-found"))["_id"]
    running = api.post(BATCH, json={"tasks": [{"id": completed}, {"id": not_found}]}).json()
    assert [item["dataFound"] for item in running] == [None, None]
    wait_resolved(api, completed)
    wait_resolved(api, not_found)
    answer = api.post(BATCH, json={"tasks": [{"id": completed}, {"id": not_found}]}).json()
    done = {item["_id"]: item for item in answer}
    assert done[completed]["dataFound"] is True
    assert done[completed]["email"]["email"]
    assert done[not_found]["dataFound"] is False
    assert done[not_found]["status"] == "not-found"


def test_batch_updated_at_is_utc_iso_time_of_the_last_status_change(api: httpx.Client) -> None:
    lookup_id = create(api, profile_ending("completed"))["_id"]
    created = api.post(BATCH, json={"tasks": [{"id": lookup_id}]}).json()[0]["updatedAt"]
    wait_resolved(api, lookup_id)
    resolved = api.post(BATCH, json={"tasks": [{"id": lookup_id}]}).json()[0]["updatedAt"]
    first = datetime.fromisoformat(created.replace("Z", "+00:00"))
    last = datetime.fromisoformat(resolved.replace("Z", "+00:00"))
    assert first.tzinfo == timezone.utc
    assert abs((datetime.now(timezone.utc) - first).total_seconds()) < 10
    assert (last - first).total_seconds() == pytest.approx(0.6, abs=0.002)


def test_batch_leaves_out_unknown_ids_and_may_reorder(api: httpx.Client) -> None:
    ids = [create(api, f"https://www.linkedin.com/in/batch-{n}")["_id"] for n in range(30)]
    tasks = [{"id": i} for i in ids] + [{"id": "0123456789abcdef01234567"}, {"id": "junk"}]
    answer = api.post(BATCH, json={"tasks": tasks}).json()
    assert sorted(item["_id"] for item in answer) == sorted(ids)


def test_batch_takes_200_ids_and_refuses_201(api: httpx.Client) -> None:
    tasks = [{"id": f"{n:024x}"} for n in range(201)]
    assert api.post(BATCH, json={"tasks": tasks[:200]}).status_code == 200
    response = api.post(BATCH, json={"tasks": tasks})
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "body",
    [{"tasks": []}, {}, {"tasks": "abc"}, {"tasks": [{"key": "x"}]}, {"tasks": [{"id": 5}]}, [1]],
)
def test_batch_refuses_an_empty_or_malformed_query(api: httpx.Client, body: object) -> None:
    response = api.post(BATCH, json=body)
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


def test_the_batch_query_is_read_only_and_free(
    quiet_api: httpx.Client, quiet_server: ServerHandle
) -> None:
    lookup_id = create(quiet_api, profile_ending("completed"))["_id"]
    wait_resolved(quiet_api, lookup_id)
    before = quiet_server.ledger
    for _ in range(3):
        quiet_api.post(BATCH, json={"tasks": [{"id": lookup_id}]})
    after = quiet_server.ledger
    assert after.lookups_created == before.lookups_created
    assert after.credits_charged == before.credits_charged
    assert after.batch_sizes[-3:] == (1, 1, 1)


# --- section 4: credits -----------------------------------------------------------------


def test_credits_answer_the_integer_balance(quiet_api: httpx.Client) -> None:
    assert quiet_api.get(CREDITS).json() == {"balance": CONFIG.balance}


def test_a_completed_lookup_costs_one_credit_even_if_nobody_polls_it(
    quiet_api: httpx.Client, quiet_server: ServerHandle
) -> None:
    completed = create(quiet_api, profile_ending("completed"))
    create(quiet_api, profile_ending("not-found"))
    create(quiet_api, profile_ending("failed"))
    time.sleep(0.7)
    assert quiet_api.get(CREDITS).json() == {"balance": CONFIG.balance - 1}
    assert dict(quiet_server.ledger.charged) == {completed["_id"]: 1}


def test_an_unknown_path_is_a_json_404(api: httpx.Client) -> None:
    response = api.get("/v1/api/enrichment/phone")
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


def test_the_package_exports_exactly_its_public_names() -> None:
    public = {
        name
        for name in dir(simulator_package)
        if not name.startswith("_")
        and name != "annotations"  # from __future__
        and not isinstance(getattr(simulator_package, name), types.ModuleType)
    }
    assert sorted(simulator_package.__all__) == simulator_package.__all__
    assert set(simulator_package.__all__) == public
