"""How fast one client sends: a concurrency limit that adapts to 429s.

Every request of a client passes through one :class:`Pacer`:

- a **concurrency limit** that starts at ``max_concurrency``, is halved (never
  below 1) when the API answers 429, and grows back by one after a run of
  successes (additive increase, multiplicative decrease, as TCP does);
- a **cool-down gate**: after a 429 nobody sends until its ``Retry-After`` (or
  back-off) has passed, so the requests queued behind the one that was refused do
  not each discover the limit for themselves;
- an optional fixed **rate** (``max_rate`` requests per second, evenly spaced).

Requests already in flight when the limit is cut cannot help having been sent, so
their 429s do not cut it again: only a 429 to a request sent after the last cut
does.
"""

from __future__ import annotations

import asyncio
import collections
import time

from aiolimiter import AsyncLimiter

__all__ = ["Pacer"]


class Pacer:
    """The sending discipline shared by every request of one client.

    Use as ``sent_at = await pacer.acquire()`` ... ``pacer.release()``, then tell
    it how the request went with :meth:`on_success` or :meth:`on_rate_limited`.
    """

    def __init__(self, max_concurrency: int, *, max_rate: float | None = None) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if max_rate is not None and not max_rate > 0:
            raise ValueError(f"max_rate must be a positive number of requests/s, got {max_rate}")
        self.max_concurrency = max_concurrency
        self.max_rate = max_rate
        self._limit = max_concurrency
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._open_at = 0.0  # monotonic time the cool-down gate opens
        self._last_cut = float("-inf")  # monotonic time the limit was last cut
        self._successes = 0  # in a row, among requests sent since the last cut
        # One token every 1/max_rate seconds: evenly spaced, no burst at the start.
        self._rate = None if max_rate is None else AsyncLimiter(1, 1.0 / max_rate)

    @property
    def limit(self) -> int:
        """How many requests may be in flight right now."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """How many requests hold a slot right now."""
        return self._in_flight

    def cool_down_remaining(self) -> float:
        """Seconds until the cool-down gate opens (0 when it is open)."""
        return max(0.0, self._open_at - time.monotonic())

    async def acquire(self) -> float:
        """Wait for a slot, the gate and the rate; return the send time.

        The returned monotonic time is what :meth:`on_success` and
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
            # A loop, not an Event: another 429 may push the opening time back.
            while (delay := self._open_at - time.monotonic()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(delay)
            if self._rate is not None:
                await self._rate.acquire()
        except BaseException:
            self.release()
            raise
        return time.monotonic()

    def release(self) -> None:
        """Give the slot back (call exactly once per successful acquire)."""
        self._in_flight -= 1
        self._wake()

    def on_success(self, sent_at: float) -> None:
        """A request was answered with anything but a 429."""
        if sent_at < self._last_cut:
            return  # sent under the old limit: says nothing about the new one
        self._successes += 1
        # Grow by one after a full round (2 x limit) of answers without a 429.
        if self._successes >= 2 * self._limit and self._limit < self.max_concurrency:
            self._limit += 1
            self._successes = 0
            self._wake()

    def on_rate_limited(self, sent_at: float, wait: float) -> None:
        """A request was answered 429: close the gate for ``wait`` s, maybe cut the limit."""
        now = time.monotonic()
        self._open_at = max(self._open_at, now + wait)
        self._successes = 0
        if sent_at >= self._last_cut:
            self._limit = max(1, self._limit // 2)
            self._last_cut = now

    def _wake(self) -> None:
        waiters = self._waiters
        while waiters and self._in_flight < self._limit:
            fut = waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(None)

    def __repr__(self) -> str:
        return (
            f"Pacer(limit={self._limit}/{self.max_concurrency}, in_flight={self._in_flight}, "
            f"max_rate={self.max_rate})"
        )
