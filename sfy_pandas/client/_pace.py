"""The learned pace: how many requests/s an API key may send, estimated from 429s.

The API does not announce its limit. A token bucket (``rate`` tokens a second,
``burst`` saved up) answers 429 exactly when it is empty, so the bucket is empty
at every 429, and between two 429s it accepted the tokens it made, ``rate``
times the time between them (fewer only if it overflowed while full). The
requests accepted between 429s are therefore a direct measure of the limit:

1. **Start**: no pace. The first 429 (the burst is spent) halves the rate just
   sent at, and each 429 to a request sent after the last cut halves it again,
   until there are enough answers between 429s to measure.
2. **Probe**: send a little above the measured rate, climbing while no 429
   comes, so the bucket stays empty and every 429 refines the measure: the
   answers accepted since the first 429 of the span over the time since. A
   pause (few answers for a long time) starts the span afresh, as the bucket
   may have overflowed meanwhile.
3. **Settle**: once a span holds ``SETTLE_ACCEPTED`` answers, pace at
   ``MARGIN`` of the measure, climbing very slowly with the answers (never
   with idle time), so a limit that rises is found again. A 429 there, after a
   long spell, means the climb just passed the limit: settle at ``MARGIN`` of
   that rate. Soon after a change, the limit has dropped: probe afresh.

The pace is a model of the API's bucket: its rate, and the burst measured from
the first spell (what was accepted before the first 429, less the rate times
its length), so a run that starts after a pause sends its burst at once, as the
API allows.

A ``Retry-After`` is not used for the measure: a token bucket's is the time to
its next token rounded up to whole seconds, so it says little about the rate.
It is the refused request's wait (``_sending.py``). Rate-limit headers, when a
server sends them, cap the pace: ``RateLimit-Policy`` (``100;w=60``), or
``*-Remaining`` requests until ``*-Reset``. No I/O here; the clock is passed in.

One :class:`Pace` serves every client of the process that uses the same API key
at the same base URL (:func:`shared_pace`), so a second run, or the next chunk
of a file, starts at the pace the first one learned. The registry is keyed by a
hash of the key, never the key itself.
"""

from __future__ import annotations

import collections
import hashlib
import math
import re
import threading
import time
from collections.abc import Mapping

__all__ = ["MARGIN", "SETTLE_ACCEPTED", "Pace", "header_rate", "shared_pace"]

#: Settle at this share of the measured limit: a little headroom for jitter.
MARGIN = 0.98
#: While probing, send this much above the measure, so the bucket stays empty.
PROBE_OVERSHOOT = 1.05
#: Answers accepted between the 429s of one span needed to settle (about 2 %
#: precision: the ends of a span are uncertain by about one answer).
SETTLE_ACCEPTED = 60
#: Answers needed before a span is used at all; below it a 429 halves the pace.
MIN_ACCEPTED = 4
#: Relative climb per second while probing (no 429 for a while: the limit is higher).
PROBE_CLIMB = 0.5
#: ... and before anything is measured: a first cut that fell below the limit
#: (a client that could hardly send faster than the limit) recovers in a blink.
START_CLIMB = 2.0
#: A probe climbs to at most this many times its base, plus one (a pause is not
#: a reason to come back at a multiple of the limit).
MAX_CLIMB = 2.0
#: Relative climb per answer once settled, so a limit that rises is found again
#: (10 % per 1,000 answers).
SETTLED_CLIMB = 0.0001
#: ... and at most this much per second (a fast key climbs no faster than a slow one).
SETTLED_CLIMB_PER_SECOND = 0.001
#: The pace never goes below this many requests/s.
MIN_RATE = 0.2
#: The window over which the rate just sent at is measured, in seconds.
_METER_SECONDS = 1.0
#: The 429s of one probe kept for the measure.
_SPAN_POINTS = 64

_POLICY_WINDOW = re.compile(r";\s*w\s*=\s*([0-9.]+)")


