"""Progress views: what the analyst sees while a run goes on, and what stays after."""

from __future__ import annotations

import inspect
import io
import logging
import sys
from collections.abc import Iterator
from typing import Any

import comm
import IPython
import ipywidgets
import pytest
from comm import DummyComm

from sfy_pandas._models import Status
from sfy_pandas.progress._snapshot import (
    SUMMARY_WIDTH,
    NullProgress,
    Outcome,
    ProgressSnapshot,
    ProgressView,
    format_duration,
    format_rate,
    format_summary,
    make_progress,
)
from sfy_pandas.progress._text import TextProgress
from sfy_pandas.progress._widget import WidgetProgress

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# -- helpers ---------------------------------------------------------------------------


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Frontend:
    """Everything the kernel side would send to a notebook, recorded per comm."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str, dict[str, Any]]] = []
        self.fail_sends = False
        self.fail_opens = False

    def create_comm(self, *args: Any, **kwargs: Any) -> DummyComm:
        if self.fail_opens:
            raise RuntimeError("Comms cannot be opened without a comm_manager.")
        return RecordingComm(self, *args, **kwargs)

    def updates(self, widget: ipywidgets.Widget) -> list[dict[str, Any]]:
        """The state updates sent to one widget's model."""
        return [
            data["state"]
            for comm_id, msg_type, data in self.messages
            if comm_id == widget.model_id and msg_type == "comm_msg" and data["method"] == "update"
        ]


class RecordingComm(DummyComm):
    def __init__(self, frontend: Frontend, *args: Any, **kwargs: Any) -> None:
        self.frontend = frontend
        super().__init__(*args, **kwargs)

    def publish_msg(self, msg_type: str, data: Any = None, *args: Any, **kwargs: Any) -> None:
        if self.frontend.fail_sends and msg_type == "comm_msg":
            raise OSError("the kernel's iopub socket is closed")
        self.frontend.messages.append((self.comm_id, msg_type, data or {}))


@pytest.fixture
def frontend(monkeypatch: pytest.MonkeyPatch) -> Iterator[Frontend]:
    """Route every widget's comm to a recorder (``comm.create_comm`` is the hook
    the comm package provides for kernels to install their own comm class)."""
    recorder = Frontend()
    monkeypatch.setattr(comm, "create_comm", recorder.create_comm)
    yield recorder
    recorder.fail_sends = False
    ipywidgets.Widget.close_all()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


class FakeShell:
    """Enough of an IPython kernel shell for the "am I in a kernel" check."""

    kernel = object()


@pytest.fixture
def in_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(IPython, "get_ipython", FakeShell)


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def snapshot(
    total: int = 1000,
    *,
    credits: int | None = None,
    elapsed: float = 60.0,
    note: str = "",
    resumed: int = 0,
    **counts: int,
) -> ProgressSnapshot:
    """A snapshot from counts named like statuses (``not_found=3``); the rest pending."""
    by_status = {Status(name.replace("_", "-")): n for name, n in counts.items()}
    by_status[Status.PENDING] = by_status.get(Status.PENDING, 0) + total - sum(by_status.values())
    completed = by_status.get(Status.COMPLETED, 0)
    return ProgressSnapshot(
        total=total,
        counts=by_status,
        credits_used=completed if credits is None else credits,
        elapsed=elapsed,
        note=note,
        resumed=resumed,
    )


HALF_WAY = snapshot(1000, processing=100, completed=420, not_found=75, failed=5, elapsed=50.0)
FINISHED = snapshot(1000, completed=900, not_found=95, failed=3, timeout=2, elapsed=100.0)


# -- the summary line ------------------------------------------------------------------


def test_summary_names_every_status_present_with_its_count() -> None:
    line = format_summary(snapshot(60, pending=5, processing=5, completed=42, timeout=8))

    assert line == (
        "Salesfinity: 50/60 rows | running 10, completed 42, timeout 8"
        " | 42 credits | 1m00s, 50/min, ETA 12s"
    )


def test_summary_leaves_out_statuses_at_zero() -> None:
    line = format_summary(snapshot(10, completed=10))

    assert "completed 10" in line
    assert "running" not in line
    assert "timeout" not in line


