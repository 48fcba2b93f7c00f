"""What the analyst watches while a run goes on: one interface, three views.

The runner builds a :class:`ProgressSnapshot` (counts per status, credits, elapsed
time) and hands it to a :class:`ProgressView` made by :func:`make_progress`:

- ``"widget"``: one ipywidgets ``HTML`` widget (bar, counts, rate, ETA), redrawn at
  most every ``min_interval`` seconds, one comm message per redraw;
- ``"text"``: one terminal line, rewritten in place on a TTY, or a new line every
  few seconds when the output is a log or a pipe;
- ``None``: nothing at all;
- ``"auto"``: the widget inside a Jupyter kernel that can show it, text elsewhere;
  a widget that cannot be created or displayed falls back to text.

A view never raises into a run: a drawing error is logged at DEBUG and ignored.
:func:`format_summary` writes a snapshot as one short line; the text view, the
widget's plain-text form and the line printed at the end of a run all use it.
"""

from __future__ import annotations

import enum
import importlib.util
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, TextIO, TypeAlias, runtime_checkable

from .._models import STATUS_ORDER, Status

__all__ = [
    "BAR_STYLES",
    "SUMMARY_WIDTH",
    "NullProgress",
    "Outcome",
    "ProgressMode",
    "ProgressSnapshot",
    "ProgressView",
    "format_duration",
    "format_rate",
    "format_summary",
    "make_progress",
]

logger = logging.getLogger(__name__)

#: Longest line :func:`format_summary` returns (ipywidgets cuts plain text at 110).
SUMMARY_WIDTH = 109


ProgressMode: TypeAlias = Literal["auto", "widget", "text"]

_WIDGET_HINT = (
    "progress='widget' needs ipywidgets: pip install ipywidgets "
    "(or pass progress='text' for a one-line text display)"
)


@dataclass(frozen=True)
class ProgressSnapshot:
    """The state of one run at one moment, as the views draw it.

    ``counts`` holds rows per status and sums to ``total``. ``resumed`` is how many
    rows were already final when the run started (answers reused from the journal):
    they count as final but are left out of the rate, so a resumed run does not
    promise an ETA it cannot keep.
    """

    total: int
    counts: Mapping[Status, int]
    credits_used: int = 0
    elapsed: float = 0.0
    note: str = ""
    resumed: int = field(default=0, kw_only=True)

    def count(self, status: Status) -> int:
        """Rows currently in ``status`` (0 when absent)."""
        return int(self.counts.get(status, 0))

    @property
    def final(self) -> int:
        """Rows whose answer will not change during this run."""
        return sum(n for status, n in self.counts.items() if Status(status).is_final)

    @property
    def remaining(self) -> int:
        """Rows still waiting for an answer."""
        return max(self.total - self.final, 0)

    @property
    def problems(self) -> int:
        """Rows an analyst should look at (failed, timeout, error, invalid)."""
        return sum(n for status, n in self.counts.items() if Status(status).is_problem)

    @property
    def rate(self) -> float | None:
        """Rows made final per second by this run, or None before the first one."""
        done = self.final - self.resumed
        if done <= 0 or not self.elapsed > 0:
            return None
        return done / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds until every row is final at the current rate; None if unknown."""
        if self.remaining == 0:
            return 0.0
        rate = self.rate
        return None if rate is None else self.remaining / rate


class Outcome(str, enum.Enum):
    """How a run ended; it picks the final colour and word."""

    DONE = "done"
    PROBLEMS = "problems"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, snapshot: ProgressSnapshot, *, stopped: bool = False) -> Outcome:
        """The outcome a finished run's snapshot deserves.

        ``stopped`` wins; rows still running or any problem status make it
        ``problems``; otherwise ``done``.
        """
        if stopped:
            return cls.STOPPED
        if snapshot.remaining or snapshot.problems:
            return cls.PROBLEMS
        return cls.DONE


#: ipywidgets ``bar_style`` per state: running is ``None``.
BAR_STYLES: Mapping[Outcome | None, str] = {
    None: "info",
    Outcome.DONE: "success",
    Outcome.PROBLEMS: "warning",
    Outcome.STOPPED: "danger",
}


@runtime_checkable
class ProgressView(Protocol):
    """What the runner talks to; every method is called from the notebook's thread."""

    def update(self, snapshot: ProgressSnapshot, *, force: bool = False) -> None:
        """Show ``snapshot``; skipped when the last redraw is too recent, unless ``force``."""

    def close(self, snapshot: ProgressSnapshot, outcome: Outcome) -> None:
        """Draw the final state and leave a plain-text line with the final counts."""


class NullProgress:
    """The view for ``progress=None``: shows nothing, prints nothing."""

    def update(self, snapshot: ProgressSnapshot, *, force: bool = False) -> None:
        """Do nothing."""

    def close(self, snapshot: ProgressSnapshot, outcome: Outcome) -> None:
        """Do nothing."""

    def __repr__(self) -> str:
        return "NullProgress()"


def make_progress(
    mode: ProgressMode | None = "auto",
    *,
    description: str = "Salesfinity",
    file: TextIO | None = None,
    min_interval: float = 0.25,
    clock: Callable[[], float] = time.monotonic,
) -> ProgressView:
    """Build (and, for the widget, display) the progress view for one run.

    ``file`` is where the text view writes (standard error by default).
    ``min_interval`` is the shortest time between two redraws, so whatever the row
    count a run redraws at most ``1 / min_interval`` times a second. ``clock``
    measures that interval; tests pass a fake one.

    ``"auto"`` never fails because of the display: a widget that cannot be created
    or shown gives the text view. An explicit ``"widget"`` raises instead:
    :class:`ImportError` with an install hint when ipywidgets is missing. An unknown
    mode is a :class:`ValueError`.
    """
    if mode is None:
        return NullProgress()
    if mode not in ("auto", "widget", "text"):
        raise ValueError(f"progress must be 'auto', 'widget', 'text' or None, not {mode!r}")
    if mode == "widget":
        return _widget_view(description, min_interval, clock)
    if mode == "auto" and _in_widget_kernel():
        try:
            return _widget_view(description, min_interval, clock)
        except Exception:
            logger.debug("progress widget unavailable; using the text view", exc_info=True)
    from ._text import TextProgress

    return TextProgress(description=description, file=file, min_interval=min_interval, clock=clock)


