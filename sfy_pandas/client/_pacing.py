"""How fast one client sends: slots for requests in flight, and the learned pace.

Every request of a client passes through one :class:`Pacer`:

- at most ``max_concurrency`` requests are in flight, exactly as asked (the rate,
  not the concurrency, is what a rate-limited API cares about, so 429s leave
  the slots alone);
- sends are spaced by ``max_rate`` when given, and by the :class:`~._pace.Pace`
  the client shares with every other client of the same API key, which learns
  the API's unannounced limit from its 429s (``_pace.py``).
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable, Mapping

from ._pace import Pace

__all__ = ["Pacer"]


class Pacer:
    """The sending discipline shared by every request of one client.

    Use as ``sent_at = await pacer.acquire()`` ... ``pacer.release()``, then tell
    it how the request went with :meth:`on_accepted` or :meth:`on_refused`.

    ``wait_scale`` multiplies the learned spacing (0 in tests, as
    ``RetryPolicy.wait_scale``); ``clock`` is the monotonic clock, for tests.
    """

    def __init__(
        self,
        max_concurrency: int,
        *,
        max_rate: float | None = None,
        pace: Pace | None = None,
        wait_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
            raise TypeError(f"max_concurrency must be an int, not {type(max_concurrency).__name__}")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if max_rate is not None and not max_rate > 0:
            raise ValueError(f"max_rate must be a positive number of requests/s, got {max_rate}")
        self.max_concurrency = max_concurrency
        self.max_rate = max_rate
        self.pace = pace or Pace()
        self._wait_scale = wait_scale
        self._clock = clock
        self._in_flight = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        #: Whether a request is waiting on the pace now, and those in line behind it.
        self._turn_taken = False
        self._turn_line: collections.deque[asyncio.Future[None]] = collections.deque()
        self._next_send = 0.0  # when max_rate allows the next send

    @property
    def in_flight(self) -> int:
        """How many requests hold a slot right now."""
        return self._in_flight

    @property
    def rate(self) -> float | None:
        """The requests/s allowed right now: ``max_rate`` or the learned pace, the lower."""
        learned = self.pace.rate(self._clock())
        if learned is None or self._wait_scale == 0:
            return self.max_rate
        return learned if self.max_rate is None else min(learned, self.max_rate)

    async def acquire(self) -> float:
        """Wait for a slot and a turn; return the send time (for the answer's report)."""
        if self._in_flight < self.max_concurrency and not self._waiters:
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
        # Turns go in the order they were asked for: one request at a time waits
        # on the pace, the others in line behind it. When each slept to the next
        # turn and took it if still free, a request whose answer had just come in
        # took it first, and one left behind could wait 37 s for a turn.
        if self._turn_taken or self._turn_line:
            place: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._turn_line.append(place)
            try:
                await place  # the request ahead hands the turn over
            except asyncio.CancelledError:
                if place.done() and not place.cancelled():
                    self._pass_turn()  # handed over as we were cancelled: pass it on
                else:
                    self._turn_line.remove(place)
                raise
        else:
            self._turn_taken = True
        try:
            return await self._take_turn()
        finally:
            self._pass_turn()

    def _pass_turn(self) -> None:
        line = self._turn_line
        while line:
            place = line.popleft()
            if not place.done():
                place.set_result(None)
                return
        self._turn_taken = False

    async def _take_turn(self) -> float:
        # A loop, not one sleep: a 429 meanwhile may push every turn back.
        pace, clock, scale = self.pace, self._clock, self._wait_scale
        while True:
            now = clock()
            turn = max(pace.next_turn(now, scale), self._next_send)
            if turn <= now:
                break
            await asyncio.sleep(turn - now)
        pace.take_turn(now, scale)
        if self.max_rate is not None:
            spacing = 1.0 / self.max_rate
            start = self._next_send if self._next_send > now - spacing else now
            self._next_send = start + spacing
        return now

    def release(self) -> None:
        """Give the slot back (call exactly once per successful acquire)."""
        self._in_flight -= 1
        waiters = self._waiters
        while waiters and self._in_flight < self.max_concurrency:
            fut = waiters.popleft()
            if not fut.done():
                self._in_flight += 1
                fut.set_result(None)

    def on_accepted(self, headers: Mapping[str, str] | None = None) -> None:
        """A request was answered with anything but a 429."""
        self.pace.on_accepted(self._clock(), headers)

    def on_refused(
        self, sent_at: float, pause: float = 0.0, headers: Mapping[str, str] | None = None
    ) -> bool:
        """A request was answered 429; see :meth:`Pace.on_refused`."""
        return self.pace.on_refused(sent_at, self._clock(), pause, headers)

    def __repr__(self) -> str:
        rate = self.rate
        shown = "none" if rate is None else f"{rate:.1f}/s"
        return (
            f"Pacer(in_flight={self._in_flight}/{self.max_concurrency}, rate={shown}, "
            f"{self.pace!r})"
        )
