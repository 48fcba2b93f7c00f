"""The best possible run the benchmarks set each run beside, on cases worked by hand."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from _bound import best_possible, reads


def test_creates_go_at_the_bucket_pace_then_each_lookup_is_read_when_final() -> None:
    # Bucket of 2, 1 token/s: creates at 0, 0, 1; lookups final at 5, 5, 6;
    # reads at 5, 5 (a token saved up while waiting, one refilled), 6.
    assert best_possible([5.0, 5.0, 5.0], rate=1.0, burst=2, batch=False) == pytest.approx(6.0)


def test_reads_share_the_bucket_with_the_creates() -> None:
    # Instant lookups: 4 creates and 4 reads through a bucket of 1 at 1/s:
    # the eighth token comes 7 s after the first.
    assert best_possible([0.0] * 4, rate=1.0, burst=1, batch=False) == pytest.approx(7.0)


def test_one_batch_call_reads_up_to_200_final_lookups() -> None:
    # 400 instant lookups, bucket of 400: two batch calls, spent at once.
    assert best_possible([0.0] * 400, rate=1.0, burst=402, batch=True) == pytest.approx(0.0)
    # 401 need a third call: 401 creates and 3 reads are 404 tokens from a bucket
    # of 402, so the last comes 2 s after the first.
    assert best_possible([0.0] * 401, rate=1.0, burst=402, batch=True) == pytest.approx(2.0)


def test_the_longest_lookup_sets_the_end_when_the_limit_is_loose() -> None:
    assert best_possible([1.0, 30.0, 2.0], rate=100.0, burst=10, batch=True) == pytest.approx(30.0)


def test_reads_say_how_long_each_final_lookup_waited_to_be_seen() -> None:
    # [created, resolve seconds, first read that saw it final, reads]
    figures = reads(
        [[0.0, 5.0, 6.0, 2], [1.0, 1.0, 2.0, 1], [0.0, 1.0, 5.0, 3], [0.0, 1.0, None, 1]]
    )
    assert figures.reads_per_lookup == pytest.approx(7 / 4)
    assert figures.delay_median == pytest.approx(1.0)
    assert figures.delay_p90 == pytest.approx(4.0)
    assert figures.never_seen == 1