def _widget_view(description: str, min_interval: float, clock: Callable[[], float]) -> ProgressView:
    try:
        import ipywidgets  # noqa: F401
    except ImportError as exc:
        raise ImportError(_WIDGET_HINT, name="ipywidgets") from exc
    from ._widget import WidgetProgress

    view = WidgetProgress(description=description, min_interval=min_interval, clock=clock)
    view.show()
    return view


def _in_widget_kernel() -> bool:
    """True inside a Jupyter kernel (not a terminal IPython) with ipywidgets installed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return False
    return importlib.util.find_spec("ipywidgets") is not None


# -- formatting ---------------------------------------------------------------------


def format_duration(seconds: float | None) -> str:
    """``45s``, ``3m05s``, ``2h07m``; ``?`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    whole = max(int(seconds), 0)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_rate(rate: float | None) -> str:
    """Rows a second (``31/s``, ``2.5/s``), or a minute below one a second (``42/min``)."""
    if rate is None or not math.isfinite(rate) or rate <= 0:
        return "?/s"
    if rate >= 9.95:
        return f"{rate:,.0f}/s"
    if rate >= 0.995:
        return f"{rate:.1f}/s"
    per_minute = rate * 60
    return f"{per_minute:.0f}/min" if per_minute >= 1 else "<1/min"


#: Ways of shortening the summary, applied one more at a time until the line fits.
_SHORTER = (
    "no-rows-word",
    "no-rate",
    "no-running",  # the running rows are implied by "final/total"
    "eta-only",  # while running, the ETA says more than the elapsed time
    "short-credits",
    "group-problems",  # failed + timeout + error + invalid -> problems
    "no-description",
    # Last: "[simulator]" is what tells a saved notebook its emails are fake.
    "no-note",
)


def format_summary(
    snapshot: ProgressSnapshot,
    *,
    description: str = "Salesfinity",
    outcome: Outcome | None = None,
    width: int = SUMMARY_WIDTH,
) -> str:
    """One line with the real numbers, at most ``width`` characters.

    For example ``Salesfinity: 500/1,000 rows | running 500, completed 420,
    not-found 80 | 420 credits | 50s, 10/s, ETA 50s``, with the outcome after the
    description once the run has ended. Statuses at zero are left out; ``running``
    is pending plus processing (the widget shows them apart).
    When the line is too long, detail goes first, one step at a time (see
    ``_SHORTER``: the rate, the running rows implied by ``final/total``, the
    elapsed time while an ETA is shown, ...); the line is cut only as a last resort.
    """
    counts = {status: snapshot.count(status) for status in STATUS_ORDER}
    final = sum(n for status, n in counts.items() if status.is_final)
    running = outcome is None and final < snapshot.total
    in_flight = counts[Status.PENDING] + counts[Status.PROCESSING]
    finals = [f"{status.value} {n:,}" for status, n in counts.items() if status.is_final and n]
    problems = sum(n for status, n in counts.items() if status.is_problem)
    grouped = [
        f"{status.value} {n:,}"
        for status, n in counts.items()
        if status.is_final and not status.is_problem and n
    ] + ([f"problems {problems:,}"] if problems else [])
    rate = snapshot.rate
    pieces = {
        "description": description[:30],
        "note": f"[{snapshot.note[:16]}]" if snapshot.note else "",
        "outcome": f"({Outcome(outcome).value})" if outcome is not None else "",
        "progress": f"{final:,}/{snapshot.total:,}",
        "running": f"running {in_flight:,}" if in_flight else "",
        "credits": f"{snapshot.credits_used:,}",
        "elapsed": format_duration(snapshot.elapsed),
        "rate": format_rate(rate) if rate is not None else "",
        "eta": f"ETA {format_duration(snapshot.eta)}" if running else "",
    }

    line = ""
    for steps in range(len(_SHORTER) + 1):
        compact = frozenset(_SHORTER[:steps])
        statuses = grouped if "group-problems" in compact else finals
        if "no-running" not in compact:
            statuses = [pieces["running"], *statuses]
        line = _summary_line(pieces, statuses, running=running, compact=compact)
        if len(line) <= width:
            return line
    return line[: max(width - 3, 0)] + "..."


def _summary_line(
    pieces: Mapping[str, str], statuses: list[str], *, running: bool, compact: frozenset[str]
) -> str:
    named = "no-description" not in compact
    words = [pieces["description"]] if named else []
    if "no-note" not in compact:
        words.append(pieces["note"])
    words.append(pieces["outcome"])
    head = " ".join(word for word in words if word)
    progress = pieces["progress"] + ("" if "no-rows-word" in compact else " rows")
    if head:
        progress = head + (": " if named else " ") + progress
    credits = pieces["credits"] + (" cr" if "short-credits" in compact else " credits")
    timing = (
        "" if running and "eta-only" in compact else pieces["elapsed"],
        "" if "no-rate" in compact else pieces["rate"],
        pieces["eta"],
    )
    parts = (
        progress,
        ", ".join(s for s in statuses if s),
        credits,
        ", ".join(t for t in timing if t),
    )
    return " | ".join(part for part in parts if part)
