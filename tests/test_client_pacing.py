"""Pacing: the concurrency limit, the shared cool-down gate and the fixed rate."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from sfy_pandas._errors import RateLimitError
from sfy_pandas.client._client import AsyncSalesfinity
from sfy_pandas.client._pacing import RATE_CUT, RATE_CUT_DEEP, RATE_RAMP, Pacer
from sfy_pandas.client._retry import RetryPolicy

KEY = "sk-test-SECRET-0123456789"
PROFILE = "https://www.linkedin.com/in/janedoe"


def created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"_id": "507f1f77bcf86cd799439011", "status": "pending"})


# --- the pacer on its own ----------------------------------------------------------


async def test_a_429_halves_the_limit_once_for_the_requests_already_in_flight() -> None:
    pacer = Pacer(8, wait_scale=0)
    sent = [await pacer.acquire() for _ in range(8)]
    for sent_at in sent:  # all eight come back 429
        pacer.release()
        pacer.on_rate_limited(sent_at, 0)
    assert pacer.limit == 4


async def test_a_429_to_a_request_sent_after_the_cut_cuts_again_down_to_one() -> None:
    pacer = Pacer(8, wait_scale=0)
    for expected in (4, 2, 1, 1):
        sent_at = await pacer.acquire()
        pacer.release()
        pacer.on_rate_limited(sent_at, 0)
        assert pacer.limit == expected


async def test_the_limit_recovers_by_one_after_a_run_of_successes() -> None:
    pacer = Pacer(4, wait_scale=0)
    sent_at = await pacer.acquire()
    pacer.release()
    pacer.on_rate_limited(sent_at, 0)
    assert pacer.limit == 2
    for expected in (3, 4):
        for _ in range(2 * pacer.limit):
            sent_at = await pacer.acquire()
            pacer.release()
            pacer.on_success(sent_at)
        assert pacer.limit == expected
    for _ in range(50):
        pacer.on_success(await pacer.acquire())
        pacer.release()
    assert pacer.limit == 4  # never above max_concurrency


async def test_successes_of_requests_sent_before_the_cut_do_not_count() -> None:
    pacer = Pacer(2, wait_scale=0)
    old = await pacer.acquire()
    pacer.release()
    cut = await pacer.acquire()
    pacer.release()
    pacer.on_rate_limited(cut, 0)
    for _ in range(10):
        pacer.on_success(old)
    assert pacer.limit == 1


async def test_a_full_pacer_makes_the_next_request_wait_for_a_release() -> None:
    pacer = Pacer(1)
    await pacer.acquire()
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    pacer.release()
    await asyncio.wait_for(waiting, 1)
    assert pacer.in_flight == 1


async def test_a_cancelled_waiter_gives_its_slot_back() -> None:
    pacer = Pacer(1)
    await pacer.acquire()
    waiting = asyncio.create_task(pacer.acquire())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    pacer.release()
    assert pacer.in_flight == 0
    await asyncio.wait_for(pacer.acquire(), 1)


async def test_after_a_429_nobody_sends_until_the_cool_down_has_passed() -> None:
    pacer = Pacer(4)
    sent_at = await pacer.acquire()
    pacer.release()
    pacer.on_rate_limited(sent_at, 0.1)
    started = time.monotonic()
    await pacer.acquire()
    assert time.monotonic() - started >= 0.09


async def test_a_fixed_rate_spaces_requests_evenly() -> None:
    pacer = Pacer(8, max_rate=50)
    started = time.monotonic()
    for _ in range(6):
        await pacer.acquire()
        pacer.release()
    assert time.monotonic() - started >= 0.09  # 5 gaps of 20 ms


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def send_at_rate(pacer: Pacer, clock: FakeClock, rate: float, seconds: float) -> float:
    """Send ``rate`` requests/s for ``seconds`` on the fake clock; return the last send time."""
    sent_at = clock.now
    for _ in range(round(rate * seconds)):
        sent_at = await pacer.acquire()
        pacer.release()
        pacer.on_success(sent_at)
        clock.now += 1 / rate
    return sent_at


async def test_there_is_no_rate_cap_until_the_api_answers_429() -> None:
    clock = FakeClock()
    pacer = Pacer(8, clock=clock)
    await send_at_rate(pacer, clock, 100, 1)
    assert pacer.rate is None


async def test_a_429_soon_after_sending_starts_halves_the_rate_just_sent_at() -> None:
    clock = FakeClock()
    pacer = Pacer(8, wait_scale=0, clock=clock)
    sent_at = await send_at_rate(pacer, clock, 100, 0.2)
    pacer.on_rate_limited(sent_at, 0)
    assert pacer.rate == pytest.approx(RATE_CUT_DEEP * 100, rel=0.05)


async def test_a_429_after_a_long_spell_cuts_the_rate_gently() -> None:
    clock = FakeClock()
    pacer = Pacer(8, wait_scale=0, clock=clock)
    pacer.on_rate_limited(await send_at_rate(pacer, clock, 100, 0.2), 0)
    sent_at = await send_at_rate(pacer, clock, 40, 5)
    pacer.on_rate_limited(sent_at, 0)
    assert pacer.rate == pytest.approx(RATE_CUT * 40, rel=0.05)


async def test_the_learned_rate_climbs_back_slowly_then_faster() -> None:
    clock = FakeClock()
    pacer = Pacer(8, wait_scale=0, clock=clock)
    pacer.on_rate_limited(await send_at_rate(pacer, clock, 100, 0.2), 0)
    base = pacer.rate
    assert base is not None
    clock.now += 10
    assert pacer.rate == pytest.approx(base * (1 + RATE_RAMP * 10**2))
    clock.now += 30
    assert pacer.rate == pytest.approx(base * (1 + RATE_RAMP * 40**2))


async def test_the_learned_rate_never_exceeds_max_rate() -> None:
    clock = FakeClock()
    pacer = Pacer(8, max_rate=20, wait_scale=0, clock=clock)
    assert pacer.rate == 20
    pacer.on_rate_limited(await pacer.acquire(), 0)
    pacer.release()
    clock.now += 3600
    assert pacer.rate == 20


async def test_the_learned_rate_spaces_sends_in_real_time() -> None:
    pacer = Pacer(8)
    sent_at = await pacer.acquire()
    pacer.release()
    pacer.on_rate_limited(sent_at, 0)  # one send in no time: read as 20/s, cut to 10/s
    started = time.monotonic()
    for _ in range(4):
        await pacer.acquire()
        pacer.release()
    assert time.monotonic() - started >= 0.29  # 3 gaps of 100 ms


async def test_the_test_switch_takes_the_learned_rate_spacing_away() -> None:
    pacer = Pacer(8, wait_scale=0)
    sent_at = await pacer.acquire()
    pacer.release()
    pacer.on_rate_limited(sent_at, 0)
    started = time.monotonic()
    for _ in range(4):
        await pacer.acquire()
        pacer.release()
    assert time.monotonic() - started < 0.05
    assert pacer.rate == pytest.approx(10, rel=0.05)


@pytest.mark.parametrize(("limit", "rate"), [(0, None), (4, 0), (4, -1.0)])
def test_a_nonsensical_pace_is_refused(limit: int, rate: float | None) -> None:
    with pytest.raises(ValueError, match="max_"):
        Pacer(limit, max_rate=rate)


# --- the client's requests under the pacer -----------------------------------------


async def test_the_client_never_has_more_than_max_concurrency_requests_in_flight() -> None:
    in_flight = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1
        return created(request)

    async with AsyncSalesfinity(
        KEY, transport=httpx.MockTransport(handler), max_concurrency=5
    ) as client:
        await asyncio.gather(*(client.create(PROFILE) for _ in range(60)))
    assert peak == 5


class RateLimitedApi:
    """Answers 429 (Retry-After: 1) to every request in its first ``window`` seconds."""

    def __init__(self, window: float) -> None:
        self.window = window
        self.opened_at: float | None = None
        self.answers: list[int] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        now = time.monotonic()
        if self.opened_at is None:
            self.opened_at = now + self.window
        await asyncio.sleep(0.005)  # latency: requests overlap
        if now < self.opened_at:
            self.answers.append(429)
            return httpx.Response(429, headers={"Retry-After": "1"})
        self.answers.append(201)
        return created(request)


async def test_a_rate_limited_api_sees_a_handful_of_429s_not_a_storm() -> None:
    api = RateLimitedApi(window=0.03)
    # wait_scale 0.06: the Retry-After of 1 s becomes a 60 ms cool-down.
    async with AsyncSalesfinity(
        KEY,
        transport=httpx.MockTransport(api),
        max_concurrency=8,
        retry=RetryPolicy(wait_scale=0.06),
    ) as client:
        lookups = await asyncio.gather(*(client.create(PROFILE) for _ in range(100)))
    assert len(lookups) == 100
    # Only the first wave, already in flight when the first 429 came back, is refused.
    assert api.answers.count(429) <= 8
    assert client.stats.rate_limited == api.answers.count(429)
    assert api.answers.count(201) == 100


async def test_the_concurrency_limit_is_cut_by_429s_and_shown_in_the_stats() -> None:
    api = RateLimitedApi(window=0.03)
    async with AsyncSalesfinity(
        KEY,
        transport=httpx.MockTransport(api),
        max_concurrency=8,
        retry=RetryPolicy(wait_scale=0.06),
    ) as client:
        await asyncio.gather(*(client.create(PROFILE) for _ in range(6)))
    assert client.stats.rate_limited == 6
    assert client.stats.concurrency_limit == 4  # 6 successes since: not yet a run of 8


async def test_a_429_closes_the_gate_for_others_even_when_its_request_gives_up() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or created(request)

    async with AsyncSalesfinity(
        KEY,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1, wait_scale=0.1),  # Retry-After 1 s -> 100 ms
    ) as client:
        with pytest.raises(RateLimitError):
            await client.create(PROFILE)
        started = time.monotonic()
        await client.create(PROFILE)
    assert time.monotonic() - started >= 0.09