def test_a_longer_summary_drops_the_rate_and_the_implied_running_count_first() -> None:
    line = format_summary(
        snapshot(
            1000, processing=100, completed=420, not_found=75, failed=5, timeout=1, elapsed=50.0
        )
    )

    assert line == (
        "Salesfinity: 501/1,000 | completed 420, not-found 75, failed 5, timeout 1"
        " | 420 credits | 50s, ETA 49s"
    )


def test_summary_of_an_ended_run_names_what_went_wrong_and_shows_no_eta() -> None:
    line = format_summary(FINISHED, outcome=Outcome.PROBLEMS)

    assert line == (
        "Salesfinity (3 failed, 2 timed out): 1,000/1,000 | completed 900, not-found 95"
        " | 900 credits | 1m40s, 10/s"
    )


def test_summary_says_when_it_runs_against_the_simulator() -> None:
    assert format_summary(snapshot(10, note="simulator")).startswith("Salesfinity [simulator]: ")


@pytest.mark.parametrize("outcome", [None, *Outcome])
def test_summary_of_a_large_run_with_every_status_stays_under_110_characters(
    outcome: Outcome | None,
) -> None:
    big = snapshot(
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

    line = format_summary(big, outcome=outcome)

    assert len(line) <= SUMMARY_WIDTH < 110
    assert "42,200/100,000" in line
    assert "completed 39,000" in line
    assert "not-found 2,900" in line


def test_summary_fits_a_narrow_terminal_by_dropping_detail_before_cutting() -> None:
    line = format_summary(HALF_WAY, width=80)

    assert len(line) <= 80
    assert "completed 420" in line
    assert "ETA 50s" in line
    assert not line.endswith("...")


def test_summary_is_cut_in_the_middle_keeping_the_time_when_nothing_else_helps() -> None:
    line = format_summary(FINISHED, width=24)

    assert len(line) == 24
    assert line.endswith("... | 1m40s")


# -- rate, ETA, durations --------------------------------------------------------------


def test_rate_is_final_rows_per_second() -> None:
    assert HALF_WAY.rate == pytest.approx(10.0)


def test_rate_leaves_out_rows_resumed_from_the_journal() -> None:
    resumed = snapshot(1000, completed=600, elapsed=10.0, resumed=500)

    assert resumed.rate == pytest.approx(10.0)
    assert resumed.eta == pytest.approx(40.0)


def test_rate_and_eta_are_unknown_before_the_first_answer() -> None:
    starting = snapshot(1000, elapsed=3.0)

    assert starting.rate is None
    assert starting.eta is None
    assert format_summary(starting).endswith("3s, ETA: estimating")


def test_eta_is_zero_once_every_row_is_final() -> None:
    assert FINISHED.eta == 0.0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (59.9, "59s"), (60, "1m00s"), (185, "3m05s"), (7620, "2h07m"), (None, "?")],
)
def test_durations_read_like_a_clock(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("rate", "text"),
    [(1234.5, "1,234/s"), (31.2, "31/s"), (2.54, "2.5/s"), (0.7, "42/min"), (0.001, "<1/min")],
)
def test_rates_read_per_second_or_per_minute(rate: float, text: str) -> None:
    assert format_rate(rate) == text


def test_outcome_of_a_clean_run_is_done() -> None:
    assert Outcome.of(snapshot(10, completed=8, not_found=2)) is Outcome.DONE


def test_outcome_of_a_run_with_failures_or_unfinished_rows_is_problems() -> None:
    assert Outcome.of(snapshot(10, completed=9, failed=1)) is Outcome.PROBLEMS
    assert Outcome.of(snapshot(10, completed=9)) is Outcome.PROBLEMS


def test_outcome_of_an_interrupted_run_is_stopped() -> None:
    assert Outcome.of(FINISHED, stopped=True) is Outcome.STOPPED


# -- the widget ------------------------------------------------------------------------


