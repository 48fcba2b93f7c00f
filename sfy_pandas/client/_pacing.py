"""How fast one client sends: limits that adapt to 429s.

Every request of a client passes through one :class:`Pacer`, which keeps three
limits:

- a **concurrency limit** that starts at ``max_concurrency``, is halved (never
  below 1) on a 429 and grows back by one after a run of successes (additive
  increase, multiplicative decrease, as TCP does);
- a **cool-down gate**: after a 429 nobody sends until its ``Retry-After`` (or
  back-off) has passed, so the requests queued behind the refused one do not
  each discover the limit for themselves;
- a **rate cap** in requests per second, with sends evenly spaced: ``max_rate``
  when given, and, once the API has answered 429, a learned one. A token-bucket
  API refuses a fast client however few requests it has in flight (with 5 ms
  answers, one at a time is 200/s), so concurrency alone cannot stop the 429s.

The learned cap: on a 429, a share of the rate the client was sending at (the
lower of the cap and the rate measured over the last two seconds): half when
the 429 came within two seconds of the gate opening (the API's burst allowance
ran out fast, so the rate was far too high), else 4/5. From there it climbs,
slowly at first and then faster (``base * (1 + 0.001 * t**2)``, t in seconds
since the cut: back to the refused rate after ~16 s, doubled after ~32 s), so
the client sits just under the API's limit most of the time, meets a 429 about
once per cycle, and still finds its way up when the limit was misjudged or
rises. Against a local token bucket this keeps 429s to about one per cycle and
throughput at 80-100 % of the limit (measured from 3/s to 100/s).

Requests already in flight when the limits are cut could not help having been
sent, so their 429s do not cut them again: only a 429 to a request sent after
the last cut does.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable

__all__ = ["Pacer"]

#: On a 429, the learned cap becomes this share of the rate that was refused...
RATE_CUT = 0.8
#: ... or this share, when the 429 came less than _SHORT_SPELL_SECONDS after the
#: gate opened: the API's burst allowance ran out fast, so the rate was far too high.
RATE_CUT_DEEP = 0.5
_SHORT_SPELL_SECONDS = 2.0
#: The learned cap grows as ``base * (1 + RATE_RAMP * t**2)``, t seconds since the cut.
RATE_RAMP = 0.001
#: The window over which the rate just sent at is measured, in seconds.
_METER_SECONDS = 2.0
#: The shortest span a rate is measured over, so that two sends a microsecond
#: apart do not read as a million a second.
_METER_FLOOR_SECONDS = 0.05
#: A learned cap never goes below this many requests/s.
_MIN_RATE = 0.5


class Pacer:
    """The sending discipline shared by every request of one client.

    Use as ``sent_at = await pacer.acquire()`` ... ``pacer.release()``, then tell
    it how the request went with :meth:`on_success` or :meth:`on_rate_limited`.

    ``wait_scale`` multiplies the spacing of the learned rate cap (0 in tests, as
    ``RetryPolicy.wait_scale``); ``clock`` is the monotonic clock, for tests.
    """

    def __init__(
        self,
        max_concurrency: int,
        *,
        max_rate: float | None = None,
        wait_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if max_rate is not None and not max_rate > 0:
            raise ValueError(f"max_rate must be a positive number of requests/s, got {max_rate}")
        self.max_concurrency = max_concurrency
        self.max_rate = max_rate
        self._wait_scale = wait_scale
        self._clock = clock
        self._limit = max_concurrency
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._open_at = 0.0  # when the cool-down gate opens
        self._last_cut = float("-inf")  # when the limits were last cut
        self._successes = 0  # in a row, among requests sent since the last cut
        self._rate_base: float | None = None  # the learned cap just after the last cut
        self._next_send = 0.0  # when the rate cap allows the next send
        self._sends: collections.deque[float] = collections.deque()  # over the last second
        self._spell_start: float | None = None  # first send, then each gate opening

    @property
    def limit(self) -> int:
        """How many requests may be in flight right now."""
        return self._limit

    @property
    def rate(self) -> float | None:
        """The requests/s cap in force right now (None: no cap)."""
        return self._rate_at(self._clock())

    @property
    def in_flight(self) -> int:
        """How many requests hold a slot right now."""
        return self._in_flight

    def cool_down_remaining(self) -> float:
        """Seconds until the cool-down gate opens (0 when it is open)."""
        return max(0.0, self._open_at - self._clock())

    async def acquire(self) -> float:
        """Wait for a slot, the gate and the rate cap; return the send time.

        The returned clock time is what :meth:`on_success` and
        :meth:`on_rate_limited` need to tell old requests from new ones.
        """
        if self._in_flight < self._limit and not self._waiters:
            self._in_flight += 1
        else:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(fut)
            try:
                await fut  # release() hands the slot over before waking us
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self.release()  # the slot arrived as we were cancelled
                elif fut in self._waiters:
                    self._waiters.remove(fut)
                raise
        try:
            return await self._wait_turn()
        except BaseException:
            self.release()
            raise

    async def _wait_turn(self) -> float:
        clock = self._clock
        while True:
            # A loop, not an Event: another 429 may push the opening time back.
            while (delay := self._open_at - clock()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(delay)
            now = clock()
            spacing = self._spacing(now)
            if spacing:
                turn = max(now, self._next_send)
                self._next_send = turn + spacing
                if turn > now:
                    await asyncio.sleep(turn - now)
                    now = clock()
                    if self._open_at > now:
                        continue  # a 429 came back while we waited our turn
            self._count_send(now)
            return now

    def _spacing(self, now: float) -> float:
        """Seconds between sends under the rate cap (0: no cap)."""
        spacing = 0.0
        if self.max_rate is not None:
            spacing = 1.0 / self.max_rate
        if self._rate_base is not None and self._wait_scale > 0:
            learned = self._learned_rate(now, self._rate_base)
            spacing = max(spacing, self._wait_scale / learned)
        return spacing

    def release(self) -> None:
        """Give the slot back (call exactly once per successful acquire)."""
        self._in_flight -= 1
        self._wake()

    def on_success(self, sent_at: float) -> None:
        """A request was answered with anything but a 429."""
        if sent_at < self._last_cut:
            return  # sent under the old limits: says nothing about the new ones
        self._successes += 1
        # Grow by one after two rounds' worth of answers without a 429.
        if self._successes >= 2 * self._limit and self._limit < self.max_concurrency:
            self._limit += 1
            self._successes = 0
            self._wake()

    def on_rate_limited(self, sent_at: float, wait: float) -> None:
        """A request was answered 429: close the gate for ``wait`` s, maybe cut the limits."""
        now = self._clock()
        self._open_at = max(self._open_at, now + wait)
        self._successes = 0
        if sent_at < self._last_cut:
            return
        refused = self._sent_rate(now)
        learned = self._rate_at(now)
        if learned is not None:
            refused = min(refused, learned)
        # A spell that ended soon after the gate opened overshot the limit by far.
        spell = now - (now if self._spell_start is None else self._spell_start)
        cut = RATE_CUT_DEEP if spell < _SHORT_SPELL_SECONDS else RATE_CUT
        self._rate_base = max(_MIN_RATE, cut * refused)
        self._last_cut = now
        # Measure the next spell on its own: sends from before this 429 say nothing of it.
        self._sends.clear()
        self._spell_start = self._open_at
        self._limit = max(1, self._limit // 2)

    def _learned_rate(self, now: float, base: float) -> float:
        since = now - self._last_cut
        return base * (1.0 + RATE_RAMP * since * since)

    def _rate_at(self, now: float) -> float | None:
        if self._rate_base is None:
            return self.max_rate
        learned = self._learned_rate(now, self._rate_base)
        return learned if self.max_rate is None else min(self.max_rate, learned)

    def _count_send(self, now: float) -> None:
        sends = self._sends
        if not sends and self._spell_start is None:
            self._spell_start = now
        sends.append(now)
        cutoff = now - _METER_SECONDS
        while sends[0] < cutoff:
            sends.popleft()

    def _sent_rate(self, now: float) -> float:
        """Requests/s sent over the last second, or since the gate last opened if later."""
        sends = self._sends
        cutoff = now - _METER_SECONDS
        while sends and sends[0] < cutoff:
            sends.popleft()
        start = now if self._spell_start is None else self._spell_start
        return len(sends) / max(min(now - start, _METER_SECONDS), _METER_FLOOR_SECONDS)

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters and self._in_flight < self._limit:
            fut = waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(None)

    def __repr__(self) -> str:
        rate = self.rate
        shown = "none" if rate is None else f"{rate:.1f}/s"
        return (
            f"Pacer(limit={self._limit}/{self.max_concurrency}, in_flight={self._in_flight}, "
            f"rate={shown})"
        )
