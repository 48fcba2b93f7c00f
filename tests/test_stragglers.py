"""Lookups running past what the model expects, before the API's cap is known.

Most of them are bound for the cap, where no earlier read finds them final:
one of them, the oldest, is read every ``poll_max`` to find the cap, and the
others wait for it (the read plan alone, on a clock of its own).
"""

from __future__ import annotations

import pytest

from sfy_pandas._models import Status
from sfy_pandas.engine import EngineOptions
from sfy_pandas.engine._book import Running
from sfy_pandas.engine._schedule import ReadPlan
from sfy_pandas.engine._timing import LookupTimes


def _plan(median: float = 10.0) -> ReadPlan:
    # Lookups of about 10 s: one still running at 30 s is far past the model's 80 %.
    return ReadPlan(LookupTimes(median, 0.5), EngineOptions(poll_max=5.0))


def _running(
    plan: ReadPlan, created: dict[str, float], age: float, running: dict[str, Running] | None = None
) -> dict[str, Running]:
    """Lookups made at ``created`` (into ``running``), each seen running at ``age``, in turn."""
    running = {} if running is None else running
    for lookup_id, at in created.items():
        record = Running((f"https://www.linkedin.com/in/{lookup_id}", "work"), at, None)
        record.reads, record.last_running_age = 1, age
        running[lookup_id] = record
        plan.seen_running(record)
        plan.schedule(lookup_id, record, at + age)
    return running


def test_only_the_oldest_straggler_is_read_each_poll_max_until_the_cap_is_found():
    plan = _plan()
    running = _running(plan, {"a": 0.0, "b": 1.0, "c": 2.0}, age=30.0)
    # Before, all three were read 5 s later, and again every 5 s until the cap.
    assert plan.take_due(36.0, 10, running) == ["a"]
    assert plan.next_due() == pytest.approx(1.0 + 2.5 * 30.0)

    # The oldest is found timed out at 36 s: the others are read there, not later.
    plan.learn(running["a"], None, 36.0, Status.TIMEOUT)
    del running["a"]
    plan.discard("a", 36.0)
    plan.refit(running, 36.0)  # the end of the round
    assert plan.take_due(37.5, 10, running) == ["b"]
    assert plan.next_due() == pytest.approx(38.0)


def test_a_scout_that_ends_by_itself_hands_over_to_the_next_oldest():
    plan = _plan()
    running = _running(plan, {"a": 0.0, "b": 1.0, "c": 2.0}, age=30.0)
    assert plan.take_due(35.0, 10, running) == ["a"]

    plan.learn(running["a"], None, 35.0, Status.COMPLETED)
    del running["a"]
    plan.discard("a", 35.0)
    # "b" looks for the cap now, 5 s after it was seen running; "c" still waits.
    assert plan.take_due(40.0, 10, running) == ["b"]
    assert plan.next_due() == pytest.approx(2.0 + 2.5 * 30.0)


def test_an_older_straggler_takes_over_as_the_scout():
    plan = _plan()
    running = _running(plan, {"b": 1.0, "c": 2.0}, age=30.0)
    _running(plan, {"a": 0.0}, age=30.0, running=running)
    assert plan.take_due(36.0, 10, running) == ["a", "b"]  # b was due before a came
    plan.schedule("b", running["b"], 36.0)  # seen running again: b waits now
    assert plan.next_due() == pytest.approx(1.0 + 2.5 * 30.0)


def test_with_the_batch_query_every_straggler_keeps_poll_max():
    plan = _plan()
    plan.batch = True
    running = _running(plan, {"a": 0.0, "b": 1.0, "c": 2.0}, age=30.0)
    assert plan.take_due(40.0, 10, running) == ["a", "b", "c"]


def test_reads_due_at_the_middle_of_the_cap_wait_when_the_middle_moves_up():
    plan = _plan(median=100.0)  # long lookups: the model alone would read them late
    plan.cap.running_at(40.0)
    plan.cap.timed_out_by(80.0)
    running = _running(plan, {"d": 0.0}, age=20.0)
    assert plan.next_due() == pytest.approx(60.0)  # the middle of (40, 80]

    # Another lookup is found running at 60 s: the cap is in (60, 80].
    _running(plan, {"e": 0.0}, age=60.0, running=running)
    plan.refit(running, 60.0)  # the end of the round
    assert plan.take_due(65.0, 10, running) == []
    assert plan.next_due() == pytest.approx(70.0)  # d at the new middle; e at the top
