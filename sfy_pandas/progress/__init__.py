"""What the analyst watches while a run goes on: one interface, three views."""

from ._snapshot import Outcome, ProgressSnapshot, ProgressView, format_summary, make_progress

__all__ = ["Outcome", "ProgressSnapshot", "ProgressView", "format_summary", "make_progress"]
