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

import importlib.util
import logging
import time
from collections.abc import Callable
from typing import Literal, Protocol, TextIO, TypeAlias, runtime_checkable

from ._state import BAR_STYLES, ETA_FROM_RATE, Outcome, ProgressSnapshot, next_step
from ._summary import (
    ESTIMATING,
    SUMMARY_WIDTH,
    format_duration,
    format_end,
    format_eta,
    format_rate,
    format_summary,
)

__all__ = [
    "BAR_STYLES",
    "ESTIMATING",
    "ETA_FROM_RATE",
    "SUMMARY_WIDTH",
    "NullProgress",
    "Outcome",
    "ProgressMode",
    "ProgressSnapshot",
    "ProgressView",
    "format_duration",
    "format_end",
    "format_eta",
    "format_rate",
    "format_summary",
    "make_progress",
    "next_step",
]

logger = logging.getLogger(__name__)

ProgressMode: TypeAlias = Literal["auto", "widget", "text"]

_WIDGET_HINT = (
    "progress='widget' needs ipywidgets: pip install ipywidgets "
    "(or pass progress='text' for a one-line text display)"
)


@runtime_checkable
class ProgressView(Protocol):
    """What the runner talks to.

    Either method may be called from any thread (the notebook's, or the loop
    thread that runs the engine while no cell runs); a view serialises its own
    redraws.
    """

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
