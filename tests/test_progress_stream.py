"""A long run's stream of answers keeps the counts moving, at least once a second.

The stream is synthetic: a 100,000-row run whose answers arrive in batches, fed
to the views the way the run feeds them (one snapshot per drain, ten drains a
second), on a clock the test moves. Whatever the views throttle, a second in
which answers arrived must show new counts.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator

import comm
import ipywidgets
import pytest
from comm import DummyComm

from sfy_pandas._models import Status
from sfy_pandas.progress._snapshot import ProgressSnapshot, format_summary
from sfy_pandas.progress._text import TextProgress
from sfy_pandas.progress._widget import WidgetProgress

ROWS = 100_000


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


class Recorder(DummyComm):
    sent: list[str] = []  # noqa: RUF012 - one list shared by every comm of a test

    def publish_msg(self, msg_type: str, data: object = None, *a: object, **k: object) -> None:
        if msg_type == "comm_msg" and isinstance(data, dict) and data.get("method") == "update":
            Recorder.sent.append(str(data["state"].get("value", "")))


@pytest.fixture
def frontend(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    Recorder.sent = []
    monkeypatch.setattr(comm, "create_comm", Recorder)
    yield Recorder.sent
    ipywidgets.Widget.close_all()


def stream(seconds: int, per_second: int) -> Iterator[tuple[float, ProgressSnapshot]]:
    """Ten drains a second; answers arrive in every other drain, unevenly."""
    done = 0
    for tick in range(seconds * 10):
        if tick % 2 and done < ROWS:
            done = min(ROWS, done + per_second // 5 + (tick % 7))
        counts = {Status.COMPLETED: done, Status.PROCESSING: ROWS - done}
        yield tick / 10, ProgressSnapshot(ROWS, counts, done, tick / 10)


def test_the_widget_s_counts_move_every_second_in_which_answers_arrive(
    frontend: list[str],
) -> None:
    clock = Clock()
    view = WidgetProgress(clock=clock)
    drawn: dict[int, set[str]] = {}

    for now, snapshot in stream(seconds=60, per_second=200):
        clock.now = now
        before = len(frontend)
        view.update(snapshot)
        if len(frontend) > before:
            counter = re.search(r"([\d,]+) / 100,000", frontend[-1])
            assert counter is not None
            drawn.setdefault(int(now), set()).add(counter.group(1))

    seconds_with_new_counts = [
        second for second in range(1, 60) if drawn.get(second, set()) - drawn.get(second - 1, set())
    ]
    assert seconds_with_new_counts == list(range(1, 60))


def test_the_terminal_line_s_counts_move_every_second_in_which_answers_arrive() -> None:
    clock = Clock()
    out = TTY()
    view = TextProgress(file=out, clock=clock)
    shown: list[tuple[float, str]] = []

    for now, snapshot in stream(seconds=30, per_second=200):
        clock.now = now
        before = len(out.getvalue())
        view.update(snapshot)
        if len(out.getvalue()) > before:
            shown.append((now, out.getvalue()[before:].split("/")[0]))

    for second in range(1, 30):
        in_second = {text for at, text in shown if second <= at < second + 1}
        before = {text for at, text in shown if at < second}
        assert in_second - before, f"no new count drawn in second {second}"


def test_a_snapshot_costs_the_same_whatever_the_row_count() -> None:
    """Drawing is O(statuses), not O(rows): a million rows redraw as fast as a hundred."""

    def cost(rows: int) -> float:
        counts = {Status.COMPLETED: rows // 2, Status.PROCESSING: rows - rows // 2}
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(2000):
                format_summary(ProgressSnapshot(rows, counts, rows // 2, 10.0))
            best = min(best, time.perf_counter() - started)
        return best

    assert cost(1_000_000) < 3 * cost(100)