def test_ten_thousand_rapid_updates_send_at_most_four_messages_a_second(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)
    rows = 10_000
    per_second: dict[int, int] = {}

    for done in range(1, rows + 1):  # one update a millisecond: 10 seconds of run
        clock.advance(0.001)
        before = len(frontend.updates(view.widget))
        view.update(snapshot(rows, completed=done, elapsed=done / 1000))
        second = int(done / 1000)
        per_second[second] = per_second.get(second, 0) + len(frontend.updates(view.widget)) - before
    view.close(snapshot(rows, completed=rows, elapsed=10.0), Outcome.DONE)

    updates = frontend.updates(view.widget)
    assert len(updates) == 41  # 4 a second for 10 seconds, plus the final redraw
    assert max(per_second.values()) <= 4
    assert all(list(state) == ["value"] for state in updates)


def test_each_redraw_is_one_message_on_one_comm(frontend: Frontend, clock: FakeClock) -> None:
    view = WidgetProgress(clock=clock)
    opened = len(frontend.messages)

    for done in range(5):
        view.update(snapshot(100, completed=done), force=True)

    assert len(frontend.messages) - opened == 5
    assert len(frontend.updates(view.widget)) == 5


def test_the_final_state_is_drawn_even_inside_the_throttle_window(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)
    view.update(HALF_WAY)

    view.close(FINISHED, Outcome.PROBLEMS)

    final_html = frontend.updates(view.widget)[-1]["value"]
    assert "1,000 / 1,000 (100%)" in final_html
    assert "problems" in final_html


def test_the_widget_shows_every_api_status_and_client_statuses_only_when_present(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)

    view.update(HALF_WAY)
    without = view.widget.value
    view.update(snapshot(1000, completed=10, invalid=3), force=True)
    with_invalid = view.widget.value

    for status in ("pending", "processing", "completed", "not-found", "failed", "timeout"):
        assert status in without
    assert "invalid" not in without
    assert "invalid" in with_invalid
    assert "not-sent" not in with_invalid


def test_the_widget_shows_credits_elapsed_rate_and_eta(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)

    view.update(HALF_WAY)

    html = view.widget.value
    for text in ("500 / 1,000 (50%)", "<b>420</b>", "50s", "10/s", "ETA"):
        assert text in html


@pytest.mark.parametrize(
    ("outcome", "bar_style", "css"),
    [
        (None, "info", "--jp-info-color1"),
        (Outcome.DONE, "success", "--jp-success-color1"),
        (Outcome.PROBLEMS, "warning", "--jp-warn-color1"),
        (Outcome.STOPPED, "danger", "--jp-error-color1"),
    ],
)
def test_the_bar_colour_says_running_done_problems_or_stopped(
    frontend: Frontend, clock: FakeClock, outcome: Outcome | None, bar_style: str, css: str
) -> None:
    view = WidgetProgress(clock=clock)

    if outcome is None:
        view.update(HALF_WAY)
    else:
        view.close(FINISHED, outcome)

    assert view.bar_style == bar_style
    assert (
        f"width:{'50.00' if outcome is None else '100.00'}%;height:100%;background:var({css}"
        in (view.widget.value)
    )


def test_the_widget_text_form_is_the_summary_with_the_real_numbers(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)
    view.update(HALF_WAY)
    clock.advance(0.01)
    view.update(FINISHED)  # throttled: not drawn, but the text form is current

    text = repr(view.widget)

    assert len(text) < 110
    assert text == format_summary(FINISHED)
    assert "completed 900" in text


def test_the_widget_mimebundle_carries_the_widget_and_the_summary(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)
    view.update(HALF_WAY)

    bundle = view.widget._repr_mimebundle_()

    assert bundle is not None
    assert bundle[WIDGET_MIME]["model_id"] == view.widget.model_id
    assert bundle["text/plain"] == format_summary(HALF_WAY)


