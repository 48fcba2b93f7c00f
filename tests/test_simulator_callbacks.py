"""Callbacks reach the receiver when a lookup resolves (API.md section 5), with retries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from sfy_pandas.simulator import Ledger, ServerHandle, serve_in_thread

CREATE = "/v1/api/enrichment/email"
QUICK = {
    "pending_seconds": 0.05,
    "resolve_seconds": 0.15,
    "resolve_spread": 0.0,
    "callback_backoff_seconds": 0.05,
}


class Receiver:
    """A callback endpoint on loopback that records each POST and can fail on purpose."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.posts: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # see FACTS.md: else ~40 ms per request

            def do_POST(self) -> None:
                data = self.rfile.read(int(self.headers["content-length"]))
                status = receiver.record(json.loads(data))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def record(self, body: dict[str, Any]) -> int:
        with self._lock:
            self.posts.append(body)
            return 500 if len(self.posts) <= self.failures else 204

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.posts) >= count:
                    return list(self.posts)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} callbacks, got {len(self.posts)}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.close()


def start(
    receivers: list[Receiver], failures: int = 0, **knobs: Any
) -> tuple[ServerHandle, Receiver]:
    receiver = Receiver(failures)
    receivers.append(receiver)
    return serve_in_thread(**{**QUICK, **knobs}), receiver


def create(handle: ServerHandle, receiver: Receiver, n: int = 1, **extra: str) -> str:
    payload = {
        "linkedin_url": f"https://www.linkedin.com/in/callback-person-{n}",
        "type": "work",
        "callback_url": receiver.url,
        **extra,
    }
    response = httpx.post(handle.base_url + CREATE, json=payload, headers={"x-api-key": "k"})
    assert response.status_code == 201
    lookup_id: str = response.json()["_id"]
    return lookup_id


def ledger_when(
    handle: ServerHandle, ready: Callable[[Ledger], bool], timeout: float = 5.0
) -> Ledger:
    """The simulator's ledger once ``ready`` holds for it (or the last one after ``timeout``)."""
    deadline = time.monotonic() + timeout
    ledger = handle.ledger
    while not ready(ledger) and time.monotonic() < deadline:
        time.sleep(0.01)
        ledger = handle.ledger
    return ledger


def test_the_resolved_lookup_is_posted_once_to_its_callback_url(receivers: list[Receiver]) -> None:
    handle, receiver = start(receivers)
    with handle:
        lookup_id = create(handle, receiver, external_id="lead-7")
        (post,) = receiver.wait_for(1)
        polled = httpx.get(f"{handle.base_url}{CREATE}/{lookup_id}", headers={"x-api-key": "k"})
        time.sleep(0.1)
        assert receiver.posts == [post]
        assert handle.ledger.callbacks_delivered == 1
    assert post == polled.json()
    assert post["external_id"] == "lead-7"
    assert post["status"] not in {"pending", "processing"}


def test_a_failing_receiver_gets_the_callback_again_until_it_accepts(
    receivers: list[Receiver],
) -> None:
    handle, receiver = start(receivers, failures=2)
    with handle:
        lookup_id = create(handle, receiver)
        posts = receiver.wait_for(3)
        ledger = ledger_when(handle, lambda books: books.callbacks_delivered >= 1)
    assert [post["_id"] for post in posts] == [lookup_id] * 3
    assert (ledger.callback_attempts, ledger.callbacks_delivered) == (3, 1)
    assert ledger.callbacks_abandoned == 0


def test_a_callback_is_abandoned_after_three_failed_attempts(receivers: list[Receiver]) -> None:
    handle, receiver = start(receivers, failures=10)
    with handle:
        create(handle, receiver)
        receiver.wait_for(3)
        ledger = ledger_when(handle, lambda books: books.callbacks_abandoned >= 1)
    assert len(receiver.posts) == 3
    assert (ledger.callback_attempts, ledger.callbacks_abandoned) == (3, 1)


def test_a_duplicate_rate_of_one_delivers_every_callback_twice(receivers: list[Receiver]) -> None:
    handle, receiver = start(receivers, callback_duplicate_rate=1.0)
    with handle:
        create(handle, receiver, 1)
        create(handle, receiver, 2)
        posts = receiver.wait_for(4)
        # The receiver can see a POST before the sender has read the answer and
        # booked the delivery: wait for the books, not for a fixed time.
        ledger = ledger_when(handle, lambda books: books.callbacks_delivered >= 4)
    assert sorted(post["_id"] for post in posts)[::2] == sorted(post["_id"] for post in posts)[1::2]
    assert ledger.callbacks_duplicated == 2
    assert ledger.callbacks_delivered == 4


def test_a_lookup_that_times_out_still_calls_back(receivers: list[Receiver]) -> None:
    handle, receiver = start(receivers, resolve_seconds=5.0, timeout_seconds=0.2)
    with handle:
        create(handle, receiver)
        (post,) = receiver.wait_for(1)
    assert post["status"] == "timeout"
    assert post["email"] is None


def test_stopping_the_server_cancels_callbacks_not_yet_due(receivers: list[Receiver]) -> None:
    handle, receiver = start(receivers, resolve_seconds=30.0, timeout_seconds=60.0)
    with handle:
        create(handle, receiver)
        assert handle.simulator.callbacks_pending == 1
    assert not handle.running
    assert handle.simulator.callbacks_pending == 0
    assert receiver.posts == []
