"""The notebook progress view: one ipywidgets ``HTML`` widget.

Why a single ``HTML`` widget rather than a box of label, bar and stats: each widget
has its own comm, and ``hold_sync`` batches only one widget's traits, so a box of
three children costs three messages per redraw. Here a redraw sets one trait
(``value``) of one widget: exactly one comm message, drawn at most every
``min_interval`` seconds, however many rows the run has.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

import ipywidgets

from .._models import API_STATUSES, STATUS_ORDER
from ._state import BAR_STYLES, Outcome, ProgressSnapshot
from ._summary import (
    ESTIMATING,
    format_duration,
    format_end,
    format_eta,
    format_rate,
    format_summary,
)

__all__ = ["WidgetProgress"]

logger = logging.getLogger(__name__)

#: Bar colours per ``bar_style``: JupyterLab's theme variables (the ones ipywidgets'
#: own progress bars use), with a fallback for frontends that do not define them.
_COLOURS = {
    "info": "var(--jp-info-color1, #2196f3)",
    "success": "var(--jp-success-color1, #4caf50)",
    "warning": "var(--jp-warn-color1, #ff9800)",
    "danger": "var(--jp-error-color1, #f44336)",
}
_MUTED = "var(--jp-ui-font-color2, #757575)"
_TRACK = "var(--jp-layout-color3, #e0e0e0)"


class SummaryHTML(ipywidgets.HTML):  # type: ignore[misc]  # ipywidgets ships no types
    """An ``HTML`` widget whose plain-text form is the run's summary line.

    Frontends without the widget renderer (VS Code without it, nbconvert, PDF,
    a saved notebook reopened) show ``text/plain``: the numbers, not ``HTML(...)``.
    """

    def __init__(self, describe: Callable[[], str], **kwargs: Any) -> None:
        # Called only when a text form is asked for: formatting on every throttled
        # update would cost more than the redraws it saves.
        self.describe = describe
        super().__init__(**kwargs)

    def __repr__(self) -> str:
        return self.describe()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any] | None:
        bundle: dict[str, Any] | None = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = repr(self)
        return bundle


class WidgetProgress:
    """Bar of final rows, counts per status, credits, elapsed, rate and ETA.

    Blue while running; at the end green (done), orange (problems) or red (stopped).
    The last snapshot is always kept, so the text form is current even between
    redraws, and :meth:`close` draws it whatever the throttle says.

    :meth:`update` and :meth:`close` may be called from any thread: from the loop
    thread that runs the engine, a redraw is a comm message that reaches the
    frontend while no cell runs (the kernel's iopub socket is thread-safe).
    """

    def __init__(
        self,
        *,
        description: str = "Salesfinity",
        min_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description = description
        self.min_interval = min_interval
        self._clock = clock
        self._last_draw: float | None = None
        self._latest: ProgressSnapshot | None = None
        self._outcome: Outcome | None = None
        self._handle: Any = None  # IPython's DisplayHandle, once shown in a kernel
        # The engine's loop thread and the notebook's may both redraw.
        self._lock = threading.RLock()
        self.widget = SummaryHTML(describe=self._describe, value=self._starting_html())

    @property
    def bar_style(self) -> str:
        """``info`` while running, then ``success``, ``warning`` or ``danger``."""
        return BAR_STYLES[self._outcome]

    def show(self) -> None:
        """Display the widget in the current cell's output."""
        from IPython import display as ipython_display

        # IPython's display() has no annotations; give it a type rather than an ignore.
        display: Callable[..., Any] = ipython_display.display
        self._handle = display(self.widget, display_id=True)

    def update(self, snapshot: ProgressSnapshot, *, force: bool = False) -> None:
        """Redraw unless the last redraw is more recent than ``min_interval``."""
        with self._lock:
            if self._outcome is not None:  # closed: the final state stays on screen
                return
            self._latest = snapshot
            now = self._clock()
            recent = self._last_draw is not None and now - self._last_draw < self.min_interval
            if recent and not force:
                return
            self._last_draw = now
            self._draw(snapshot)

    def close(self, snapshot: ProgressSnapshot, outcome: Outcome) -> None:
        """Draw the final state in the outcome's colour and print the final counts once.

        The widget itself stays open: closing it would remove it from the output.
        """
        with self._lock:
            if self._outcome is not None:
                return
            self._outcome = Outcome(outcome)
            self._latest = snapshot
            self._draw(snapshot)
            self._refresh_plain_text()
            # A stream output survives where the widget does not (exports, reopened files).
            print(self._describe(), flush=True)

    def __repr__(self) -> str:
        return repr(self.widget)

    def _refresh_plain_text(self) -> None:
        # The output's text/plain was taken when the widget was displayed ("starting");
        # frontends without widgets and saved notebooks show it, so give it the final
        # numbers. One message, once.
        if self._handle is None:
            return
        try:
            self._handle.update(self.widget)
        except Exception:
            logger.debug("could not update the progress output's text", exc_info=True)

    def _describe(self) -> str:
        if self._latest is None:
            return f"{self.description}: starting"
        if self._outcome is None:
            return format_summary(self._latest, description=self.description)
        return format_end(self._latest, self._outcome, description=self.description)

    def _draw(self, snapshot: ProgressSnapshot) -> None:
        try:
            self.widget.value = self._html(snapshot)
        except Exception:  # a display problem must never stop the run
            logger.debug("could not redraw the progress widget", exc_info=True)

    def _starting_html(self) -> str:
        return self._frame(0.0, f"<span style='color:{_MUTED}'>starting&hellip;</span>", "", "")

    def _html(self, snapshot: ProgressSnapshot) -> str:
        total = snapshot.total
        fraction = snapshot.final / total if total else 1.0
        # Floor, so 99.97% never reads as 100% while a row is still running.
        percent = math.floor(min(max(fraction, 0.0), 1.0) * 100)
        counter = f"{snapshot.final:,} / {total:,} ({percent}%)"
        return self._frame(fraction, counter, _counts_html(snapshot), self._stats_html(snapshot))

    def _frame(self, fraction: float, counter: str, counts: str, stats: str) -> str:
        colour = _COLOURS[self.bar_style]
        state = "running" if self._outcome is None else self._outcome.value
        width = f"{min(max(fraction, 0.0), 1.0) * 100:.2f}%"
        note = ""
        if self._latest is not None and self._latest.note:
            note = (
                f"<span style='border:1px solid {_MUTED};border-radius:3px;padding:0 4px;"
                f"color:{_MUTED}'>{escape(self._latest.note)}</span>"
            )
        return (
            "<div style='line-height:1.6'>"
            "<div style='display:flex;align-items:center;gap:8px;flex-wrap:wrap'>"
            f"<b>{escape(self.description)}</b>{note}"
            f"<div role='progressbar' aria-valuenow='{width[:-1]}' aria-valuemin='0'"
            f" aria-valuemax='100' style='flex:0 0 240px;height:12px;background:{_TRACK};"
            "border-radius:3px;overflow:hidden'>"
            f"<div style='width:{width};height:100%;background:{colour}'></div></div>"
            f"<span>{counter}</span>"
            f"<span style='color:{colour};font-weight:bold'>{state}</span></div>"
            f"{counts}{stats}</div>"
        )

    def _stats_html(self, snapshot: ProgressSnapshot) -> str:
        stats = [
            ("credits", f"{snapshot.credits_used:,}"),
            ("elapsed", format_duration(snapshot.elapsed)),
            ("rate", format_rate(snapshot.rate) if snapshot.rate is not None else "&ndash;"),
        ]
        if self._outcome is None:
            eta = snapshot.eta
            # "ETA: estimating" until the run can tell: never a made-up 0s.
            text = format_eta(eta)
            value = "estimating" if text == ESTIMATING else text.removeprefix("ETA ")
            stats.append(("ETA", escape(value)))
        return _line(f"{_label(name)} <b>{value}</b>" for name, value in stats)


def _counts_html(snapshot: ProgressSnapshot) -> str:
    parts = []
    for status in STATUS_ORDER:
        n = snapshot.count(status)
        if status not in API_STATUSES and not n:
            continue
        style = f" style='color:{_COLOURS['warning']}'" if status.is_problem and n else ""
        parts.append(f"{_label(status.value)} <b{style}>{n:,}</b>")
    return _line(parts)


def _label(text: str) -> str:
    return f"<span style='color:{_MUTED}'>{text}</span>"


def _line(parts: Iterable[str]) -> str:
    return "<div>" + " &middot; ".join(parts) + "</div>"