class Pace:
    """One API key's learned pace: ``interval(now)`` seconds between sends.

    Fed by :meth:`on_accepted` and :meth:`on_refused` with the clock times at
    which answers came back. Safe to share between threads: each update is a few
    float assignments, and a lost race costs one send's spacing at worst.
    """

    def __init__(self) -> None:
        self._base: float | None = None  # requests/s when last set; None: no pace yet
        self._since = 0.0  # when it was set: the climb counts from here
        self._settled = False
        self._changed_at = float("-inf")  # 429s to requests sent before say nothing new
        self._accepted = 0
        self._accepted_at_change = 0
        self._span: collections.deque[tuple[float, int]] = collections.deque(maxlen=_SPAN_POINTS)
        self._sends: collections.deque[float] = collections.deque()
        self._first_send: float | None = None
        # A model of the API's bucket: ``_tokens`` at ``_tokens_at``, at most ``_burst``.
        # The burst is 1 (even spacing) until measured; at every 429 the model empties.
        self._burst = 1.0
        self._tokens = 1.0
        self._tokens_at = 0.0
        self._first_refusal: tuple[float, int] | None = None  # (time, accepted) of the first 429
        self._cap: float | None = None  # from rate-limit headers
        self._cap_until = float("-inf")
        self._open_at = float("-inf")  # everyone waits until then (a long pause)
        self.estimate: float | None = None  # the measured limit, requests/s

    # --- what a sender asks ---

    def rate(self, now: float) -> float | None:
        """Requests/s allowed right now (None: no limit known)."""
        rate = None
        if self._base is not None:
            if self._settled:  # climbs with answers and time: an idle key stays put
                answers = self._accepted - self._accepted_at_change
                climb = min(SETTLED_CLIMB * answers, SETTLED_CLIMB_PER_SECOND * (now - self._since))
            else:
                climb = min(MAX_CLIMB, PROBE_CLIMB * max(0.0, now - self._since))
                if self.estimate is None:
                    climb = min(MAX_CLIMB, START_CLIMB * max(0.0, now - self._since))
            rate = self._base * (1.0 + climb)
        if self._cap is not None and now < self._cap_until:
            rate = self._cap if rate is None else min(rate, self._cap)
        return rate

    @property
    def settled(self) -> bool:
        """Whether the pace rests on a full measure of the limit."""
        return self._settled

    def next_turn(self, now: float, scale: float = 1.0) -> float:
        """The clock time at which the next send may go (``now`` or later).

        ``scale`` multiplies the spacing (0: the test switch, no spacing).
        """
        rate = self.rate(now)
        turn = max(self._open_at, now)
        if rate is None or scale == 0:
            return turn
        tokens = self._level(now, rate / scale)
        if tokens >= 1.0:
            return turn
        return max(turn, now + (1.0 - tokens) * scale / rate)

    def _level(self, now: float, rate: float) -> float:
        """The model bucket's tokens at ``now``, refilled at ``rate``."""
        elapsed = max(0.0, now - self._tokens_at)
        return min(self._burst, self._tokens + elapsed * rate)

    def take_turn(self, now: float, scale: float = 1.0) -> None:
        """Record a send at ``now``: the next one waits a spacing after it."""
        if self._first_send is None:
            self._first_send = now
        sends = self._sends
        sends.append(now)
        while sends[0] < now - _METER_SECONDS:
            sends.popleft()
        rate = self.rate(now)
        if rate is None or scale == 0:
            return
        # Taking from the model keeps to the schedule: a late wake-up does not push
        # every later send back (what it missed is still in the model).
        self._tokens = self._level(now, rate / scale) - 1.0
        self._tokens_at = now

    # --- what the answers say ---

    def on_accepted(self, now: float, headers: Mapping[str, str] | None = None) -> None:
        """An answer that was not a 429 came back at ``now``."""
        self._accepted += 1
        if headers:
            self._read_headers(now, headers)

    def on_refused(
        self,
        sent_at: float,
        now: float,
        pause: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """A 429 came back at ``now`` to a request sent at ``sent_at``.

        ``pause``: seconds every request must wait (a long ``Retry-After``).
        Returns whether the 429 is news (the request was sent under the pace in
        force now); False means it was sent under a pace that has since been
        lowered, and the new pace already spaces its retry.
        """
        if pause > 0:
            self._open_at = max(self._open_at, now + pause)
        if headers:
            self._read_headers(now, headers)
        if self._first_refusal is None:
            self._first_refusal = (now, self._accepted)
        fresh = sent_at >= self._changed_at
        if self._settled:
            if fresh:
                self._resettle(now)
            return fresh
        self._add_point(now)
        measured = self._measure()
        if measured is not None:
            accepted, estimate = measured
            self.estimate = estimate
            if accepted >= SETTLE_ACCEPTED:
                self._set(estimate * MARGIN, now, settled=True)
                self._burst = self._measured_burst(estimate)
                self._span.clear()
            elif fresh:
                self._set(estimate * PROBE_OVERSHOOT, now, settled=False)
        elif fresh and self.estimate is None and len(self._span) > 1:
            # Still far above the limit (the burst spent in a blink): halve.
            current = self.rate(now)
            self._set((current or self._sent_rate(now)) / 2, now, settled=False)
        elif fresh and self._base is None:
            self._set(self._sent_rate(now) / 2, now, settled=False)
        return fresh

    def _resettle(self, now: float) -> None:
        """A 429 while settled: the slow climb went just past the limit.

        After a long spell, settle just under the rate that met the 429. Soon
        after the last change, the limit itself has dropped: measure it afresh.
        """
        current = self.rate(now) or MIN_RATE
        if self._accepted - self._accepted_at_change >= SETTLE_ACCEPTED:
            self.estimate = current
            self._set(current * MARGIN, now, settled=True)
            return
        self._set(current, now, settled=False)
        self._span.clear()
        self._span.append((now, self._accepted))

    def _add_point(self, now: float) -> None:
        """Add a 429 to the span; after a long quiet spell, start the span afresh.

        Many answers since the last 429, or few over a long time (a pause), mean the
        client sent below the limit for a while, and the API's bucket may have
        overflowed: counting across that would read the limit low.
        """
        span = self._span
        if span:
            last, accepted_at_last = span[-1]
            accepted = self._accepted - accepted_at_last
            idle = self.estimate is not None and accepted < 0.5 * self.estimate * (now - last)
            if accepted > SETTLE_ACCEPTED or (idle and now - last > 1.0):
                span.clear()
        span.append((now, self._accepted))

    def _set(self, rate: float, now: float, *, settled: bool) -> None:
        self._base = max(MIN_RATE, rate)
        self._since = now
        self._settled = settled
        self._changed_at = now
        self._accepted_at_change = self._accepted
        # The API's bucket is empty at a 429: so is the model.
        self._tokens = 0.0
        self._tokens_at = now

    def _measured_burst(self, estimate: float) -> float:
        """The API's burst, from the first spell: accepted = burst + rate x its length.

        Four fifths of it, as the first spell's length is known only roughly; at
        least 1 (even spacing).
        """
        if self._first_refusal is None or self._first_send is None:
            return 1.0
        at, accepted = self._first_refusal
        burst = accepted - estimate * (at - self._first_send)
        return max(1.0, math.floor(0.8 * burst))

    def _measure(self) -> tuple[int, float] | None:
        """(answers, requests/s) across the span, once it holds enough answers."""
        span = self._span
        if len(span) < 2:
            return None
        (start, accepted_at_start), (end, accepted_at_end) = span[0], span[-1]
        accepted = accepted_at_end - accepted_at_start
        if accepted < MIN_ACCEPTED or end <= start:
            return None
        return accepted, accepted / (end - start)

    def _sent_rate(self, now: float) -> float:
        """Requests/s sent over the last second (or since the first send, if later)."""
        first = now if self._first_send is None else self._first_send
        span = max(min(now - first, _METER_SECONDS), 0.01)
        return max(len(self._sends), 1) / span

    def _read_headers(self, now: float, headers: Mapping[str, str]) -> None:
        cap = header_rate(headers)
        if cap is not None:
            rate, valid_for = cap
            self._cap = rate
            self._cap_until = now + valid_for

    def __repr__(self) -> str:
        estimate = "unknown" if self.estimate is None else f"{self.estimate:.1f}/s"
        state = "settled" if self._settled else "learning"
        return f"Pace(estimate={estimate}, {state})"


def _number(headers: Mapping[str, str], *names: str) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is None:
            continue
        try:
            number = float(value.split(",")[0].split(";")[0].strip())
        except ValueError:
            continue
        if math.isfinite(number) and number >= 0:
            return number
    return None


def header_rate(headers: Mapping[str, str]) -> tuple[float, float] | None:
    """(requests/s, seconds it holds for) that rate-limit headers allow, if they say.

    ``RateLimit-Policy: 100;w=60`` allows 100/60 per second. ``*-Remaining`` and
    ``*-Reset`` (seconds, or a Unix time) allow the remaining requests spread up to
    the reset. Either with the ``RateLimit-`` or the ``X-RateLimit-`` prefix.
    """
    # Most answers carry no such header: one pass over the names, not a lookup
    # per name (each scans them all), on every answer.
    if not any("ratelimit" in name.lower() for name in headers):
        return None
    policy = headers.get("ratelimit-policy")
    limit = _number(headers, "ratelimit-limit", "x-ratelimit-limit")
    if policy is not None:
        window = _POLICY_WINDOW.search(policy)
        count = _number({"p": policy}, "p")
        if window and count:
            seconds = float(window.group(1))
            if seconds > 0:
                return count * MARGIN / seconds, seconds
    remaining = _number(headers, "ratelimit-remaining", "x-ratelimit-remaining")
    reset = _number(headers, "ratelimit-reset", "x-ratelimit-reset")
    if remaining is None or reset is None:
        return None
    if reset > 1e9:  # a Unix time, as some servers send: measured from now
        reset = max(0.0, reset - time.time())
    if reset <= 0 or (limit is not None and remaining >= limit):
        return None  # a fresh window, or one that ends now: nothing to hold back
    return max(remaining, MIN_RATE * reset) / reset, reset


_REGISTRY: dict[tuple[str, str], Pace] = {}
_REGISTRY_LOCK = threading.Lock()


def shared_pace(base_url: str, api_key: str) -> Pace:
    """The one :class:`Pace` of this process for an API key at a base URL.

    Keyed by a SHA-256 of the key: the registry never holds the key itself.
    """
    digest = hashlib.sha256(api_key.encode()).hexdigest()
    with _REGISTRY_LOCK:
        return _REGISTRY.setdefault((base_url, digest), Pace())
