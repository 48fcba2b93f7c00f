"""The share of requests reads take while creating, from what sets the run's end."""

from __future__ import annotations

import pytest

from sfy_pandas.engine import EngineOptions
from sfy_pandas.engine._schedule import ReadPlan
from sfy_pandas.engine._share import ReadShare
from sfy_pandas.engine._timing import LookupTimes


def _sending(share: ReadShare, per_second: float, seconds: int, start: float = 0.0) -> None:
    for second in range(seconds * 4 + 1):
        now = start + second / 4
        share.count(now, int(per_second * now))


def test_reads_take_half_the_share_when_the_lookups_set_the_end():
    share = ReadShare(0.2)
    _sending(share, 10.0, 5)
    # 1,000 lookups still to create or read, at 10 a second: 100 s of requests.
    assert share.share(backlog=1_000, tail=120.0) == pytest.approx(0.1)  # the cap sets the end
    assert share.share(backlog=5_000, tail=120.0) == pytest.approx(0.2)  # the requests do


def test_the_whole_share_until_a_rate_is_seen():
    share = ReadShare(0.2)
    assert share.share(backlog=10, tail=120.0) == pytest.approx(0.2)
    share.count(0.0, 0)
    share.count(0.5, 20)  # the burst: not a rate yet
    assert share.rate() is None


def test_the_rate_is_the_one_of_the_last_ten_seconds():
    share = ReadShare(0.2)
    for second in range(41):
        # 40 a second for 20 s, then 10 a second (the limit dropped).
        sent = 40 * min(second, 20) + 10 * max(second - 20, 0)
        share.count(float(second), sent)
    assert share.rate() == pytest.approx(10.0, rel=0.15)


def test_a_share_asked_for_is_kept_in_bounds():
    assert ReadShare(-1.0).full == 0.0
    assert ReadShare(5.0).full == 0.9


def test_the_tail_is_the_cap_once_known_else_the_far_tail_or_the_oldest_seen_running():
    plan = ReadPlan(LookupTimes(10.0, 0.5), EngineOptions())
    assert plan.tail() == pytest.approx(10.0 * 4.69, rel=0.02)  # the model's 99.9 %
    plan.cap.running_at(50.0)
    assert plan.tail() == 50.0
    plan.cap.timed_out_by(60.0)
    assert plan.tail() == 60.0
