"""The end of a run, the ETA, and progress in a log: what the analyst reads last."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import ipywidgets
import pytest

from sfy_pandas._models import Status
from sfy_pandas.progress._snapshot import (
    SUMMARY_WIDTH,
    Outcome,
    ProgressSnapshot,
    format_end,
    format_summary,
    make_progress,
)
from sfy_pandas.progress._text import TextProgress
from sfy_pandas.progress._widget import WidgetProgress


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _close_widgets() -> Iterator[None]:
    yield
    ipywidgets.Widget.close_all()


def snap(total: int, *, elapsed: float = 15.0, note: str = "", **counts: int) -> ProgressSnapshot:
    by_status = {Status(name.replace("_", "-")): n for name, n in counts.items()}
    by_status[Status.PENDING] = by_status.get(Status.PENDING, 0) + total - sum(by_status.values())
    return ProgressSnapshot(total, by_status, by_status.get(Status.COMPLETED, 0), elapsed, note)


#: The run from the report: max_wait=15 on 2,000 rows, 1,545 still pending.
CUT_SHORT = snap(2000, completed=400, not_found=50, failed=5, processing=1000, note="simulator")


# -- the end line ------------------------------------------------------------------


def test_the_end_line_says_how_many_rows_still_run_and_how_to_finish_them() -> None:
    out = io.StringIO()
    view = TextProgress(file=out)

    view.close(CUT_SHORT, Outcome.of(CUT_SHORT))

    line, hint = out.getvalue().splitlines()
    assert "(1,545 still running" in line
    assert "455/2,000" in line
    assert hint == "1,545 rows are still running: df.salesfinity.status() finishes them."


def test_the_end_text_of_a_finished_run_is_one_line() -> None:
    done = snap(10, completed=10)

    assert format_end(done, Outcome.DONE) == format_summary(done, outcome=Outcome.DONE)


@pytest.mark.parametrize(
    ("counts", "named"),
    [
        ({"completed": 7, "failed": 2, "timeout": 1}, "(2 failed, 1 timed out)"),
        ({"completed": 8, "error": 2}, "(2 errors)"),
        ({"completed": 9, "error": 1}, "(1 error)"),
        ({"completed": 6, "not_sent": 4, "failed": 1}, "(1 failed, 4 not sent)"),
    ],
)
def test_a_run_with_trouble_names_it_instead_of_saying_problems(
    counts: dict[str, int], named: str
) -> None:
    finished = snap(10, **counts)
    outcome = Outcome.of(finished)

    line = format_summary(finished, outcome=outcome)

    assert outcome is Outcome.PROBLEMS
    assert named in line
    assert "(problems)" not in line


def test_invalid_cells_alone_end_a_run_as_done() -> None:
    finished = snap(10, completed=7, invalid=3)

    assert Outcome.of(finished) is Outcome.DONE
    assert format_summary(finished, outcome=Outcome.DONE).startswith("Salesfinity (done): ")


def test_a_dry_run_ends_as_a_dry_run_not_as_problems() -> None:
    counts = {Status.NOT_SENT: 8, Status.INVALID: 2}
    dry = ProgressSnapshot(10, counts, 0, 0.5, dry_run=True)

    outcome = Outcome.of(dry)

    assert outcome is Outcome.DONE
    assert format_summary(dry, outcome=outcome).startswith("Salesfinity (dry run): 10/10 rows")


def test_a_stopped_run_says_stopped_and_how_to_finish_the_rest() -> None:
    text = format_end(CUT_SHORT, Outcome.STOPPED)

    assert "(stopped" in text.splitlines()[0]
    assert text.endswith("df.salesfinity.status() finishes them.")


BIG = snap(
    100_000,
    processing=17_800,
    completed=39_000,
    not_found=2_900,
    failed=200,
    timeout=50,
    invalid=40,
    error=5,
    not_sent=5,
    elapsed=1340.0,
    note="simulator",
)


@pytest.mark.parametrize("outcome", [None, *Outcome])
@pytest.mark.parametrize("width", range(30, SUMMARY_WIDTH + 1, 7))
def test_elapsed_time_is_never_dropped_on_long_lines(outcome: Outcome | None, width: int) -> None:
    line = format_summary(BIG, outcome=outcome, width=width)

    assert len(line) <= width
    assert "22m20s" in line


# -- the ETA -----------------------------------------------------------------------


def test_an_eta_the_run_cannot_estimate_yet_reads_estimating_never_zero() -> None:
    starting = ProgressSnapshot(100, {Status.PROCESSING: 100}, 0, 4.0, eta_seconds=None)

    line = format_summary(starting)

    assert line.endswith("4s, ETA: estimating")
    assert "ETA 0s" not in line


def test_the_run_s_own_eta_in_seconds_is_shown() -> None:
    running = ProgressSnapshot(
        100, {Status.PROCESSING: 50, Status.COMPLETED: 50}, 50, 10.0, eta_seconds=90.0
    )

    assert running.eta == 90.0
    assert format_summary(running).endswith("ETA 1m30s")


def test_an_eta_under_a_second_reads_under_a_second() -> None:
    running = ProgressSnapshot(
        100, {Status.PROCESSING: 1, Status.COMPLETED: 99}, 99, 10.0, eta_seconds=0.2
    )

    assert format_summary(running).endswith("ETA <1s")


def test_the_widget_says_estimating_while_the_eta_is_unknown() -> None:
    view = WidgetProgress()

    view.update(ProgressSnapshot(100, {Status.PROCESSING: 100}, 0, 4.0, eta_seconds=None))

    assert "ETA</span> <b>estimating</b>" in view.widget.value
    assert "ETA</span> <b>0s" not in view.widget.value


# -- text progress in a log or a pipe ------------------------------------------------


def test_in_a_log_a_line_is_written_only_when_the_figures_change() -> None:
    clock = FakeClock()
    out = io.StringIO()
    view = make_progress("text", file=out, clock=clock)

    for second in range(60):  # a minute in which nothing resolves: only the clock moves
        clock.now += 1
        view.update(snap(100, processing=100, elapsed=float(second)))
    quiet = out.getvalue().splitlines()
    clock.now += 1
    view.update(snap(100, processing=90, completed=10, elapsed=61.0))

    assert len(quiet) == 1
    assert "completed 10" in out.getvalue().splitlines()[-1]


def test_in_a_log_changing_figures_print_at_most_every_few_seconds() -> None:
    clock = FakeClock()
    out = io.StringIO()
    view = make_progress("text", file=out, clock=clock)

    for done in range(1, 301):  # thirty seconds, an answer every tenth of a second
        clock.now += 0.1
        view.update(snap(300, completed=done, elapsed=done / 10))

    assert 5 <= len(out.getvalue().splitlines()) <= 7


def test_on_a_terminal_the_clock_alone_still_redraws() -> None:
    clock = FakeClock()
    out = TTY()
    view = make_progress("text", file=out, clock=clock)

    for second in range(5):
        clock.now += 1
        view.update(snap(100, processing=100, elapsed=float(second)))

    assert out.getvalue().count("\r") == 5


# -- redraws from another thread -----------------------------------------------------


def test_views_closed_from_two_threads_at_once_leave_one_final_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = io.StringIO()
    views = [TextProgress(file=out), WidgetProgress()]
    finished = snap(10, completed=10)
    for view in views:
        barrier = threading.Barrier(8)

        def close(
            view: TextProgress | WidgetProgress = view, barrier: threading.Barrier = barrier
        ) -> None:
            barrier.wait()
            for _ in range(50):
                view.update(finished, force=True)
            view.close(finished, Outcome.DONE)

        threads = [threading.Thread(target=close) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    final = format_summary(finished, outcome=Outcome.DONE)
    assert out.getvalue().count(final) == 1
    assert capsys.readouterr().out.count(final) == 1
