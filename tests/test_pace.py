"""The learned pace on its own: a fake clock, and a token bucket played out event by event."""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import pytest

from sfy_pandas.client import Pace
from sfy_pandas.client._pace import _REGISTRY, MARGIN, header_rate, shared_pace


@dataclass
class Outcome:
    seconds: float
    refused: int
    pace: Pace


def play(
    rate: float,
    burst: int,
    creates: int,
    *,
    workers: int = 8,
    latency: float = 0.005,
    pace: Pace | None = None,
    start: float = 0.0,
) -> Outcome:
    """Send ``creates`` requests through ``pace`` to a token bucket, in simulated time.

    Each of ``workers`` sends when the pace allows; an answer comes ``latency``
    later; a refused request waits its Retry-After of 1 s when the pace calls the
    429 news, and goes straight back to the pace otherwise, as the client does.
    """
    pace = pace or Pace()
    tokens, tokens_at = float(burst), start
    queue: list[tuple[float, int, int, bool | None, float]] = []
    order = 0

    def push(at: float, worker: int, answer: bool | None = None, sent: float = 0.0) -> None:
        nonlocal order
        order += 1
        heapq.heappush(queue, (at, order, worker, answer, sent))

    for worker in range(workers):
        push(start, worker)
    done = refused = 0
    now = start
    while done < creates:
        now, _, worker, answer, sent = heapq.heappop(queue)
        if answer is None:  # a worker ready to send
            turn = pace.next_turn(now)
            if turn > now:
                push(turn, worker)
                continue
            pace.take_turn(now)
            arrives = now + latency / 2
            tokens = min(burst, tokens + (arrives - tokens_at) * rate)
            tokens_at = arrives
            accepted = tokens >= 1
            tokens -= accepted
            push(now + latency, worker, accepted, now)
        elif answer:
            pace.on_accepted(now)
            done += 1
            push(now, worker)
        else:
            refused += 1
            news = pace.on_refused(sent, now)
            push(now + (1.0 if news else 0.0), worker)
    return Outcome(now - start, refused, pace)


LIMITS = [(10.0, 20), (50.0, 10), (100.0, 10), (3.0, 5)]
#: At 3/s a run of 20 s holds too few answers to settle: those tests run longer.
SECONDS = 20


@pytest.mark.parametrize(("rate", "burst"), LIMITS)
def test_the_measured_limit_is_within_5_percent_of_the_apis(rate: float, burst: int) -> None:
    outcome = play(rate, burst, max(int(rate * SECONDS), 100) + burst)
    assert outcome.pace.settled
    assert outcome.pace.estimate == pytest.approx(rate, rel=0.05)


@pytest.mark.parametrize(("rate", "burst"), LIMITS)
@pytest.mark.parametrize("latency", [0.001, 0.02, 0.1])
def test_a_run_takes_at_most_110_percent_of_the_bound(
    rate: float, burst: int, latency: float
) -> None:
    creates = int(rate * SECONDS) + burst
    workers = max(8, int(2 * rate * latency) + 1)  # enough in flight to reach the limit
    outcome = play(rate, burst, creates, latency=latency, workers=workers)
    bound = (creates - burst) / rate
    assert outcome.seconds <= 1.10 * bound
    assert outcome.refused <= 40  # a measure's worth, not a storm


@pytest.mark.parametrize(("rate", "burst"), LIMITS)
def test_a_second_run_on_the_learned_pace_meets_almost_no_429s(rate: float, burst: int) -> None:
    creates = max(int(rate * SECONDS), 100) + burst
    first = play(rate, burst, creates)
    second = play(rate, burst, creates, pace=first.pace, start=first.seconds + 30)
    assert second.refused <= 3
    assert second.seconds <= 1.08 * (creates - burst) / rate


def test_a_pace_settles_just_under_the_limit_instead_of_cycling() -> None:
    outcome = play(50.0, 10, 3_000)  # a minute at the limit
    assert outcome.seconds <= 1.04 * (3_000 - 10) / 50
    assert outcome.refused <= 30  # a measure at the start, then one now and then


def test_a_limit_that_drops_is_learned_again() -> None:
    first = play(100.0, 10, 2_000)
    after = play(30.0, 10, 600, pace=first.pace, start=first.seconds + 5)
    assert after.pace.estimate == pytest.approx(30.0, rel=0.1)
    assert after.seconds <= 1.2 * (600 - 10) / 30


def test_there_is_no_pace_until_the_first_429() -> None:
    pace = Pace()
    for i in range(100):
        assert pace.next_turn(i * 0.001) == i * 0.001
        pace.take_turn(i * 0.001)
        pace.on_accepted(i * 0.001)
    assert pace.rate(1.0) is None


def test_a_429_to_a_request_sent_before_the_last_change_is_not_news() -> None:
    pace = Pace()
    for i in range(20):
        pace.take_turn(i * 0.001)
    assert pace.on_refused(sent_at=0.019, now=0.02) is True
    cut = pace.rate(0.02)
    assert cut is not None
    assert pace.on_refused(sent_at=0.015, now=0.021) is False  # in flight before the cut
    assert pace.rate(0.021) == pytest.approx(cut, rel=0.01)


def test_a_long_pause_holds_every_send() -> None:
    pace = Pace()
    pace.take_turn(0.0)
    pace.on_refused(sent_at=0.0, now=1.0, pause=30.0)
    assert pace.next_turn(2.0) >= 31.0


def test_the_test_switch_takes_the_spacing_away() -> None:
    outcome = play(50.0, 10, 500)
    assert outcome.pace.next_turn(outcome.seconds, scale=0) == outcome.seconds


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ratelimit-policy": "100;w=10"}, (100 * MARGIN / 10, 10.0)),
        ({"x-ratelimit-remaining": "5", "x-ratelimit-reset": "2"}, (2.5, 2.0)),
        ({"ratelimit-limit": "10", "ratelimit-remaining": "10", "ratelimit-reset": "1"}, None),
        ({"x-ratelimit-remaining": "many", "x-ratelimit-reset": "2"}, None),
        ({"x-ratelimit-remaining": "5"}, None),
        ({}, None),
    ],
)
def test_rate_limit_headers_are_read_when_sent(
    headers: dict[str, str], expected: tuple[float, float] | None
) -> None:
    assert header_rate(headers) == expected


def test_rate_limit_headers_cap_the_pace_until_their_reset() -> None:
    pace = Pace()
    pace.on_accepted(0.0, {"x-ratelimit-remaining": "4", "x-ratelimit-reset": "2"})
    assert pace.rate(1.0) == 2.0
    assert pace.rate(2.5) is None


def test_one_pace_per_key_and_base_url_and_the_registry_never_holds_the_key() -> None:
    key = "sk-test-pace-registry-SECRET"
    first = shared_pace("https://api.example.com", key)
    assert shared_pace("https://api.example.com", key) is first
    assert shared_pace("https://api.example.com", key + "-other") is not first
    assert shared_pace("https://other.example.com", key) is not first
    assert not any(key in url or key in digest for url, digest in _REGISTRY)
    assert key not in repr(first)