def test_closing_the_widget_prints_the_final_counts_once(
    frontend: Frontend, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    view = WidgetProgress(clock=clock)

    view.close(FINISHED, Outcome.PROBLEMS)
    view.close(FINISHED, Outcome.PROBLEMS)

    assert capsys.readouterr().out == format_summary(FINISHED, outcome=Outcome.PROBLEMS) + "\n"


def test_updates_after_close_do_not_change_the_final_drawing(
    frontend: Frontend, clock: FakeClock
) -> None:
    view = WidgetProgress(clock=clock)
    view.close(FINISHED, Outcome.DONE)
    sent = len(frontend.updates(view.widget))

    clock.advance(10)
    view.update(HALF_WAY, force=True)

    assert len(frontend.updates(view.widget)) == sent


def test_a_comm_failure_during_a_redraw_is_logged_not_raised(
    frontend: Frontend, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    view = WidgetProgress(clock=clock)
    frontend.fail_sends = True

    with caplog.at_level(logging.DEBUG, logger="sfy_pandas"):
        view.update(HALF_WAY)
        view.close(FINISHED, Outcome.DONE)

    assert [r.levelno for r in caplog.records] == [logging.DEBUG, logging.DEBUG]
    assert "could not redraw" in caplog.records[0].getMessage()


# -- choosing a view -------------------------------------------------------------------


def test_auto_outside_a_kernel_gives_the_text_view() -> None:
    assert isinstance(make_progress("auto", file=io.StringIO()), TextProgress)


def test_auto_in_a_kernel_gives_a_displayed_widget(
    frontend: Frontend, in_kernel: None, capsys: pytest.CaptureFixture[str]
) -> None:
    view = make_progress("auto")

    assert isinstance(view, WidgetProgress)
    # Outside a real shell IPython's display() prints the plain-text form.
    assert capsys.readouterr().out == "Salesfinity: starting\n"


def test_auto_falls_back_to_text_when_the_widget_cannot_be_created(
    frontend: Frontend, in_kernel: None
) -> None:
    frontend.fail_opens = True
    out = io.StringIO()

    view = make_progress("auto", file=out)
    view.close(FINISHED, Outcome.DONE)

    assert isinstance(view, TextProgress)
    assert out.getvalue() == format_summary(FINISHED, outcome=Outcome.DONE) + "\n"


def test_widget_mode_without_ipywidgets_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)

    with pytest.raises(ImportError, match="pip install ipywidgets"):
        make_progress("widget")


def test_none_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    view = make_progress(None)

    view.update(HALF_WAY, force=True)
    view.close(FINISHED, Outcome.PROBLEMS)

    assert isinstance(view, NullProgress)
    assert capsys.readouterr() == ("", "")


def test_an_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'auto', 'widget', 'text' or None"):
        make_progress("bar")  # type: ignore[arg-type]


def test_every_view_is_a_progress_view(frontend: Frontend) -> None:
    # isinstance() against a runtime Protocol only checks that the names exist;
    # the signatures are what a run relies on, so compare them, then use them.
    wanted = {name: inspect.signature(getattr(ProgressView, name)) for name in ("update", "close")}
    for view in (NullProgress(), TextProgress(file=io.StringIO()), WidgetProgress()):
        for name, signature in wanted.items():
            got = inspect.signature(getattr(type(view), name))
            assert list(got.parameters) == list(signature.parameters), (view, name)
        view.update(HALF_WAY, force=True)
        view.close(FINISHED, Outcome.DONE)


# -- the text view ---------------------------------------------------------------------


def test_text_in_a_log_writes_a_new_line_every_few_seconds_and_the_final_counts(
    clock: FakeClock,
) -> None:
    out = io.StringIO()
    view = make_progress("text", file=out, clock=clock)

    for done in range(1, 1001):  # a minute of updates, sixteen a second
        clock.advance(0.06)
        view.update(snapshot(1000, completed=done, elapsed=done * 0.06))
    view.close(snapshot(1000, completed=1000, elapsed=60.0), Outcome.DONE)

    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 10 <= len(lines) <= 14  # every 5 seconds, plus the final line
    assert (
        lines[-1]
        == "Salesfinity (done): 1,000/1,000 rows | completed 1,000 | 1,000 credits | 1m00s, 17/s"
    )


def test_text_on_a_terminal_rewrites_one_line_in_place(clock: FakeClock) -> None:
    out = TTY()
    view = make_progress("text", file=out, clock=clock)

    view.update(snapshot(1000, completed=100, processing=900))
    clock.advance(0.3)
    view.update(snapshot(1000, completed=200))
    view.close(snapshot(1000, completed=1000), Outcome.DONE)

    frames = out.getvalue().split("\r")[1:]
    assert len(frames) == 3
    assert frames[0].startswith("Salesfinity: 100/1,000 rows")
    assert out.getvalue().count("\n") == 1
    assert frames[-1].rstrip().endswith("1m00s, 17/s")
    # A shorter frame is padded so nothing of the longer one before it shows.
    assert len(frames[1]) >= len(frames[0])


def test_text_on_a_terminal_redraws_at_most_four_times_a_second(clock: FakeClock) -> None:
    out = TTY()
    view = make_progress("text", file=out, clock=clock)

    for done in range(1000):  # one second of updates
        clock.advance(0.001)
        view.update(snapshot(1000, completed=done))

    assert out.getvalue().count("\r") == 4


def test_text_prints_the_final_line_once(clock: FakeClock) -> None:
    out = io.StringIO()
    view = make_progress("text", file=out, clock=clock)

    view.close(FINISHED, Outcome.PROBLEMS)
    view.close(FINISHED, Outcome.PROBLEMS)

    assert out.getvalue() == format_summary(FINISHED, outcome=Outcome.PROBLEMS) + "\n"


def test_text_writes_to_stderr_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    make_progress("text").close(FINISHED, Outcome.DONE)

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "completed 900" in captured.err


def test_text_to_a_closed_stream_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    out = io.StringIO()
    view = make_progress("text", file=out)
    out.close()

    with caplog.at_level(logging.DEBUG, logger="sfy_pandas"):
        view.update(HALF_WAY, force=True)
        view.close(FINISHED, Outcome.DONE)

    assert len(caplog.records) == 2


# -- in a real kernel ------------------------------------------------------------------

KERNEL_CELL = """
import time
from sfy_pandas._models import Status
from sfy_pandas.progress._snapshot import Outcome, ProgressSnapshot, make_progress

rows, start = 10_000, time.monotonic()
view = make_progress("auto")
for done in range(1, rows + 1):
    time.sleep(0.0002)
    counts = {Status.COMPLETED: done, Status.PENDING: rows - done}
    view.update(ProgressSnapshot(rows, counts, done, time.monotonic() - start))
view.close(ProgressSnapshot(rows, {Status.COMPLETED: rows}, rows, 2.0), Outcome.DONE)
print(type(view).__name__, time.monotonic() - start)
"""


def test_in_a_real_kernel_a_run_redraws_four_times_a_second_and_leaves_its_numbers() -> None:
    manager = pytest.importorskip("jupyter_client.manager")
    kernel, client = manager.start_new_kernel(kernel_name="python3")
    try:
        cell = client.execute(KERNEL_CELL)
        outputs: list[dict[str, Any]] = []
        while True:
            msg = client.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != cell:
                continue
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
            outputs.append(msg)
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)

    def of_type(msg_type: str) -> list[dict[str, Any]]:
        return [msg["content"] for msg in outputs if msg["msg_type"] == msg_type]

    stream = "".join(content["text"] for content in of_type("stream"))
    final_line = format_summary(
        snapshot(10_000, completed=10_000, credits=10_000, elapsed=2.0), outcome=Outcome.DONE
    )
    kind, seconds = stream.splitlines()[-1].split()
    redraws = [c for c in of_type("comm_msg") if c["data"]["method"] == "update"]

    assert kind == "WidgetProgress"
    # One message per redraw, at most one per 0.25 s, plus the final one.
    assert 2 <= len(redraws) <= float(seconds) / 0.25 + 2
    assert all(list(c["data"]["state"]) == ["value"] for c in redraws)
    assert stream.count(final_line) == 1
    [shown] = of_type("display_data")
    assert WIDGET_MIME in shown["data"]
    [refreshed] = of_type("update_display_data")
    assert refreshed["data"]["text/plain"] == final_line
