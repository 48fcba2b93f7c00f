"""The text progress view: one line in a terminal, a few lines in a log."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from ._state import Outcome, ProgressSnapshot, next_step
from ._summary import SUMMARY_WIDTH, format_summary

__all__ = ["TextProgress"]

logger = logging.getLogger(__name__)

#: Narrowest line worth drawing, whatever the terminal claims.
_MIN_WIDTH = 40


class TextProgress:
    """One summary line, rewritten in place with ``\\r`` when ``file`` is a TTY.

    When it is not (a CI log, a pipe, a notebook's stderr), rewriting would leave
    every frame in the output, so a new line is written only when the figures
    changed (the counts or the credits, not just the clock), at most every
    ``line_interval`` seconds. Either way :meth:`close` ends with one line holding
    the final counts, and a line saying how to finish rows still running.
    Safe to call from any thread.
    """

    def __init__(
        self,
        *,
        description: str = "Salesfinity",
        file: TextIO | None = None,
        min_interval: float = 0.25,
        line_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description = description
        self.file = sys.stderr if file is None else file
        self.is_tty = _isatty(self.file)
        self.interval = min_interval if self.is_tty else max(min_interval, line_interval)
        self.width = _line_width(self.file) if self.is_tty else SUMMARY_WIDTH
        self._clock = clock
        self._last_draw: float | None = None
        self._drawn_len = 0
        self._latest: ProgressSnapshot | None = None
        self._drawn_figures: tuple[object, ...] | None = None
        self._closed = False
        # The engine's loop thread and the notebook's may both redraw.
        self._lock = threading.Lock()

    def update(self, snapshot: ProgressSnapshot, *, force: bool = False) -> None:
        """Draw ``snapshot`` unless the last line is more recent than the interval.

        In a log or a pipe, a snapshot whose figures equal the last line's is not
        written at all: a line that only says more time went by is noise.
        """
        with self._lock:
            if self._closed:
                return
            self._latest = snapshot
            now = self._clock()
            if not force:
                if self._last_draw is not None and now - self._last_draw < self.interval:
                    return
                if not self.is_tty and snapshot.figures == self._drawn_figures:
                    return
            self._last_draw = now
            self._drawn_figures = snapshot.figures
            line = format_summary(snapshot, description=self.description, width=self.width)
            self._write(self._frame(line, final=False))

    def close(self, snapshot: ProgressSnapshot, outcome: Outcome) -> None:
        """Write the final line once; later calls do nothing."""
        with self._lock:
            if self._closed:
                return
            self._latest = snapshot
            self._closed = True
            line = format_summary(
                snapshot, description=self.description, outcome=outcome, width=self.width
            )
            hint = next_step(snapshot)
            self._write(self._frame(line, final=True) + (hint + "\n" if hint else ""))

    def __repr__(self) -> str:
        if self._latest is None:
            return f"TextProgress({self.description!r})"
        return format_summary(self._latest, description=self.description)

    def _frame(self, line: str, *, final: bool) -> str:
        if not self.is_tty:
            return line + "\n"
        # Pad over the previous frame: a shorter line would leave its tail visible.
        padded = line.ljust(self._drawn_len)
        self._drawn_len = 0 if final else len(line)
        return "\r" + padded + ("\n" if final else "")

    def _write(self, text: str) -> None:
        try:
            self.file.write(text)
            self.file.flush()
        except Exception:  # a closed or broken stream must not stop the run
            logger.debug("could not write progress to %r", self.file, exc_info=True)


def _isatty(file: TextIO) -> bool:
    try:
        return bool(file.isatty())
    except Exception:  # e.g. a closed file or a stream without isatty
        return False


def _line_width(file: TextIO) -> int:
    """One less than the terminal's width (a full line would wrap), capped to a summary."""
    try:
        columns = os.get_terminal_size(file.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return SUMMARY_WIDTH
    return max(min(columns - 1, SUMMARY_WIDTH), _MIN_WIDTH)
