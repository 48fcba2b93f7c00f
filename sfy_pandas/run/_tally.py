"""What a run has heard so far, safe to add to from the loop thread and read from any.

The engine's updates arrive on the background loop thread; the analyst's thread
reads the counts (repr, widget) and takes the answers not yet in the frame to
write them. One lock keeps the two from seeing half an update.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from .._models import Status
from ..engine._engine import Update
from ..frame._answers import Answers, Unwritten
from ..frame._rows import RowMap

__all__ = ["Tally"]


class Tally:
    """Rows per status, credits spent, answers reused, and answers not yet written."""

    def __init__(self, rows: RowMap) -> None:
        self.rows = rows
        self.lock = threading.RLock()
        self.credits = 0
        #: Rows answered from the journal (free, and left out of the rate).
        self.reused_rows = 0
        # The answers not yet in the frame, packed in arrays (a rerun hears a
        # million at once).
        self._unwritten = Unwritten()

    def add(self, updates: Sequence[Update]) -> None:
        """Count a batch of updates and keep them for the frame."""
        if not updates:
            return
        with self.lock:
            numbers, credits, reused = self.rows.apply(updates)
            self.credits += credits
            self.reused_rows += reused
            self._unwritten.add(numbers, updates)

    @property
    def unwritten(self) -> int:
        """How many answers are waiting for the frame."""
        return self._unwritten.count

    def take_unwritten(self) -> list[Answers]:
        """The answers not yet in the frame; they count as written from now on."""
        with self.lock:
            return self._unwritten.take()

    def counts(self) -> dict[Status, int]:
        """Rows per status, without the empty ones."""
        with self.lock:
            return {status: n for status, n in self.rows.counts.items() if n}
