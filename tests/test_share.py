"""The read share without the batch query: small while the last lookups set the run's end.

When the requests left set the end instead, the share grows, so answers are
not held back for nothing, but never so far that the creates end too late for
their lookups to be final by the last request.
"""

from __future__ import annotations

import pytest

from sfy_pandas.engine._share import read_share


def test_the_base_share_while_the_last_lookups_set_the_end():
    # 1,000 profiles at 10/s: 200 s of requests, and the last lookups take up
    # to 120 s after their create: reads must not push the creates later.
    assert read_share(0.2, queued=1_000, running=0, rate=10.0, tail=120.0) == 0.2


def test_the_base_share_while_the_limit_is_not_known():
    assert read_share(0.2, queued=5_000, running=0, rate=None, tail=120.0) == 0.2
    assert read_share(0.2, queued=0, running=500, rate=10.0, tail=120.0) == 0.2


@pytest.mark.parametrize(("queued", "running"), [(5_000, 0), (2_500, 1_500), (800, 3_000)])
def test_more_when_the_requests_set_the_end_and_the_creates_still_end_in_time(queued, running):
    rate, tail = 10.0, 120.0
    share = read_share(0.2, queued=queued, running=running, rate=rate, tail=tail)
    assert 0.2 < share <= 0.5
    # At that share the creates are done at least ``tail`` before the last request.
    creates_done = queued / (rate * (1 - share))
    last_request = (2 * queued + running) / rate
    assert creates_done <= last_request - tail


def test_a_longer_tail_leaves_less_room():
    short = read_share(0.2, queued=5_000, running=0, rate=10.0, tail=60.0)
    long = read_share(0.2, queued=5_000, running=0, rate=10.0, tail=300.0)
    assert short > long >= 0.2
