"""What a run has heard so far, safe to add to from the loop thread and read from any.

The engine's updates arrive on the background loop thread; the analyst's thread
reads the counts (repr, widget) and takes the answers not yet in the frame to
write them. One lock keeps the two from seeing half an update.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from .._models import Status
from ..engine._engine import Update
from ..frame._rows import RowMap
from ..journal._journal import ProfileKey

__all__ = ["Tally"]


class Tally:
    """Rows per status, credits spent, answers reused, and answers not yet written."""

    def __init__(self, rows: RowMap) -> None:
        self.rows = rows
        self.lock = threading.RLock()
        self.credits = 0
        #: Rows answered from the journal (free, and left out of the rate).
        self.reused_rows = 0
        # Each profile's newest update not yet in the frame.
        self._unwritten: dict[ProfileKey, Update] = {}

    def add(self, updates: Iterable[Update]) -> None:
        """Count a batch of updates and keep each profile's newest for the frame."""
        with self.lock:
            rows = self.rows
            for update in updates:
                if (
                    update.status is Status.COMPLETED
                    and not update.cached
                    and rows.status_of.get(update.key) is not Status.COMPLETED
                ):
                    self.credits += 1
                if update.cached:
                    self.reused_rows += len(rows.rows[update.key])
                rows.apply((update,))
                self._unwritten[update.key] = update

    def take_unwritten(self) -> list[Update]:
        """The answers not yet in the frame; they count as written from now on."""
        with self.lock:
            taken = list(self._unwritten.values())
            self._unwritten.clear()
            return taken

    def counts(self) -> dict[Status, int]:
        """Rows per status, without the empty ones."""
        with self.lock:
            return {status: n for status, n in self.rows.counts.items() if n}
