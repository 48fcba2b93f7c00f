"""The summary table a file command prints at the end: rows per status, then the figures."""

from __future__ import annotations

from .._models import STATUS_ORDER
from ..progress._snapshot import format_duration
from ._chunks import Totals

__all__ = ["summary_table"]


def summary_table(totals: Totals, *, requests: int | None = None) -> str:
    """Rows per status (in the lifecycle's order), credits, lookups and wall time.

    ``requests``: the HTTP requests the API received, when known (the simulator
    counts them; the real API does not say).
    """
    statuses = [status.value for status in STATUS_ORDER]
    rows = [(name, totals.counts[name]) for name in statuses if totals.counts[name]]
    rows += [(name, n) for name, n in sorted(totals.counts.items()) if name not in statuses and n]
    rows.append(("total", totals.rows))

    figures: list[tuple[str, str]] = []
    if totals.dry_run:
        figures.append(("credits at most", f"{totals.max_cost:,}"))
    else:
        figures.append(("credits used", f"{totals.credits_used:,}"))
    figures.append(("lookups created", f"{totals.created:,}"))
    if totals.reused:
        figures.append(("answers reused", f"{totals.reused:,} (from the journal, free)"))
    if totals.resumed:
        figures.append(("lookups resumed", f"{totals.resumed:,} (created by an earlier run)"))
    if totals.in_doubt:
        figures.append(("sent again", f"{totals.in_doubt:,} (in doubt after a crash)"))
    if requests is not None:
        figures.append(("requests sent", f"{requests:,}"))
    figures.append(("wall time", _wall_time(totals.elapsed)))

    width = max(len(name) for name, _ in [*rows, *figures])
    number = max(len(f"{n:,}") for _, n in rows)
    lines = [f"  {'status':<{width}}  {'rows':>{number}}"]
    lines += [f"  {name:<{width}}  {n:>{number},}" for name, n in rows]
    lines.append("")
    lines += [f"  {name:<{width}}  {value}" for name, value in figures]
    return "\n".join(lines)


def _wall_time(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else format_duration(seconds)
