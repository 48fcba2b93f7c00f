"""Pacing: requests in flight, the fixed rate, and how a client's 429s reach its pace."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from sfy_pandas._errors import RateLimitError
from sfy_pandas.client import AsyncSalesfinity, Pace, RetryPolicy
from sfy_pandas.client._pacing import Pacer

KEY = "sk-test-SECRET-0123456789"
PROFILE = "https://www.linkedin.com/in/janedoe"


def created(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, json={"_id": "507f1f77bcf86cd799439011", "status": "pending"})


# --- the pacer on its own ----------------------------------------------------------


async def test_429s_leave_the_requests_in_flight_as_asked() -> None:
    pacer = Pacer(8, wait_scale=0)
    sent = [await pacer.acquire() for _ in range(8)]
    for sent_at in sent:  # all eight come back 429
        pacer.release()
        pacer.on_refused(sent_at)
    assert [await pacer.acquire() for _ in range(8)]
    assert pacer.in_flight == 8


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


async def test_after_a_long_pause_nobody_sends_until_it_has_passed() -> None:
    pacer = Pacer(4)
    sent_at = await pacer.acquire()
    pacer.release()
    pacer.on_refused(sent_at, pause=0.1)
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


async def test_every_request_is_sent_in_its_turn_none_starves() -> None:
    # Eight senders that take a slot again as soon as their answer is in, as
    # the create workers do. Each used to sleep until the next turn and take it
    # if still free: a sender just back took it first, and one request waited
    # 37 s (a status read, behind the creates) while others never waited.
    pace = Pace()
    for _ in range(3):  # a learned pace of 12.5/s
        pace.on_refused(sent_at=time.monotonic(), now=time.monotonic())
    pacer = Pacer(8, pace=pace)
    assert pacer.rate is not None
    spacing = 1 / pacer.rate
    waits: list[float] = []
    stop = asyncio.Event()

    async def sender() -> None:
        while not stop.is_set():
            asked = time.monotonic()
            await pacer.acquire()
            waits.append(time.monotonic() - asked)
            await asyncio.sleep(0.08)  # the request and its answer
            pacer.release()

    senders = [asyncio.create_task(sender()) for _ in range(8)]
    await asyncio.sleep(3.0)
    stop.set()
    await asyncio.gather(*senders)
    # In turn, a request waits for the seven others at most, and a little more.
    assert max(waits) <= 8 * spacing + 0.1, (max(waits), spacing)


async def test_the_learned_pace_spaces_sends_in_real_time() -> None:
    pace = Pace()
    pace.on_refused(sent_at=0.0, now=time.monotonic())  # no send yet: read as 100/s, halved
    pacer = Pacer(8, pace=pace)
    assert pacer.rate is not None
    started = time.monotonic()
    for _ in range(4):
        await pacer.acquire()
        pacer.release()
    assert time.monotonic() - started >= 3 / (2 * pacer.rate)


async def test_the_test_switch_takes_the_learned_spacing_away() -> None:
    pace = Pace()
    pace.on_refused(sent_at=0.0, now=time.monotonic())
    pacer = Pacer(8, pace=pace, wait_scale=0)
    started = time.monotonic()
    for _ in range(20):
        await pacer.acquire()
        pacer.release()
    assert time.monotonic() - started < 0.05


async def test_the_learned_pace_never_exceeds_max_rate() -> None:
    pace = Pace()
    pace.on_refused(sent_at=0.0, now=time.monotonic())
    pacer = Pacer(8, max_rate=2, pace=pace)
    assert pacer.rate == 2


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
        KEY, transport=httpx.MockTransport(handler), max_concurrency=5, pace=Pace()
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
    api = RateLimitedApi(window=0.1)
    # wait_scale 0.06: the Retry-After of 1 s becomes a 60 ms cool-down.
    async with AsyncSalesfinity(
        KEY,
        transport=httpx.MockTransport(api),
        max_concurrency=8,
        retry=RetryPolicy(wait_scale=0.06),
        pace=Pace(),
    ) as client:
        lookups = await asyncio.gather(*(client.create(PROFILE) for _ in range(100)))
    assert len(lookups) == 100
    # The first waves, sent before the pace slowed to the 429s, are refused; the
    # rest are spaced out until the API lets them through. Unpaced, a wave of 8
    # every 5 ms would meet 160 refusals in the 100 ms; halving the pace at each
    # 429 grows the count only with the log of the window (about 20 in 30 ms,
    # 28 in 100 ms, 30 in 300 ms here), and a faster client sends a few more.
    assert api.answers.count(429) <= 5 * 8
    assert client.stats.rate_limited == api.answers.count(429)
    assert api.answers.count(201) == 100


async def test_429s_leave_max_concurrency_alone_and_the_stats_show_the_pace() -> None:
    api = RateLimitedApi(window=0.03)
    async with AsyncSalesfinity(
        KEY,
        transport=httpx.MockTransport(api),
        max_concurrency=8,
        retry=RetryPolicy(wait_scale=0.06),
        pace=Pace(),
    ) as client:
        await asyncio.gather(*(client.create(PROFILE) for _ in range(6)))
    assert client.stats.rate_limited >= 6
    assert client.stats.concurrency_limit == 8
    assert client.stats.rate_cap is not None


async def test_a_short_retry_after_is_waited_out_only_by_the_request_whose_429_was_news() -> None:
    refusals = 2

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal refusals
        await asyncio.sleep(0.01)  # both requests are in flight before either answer
        if refusals:
            refusals -= 1
            return httpx.Response(429, headers={"Retry-After": "1"})
        return created(request)

    async with AsyncSalesfinity(
        KEY, transport=httpx.MockTransport(handler), retry=RetryPolicy(wait_scale=0)
    ) as client:
        await asyncio.gather(client.create(PROFILE), client.create(PROFILE))
    assert client.stats.rate_limited == 2
    # The second 429 answered a request sent before the first cut the pace.
    assert client.stats.waited_seconds == 1


async def test_a_long_retry_after_pauses_others_even_when_its_request_gives_up() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "10"})])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or created(request)

    async with AsyncSalesfinity(
        KEY,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1, wait_scale=0.01),  # Retry-After 10 s -> 100 ms
        pace=Pace(),
    ) as client:
        with pytest.raises(RateLimitError):
            await client.create(PROFILE)
        started = time.monotonic()
        await client.create(PROFILE)
    assert time.monotonic() - started >= 0.09
