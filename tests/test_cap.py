"""Lookups that run into the API's maximum processing time are read at it.

The lognormal model of lookup times knows nothing of a hard cap, so without the
cap a lookup still running near it is read at the model's long tail, up to a
fifth of its age late, and the last lookups of a run are often those.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import Counter
from typing import Any

from sfy_pandas import AsyncSalesfinity
from sfy_pandas._models import Status
from sfy_pandas.engine import Engine, EngineOptions, Job, Update
from sfy_pandas.engine._cap import HardCap
from sfy_pandas.journal import NullJournal
from sfy_pandas.simulator import ServerHandle
from tests.conftest import Recorder


def test_the_cap_is_narrowed_by_halves_then_read_at_its_top():
    cap = HardCap()
    assert cap.read_age() is None
    cap.running_at(40.0)
    cap.timed_out_by(80.0)
    assert cap.read_age() == 60.0  # the middle of (40, 80]
    cap.running_at(60.0)
    assert cap.read_age() == 70.0
    cap.timed_out_by(70.0)
    for _ in range(10):
        age = cap.read_age()
        assert age is not None
        # The true cap is 64 s: a read at ``age`` finds the lookup running or timed out.
        if age < 64.0:
            cap.running_at(age)
        else:
            cap.timed_out_by(age)
    assert cap.read_age() is not None
    assert 64.0 <= cap.read_age() <= 64.4  # type: ignore[operator]


def test_a_lookup_running_past_the_cap_means_there_is_none():
    cap = HardCap()
    cap.timed_out_by(30.0)
    cap.running_at(30.5)  # the clocks: the cap moves up a little
    assert cap.read_age() is not None
    cap.running_at(45.0)
    assert cap.read_age() is None
    cap.timed_out_by(20.0)  # and it is not learned again
    assert cap.read_age() is None


def test_timeouts_far_apart_mean_there_is_no_one_cap():
    cap = HardCap()
    cap.running_at(50.0)
    cap.timed_out_by(20.0)
    assert cap.read_age() is None


#: Short lookups, a fifth of them running into a cap of ``CAP`` seconds; the
#: model's tail is far from it. No batch query: each read is one GET.
CAP = 4.0
CAPPED = {
    "batch_enabled": False,
    "pending_seconds": 0.1,
    "resolve_seconds": 0.6,
    "resolve_spread": 0.4,
    "timeout_seconds": CAP,
    "completed_rate": 0.5,
    "not_found_rate": 0.25,
    "failed_rate": 0.05,
}


async def _enrich(
    server: ServerHandle, prefix: str, count: int, **options: Any
) -> tuple[Recorder, dict[Any, Update]]:
    """Enrich ``count`` new profiles over real HTTP: what was read, and the final updates."""
    jobs = [Job((f"https://www.linkedin.com/in/{prefix}-{i}", "work")) for i in range(count)]
    latest: dict[Any, Update] = {}
    async with AsyncSalesfinity(server.api_key, base_url=server.base_url) as client:
        reads = Recorder(client)
        engine = Engine(
            reads,
            NullJournal(base_url=server.base_url),
            jobs,
            lambda updates: latest.update({u.key: u for u in updates}),
            EngineOptions(poll_initial=0.2, lookup_median=0.6, lookup_spread=0.4, **options),
        )
        await asyncio.wait_for(engine.run(), 60)
    return reads, latest


async def test_lookups_that_time_out_are_read_at_the_cap_without_the_batch_query(serve):
    # Only knowing the cap reads these on time. Slow answers spread the creates
    # over about 7 s, as in a real run, so the lookups made later meet a cap
    # that is known.
    server = serve(seed=21, slow_rate=1.0, slow_seconds=0.05, **CAPPED)
    reads, latest = await _enrich(server, "cap", 300, create_concurrency=2)

    # While creates are ready, reads take at most a fifth of the requests, so
    # reads fall behind then whatever their schedule: look at the lookups that
    # reach the cap once the creates are over.
    last_create = max(reads.created_at.values())
    made = reads.created_at
    timed_out = [
        u.lookup_id
        for u in latest.values()
        if u.status is Status.TIMEOUT and u.lookup_id and made[u.lookup_id] + CAP > last_create
    ]
    assert len(timed_out) >= 15
    # From the cap to the sending of the read that found the lookup timed out:
    # in a full suite, the simulator's answers took up to 0.8 s (p90), and the
    # median lag to the answer was 0.12 s in one run, 0.47 s in another.
    asked_at = reads.final_asked_at()
    lags = sorted(asked_at[i] - (made[i] + CAP) for i in timed_out)
    # Read at the model's tail (1.2 times the age at each read), the median lag
    # was about half a second; at the cap, once it is narrowed, a few hundredths.
    assert statistics.median(lags) <= 0.25, lags
    assert server.ledger.requests["get"] <= 1.6 * 300


async def test_lookups_bound_for_the_cap_are_not_read_every_poll_max_before_it_is_found(serve):
    # Nothing is known of the cap until a lookup is found timed out. Reading
    # every one still running each ``poll_max`` (0.4 s here, as 30 s against
    # lookups of minutes) read each of them about eight times; the oldest alone
    # now looks that often.
    server = serve(seed=22, **CAPPED)
    reads, latest = await _enrich(server, "bound", 150, poll_max=0.4)

    timed_out = {u.lookup_id for u in latest.values() if u.status is Status.TIMEOUT}
    assert len(timed_out) >= 20
    asked = Counter(i for _sent, ids in reads.queries for i in ids if i in timed_out)
    per_lookup = sorted(asked[i] for i in timed_out)
    assert statistics.median(per_lookup) <= 4, per_lookup
    # And they are still read soon after the cap, not at 2.5 times their age.
    asked_at, made = reads.final_asked_at(), reads.created_at
    lags = sorted(asked_at[i] - (made[i] + CAP) for i in timed_out)
    assert statistics.median(lags) <= 0.5, lags
