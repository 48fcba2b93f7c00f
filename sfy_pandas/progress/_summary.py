"""A run's state as one short line: the text view, the widget's text form, the end line."""

from __future__ import annotations

import math
from collections.abc import Mapping

from .._models import STATUS_ORDER, Status
from ._state import NAMED_TROUBLE, Outcome, ProgressSnapshot, next_step

__all__ = [
    "ESTIMATING",
    "SUMMARY_WIDTH",
    "format_duration",
    "format_end",
    "format_eta",
    "format_rate",
    "format_summary",
]

#: Longest line :func:`format_summary` returns (ipywidgets cuts plain text at 110).
SUMMARY_WIDTH = 109

#: What the ETA reads while it cannot be estimated: never a made-up ``0s``.
ESTIMATING = "ETA: estimating"


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


def format_eta(seconds: float | None) -> str:
    """``ETA 50s``; ``ETA <1s`` for what is nearly done; ``ETA: estimating`` when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ESTIMATING
    if seconds < 1:
        return "ETA <1s"
    return f"ETA {format_duration(seconds)}"


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
#: The elapsed time is never among them: "how long has this taken" always shows.
_SHORTER = (
    "no-rows-word",
    "no-rate",
    "no-running",  # the running rows are implied by "final/total"
    "short-outcome",  # the counts beside it name the failed rows too
    "short-credits",
    "group-problems",  # failed + timeout + error + invalid + not-sent -> problems
    "no-description",
    # "[simulator]" is what tells a saved notebook its emails are fake.
    "no-note",
    "no-statuses",
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
    not-found 80 | 420 credits | 50s, 10/s, ETA 50s``. Once the run has ended the
    outcome follows the description, naming what went wrong, e.g. ``(1,545 still
    running; 3 failed)`` (see :func:`format_end`). Statuses at zero are left
    out; ``running`` is pending plus processing (the widget shows them apart).
    When the line is too long, detail goes first, one step at a time (see
    ``_SHORTER``); as a last resort the middle of the line is cut, never the time.
    """
    pieces = _pieces(snapshot, description, outcome)
    running = outcome is None and snapshot.final < snapshot.total
    line = ""
    for steps in range(len(_SHORTER) + 1):
        compact = frozenset(_SHORTER[:steps])
        line = _summary_line(pieces, running=running, compact=compact)
        if len(line) <= width:
            return line
    timing = " | " + _timing(pieces, compact=frozenset(_SHORTER))
    if len(timing) + 3 >= width:
        return line[: max(width - 3, 0)] + "..."
    head = _summary_line({**pieces, "elapsed": "", "eta": ""}, running=False, compact=compact)
    return head[: width - len(timing) - 3] + "..." + timing


def format_end(
    snapshot: ProgressSnapshot,
    outcome: Outcome,
    *,
    description: str = "Salesfinity",
    width: int = SUMMARY_WIDTH,
) -> str:
    """What a run leaves when it ends: its summary line, and when rows are still
    running a second line saying how many and that ``df.salesfinity.status()``
    finishes them."""
    line = format_summary(snapshot, description=description, outcome=outcome, width=width)
    hint = next_step(snapshot)
    return f"{line}\n{hint}" if hint else line


def _pieces(
    snapshot: ProgressSnapshot, description: str, outcome: Outcome | None
) -> dict[str, str | list[str]]:
    counts = {status: snapshot.count(status) for status in STATUS_ORDER}
    final = sum(n for status, n in counts.items() if status.is_final)
    running = outcome is None and final < snapshot.total
    in_flight = counts[Status.PENDING] + counts[Status.PROCESSING]
    grouped = {s for s in counts if s.is_problem or s is Status.NOT_SENT}
    problems = sum(n for status, n in counts.items() if status in grouped)
    rate = snapshot.rate
    return {
        "description": description[:30],
        "note": f"[{snapshot.note[:16]}]" if snapshot.note else "",
        "outcome": f"({Outcome(outcome).words(snapshot)})" if outcome is not None else "",
        "short-outcome": (
            f"({Outcome(outcome).words(snapshot, short=True)})" if outcome is not None else ""
        ),
        "progress": f"{final:,}/{snapshot.total:,}",
        "running": f"running {in_flight:,}" if in_flight else "",
        "finals": [f"{s.value} {n:,}" for s, n in counts.items() if s.is_final and n],
        # An end line that names its failed rows need not count them twice.
        "unnamed": [
            f"{s.value} {n:,}"
            for s, n in counts.items()
            if s.is_final and n and not (outcome is Outcome.PROBLEMS and s in NAMED_TROUBLE)
        ],
        "grouped": [
            f"{s.value} {n:,}" for s, n in counts.items() if s.is_final and s not in grouped and n
        ]
        + ([f"problems {problems:,}"] if problems else []),
        "credits": f"{snapshot.credits_used:,}",
        "elapsed": format_duration(snapshot.elapsed),
        "rate": format_rate(rate) if rate is not None else "",
        "eta": format_eta(snapshot.eta) if running else "",
    }


def _timing(pieces: Mapping[str, str | list[str]], *, compact: frozenset[str]) -> str:
    rate = "" if "no-rate" in compact else str(pieces["rate"])
    return ", ".join(t for t in (str(pieces["elapsed"]), rate, str(pieces["eta"])) if t)


def _summary_line(
    pieces: Mapping[str, str | list[str]], *, running: bool, compact: frozenset[str]
) -> str:
    named = "no-description" not in compact
    words = [str(pieces["description"])] if named else []
    if "no-note" not in compact:
        words.append(str(pieces["note"]))
    words.append(str(pieces["short-outcome" if "short-outcome" in compact else "outcome"]))
    head = " ".join(word for word in words if word)
    progress = str(pieces["progress"]) + ("" if "no-rows-word" in compact else " rows")
    if head:
        progress = head + (": " if named else " ") + progress
    statuses: list[str] = []
    if "no-statuses" not in compact:
        full_outcome = pieces["unnamed"] != pieces["finals"] and (
            "short-outcome" not in compact or pieces["outcome"] == pieces["short-outcome"]
        )
        # With the trouble named in the outcome, grouping it again would only repeat it.
        grouped = "group-problems" in compact
        kind = "unnamed" if full_outcome else ("grouped" if grouped else "finals")
        statuses = list(pieces[kind])
        if "no-running" not in compact:
            statuses.insert(0, str(pieces["running"]))
    credits = str(pieces["credits"]) + (" cr" if "short-credits" in compact else " credits")
    timing = _timing(pieces, compact=compact)
    parts = (progress, ", ".join(s for s in statuses if s), credits, timing)
    return " | ".join(part for part in parts if part)
