"""Enrich a lead file chunk by chunk, or refresh its running rows, and add up the results.

Every chunk is one batch of ONE :class:`~sfy_pandas.run.Enrichment`: one HTTP
pool, one pace learned from 429s, one journal, one balance read and one
``max_credits`` budget for the whole file. A profile answered in the first
chunk is reused in the fifth without a new create, and a run stopped half-way
resumes where it stopped when started again. Memory is bounded by the chunk
size, whatever the file's size.

An interrupt (Ctrl-C) stops the chunk being enriched the way it stops a
notebook run (nothing more is created, rows not sent are marked
``not-sent``); that chunk is written, and no further chunk is read.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import pandas as pd

from .._models import Status
from ..frame import _checks, _status
from ..frame import _rows as _frame
from ..frame._files import ChunkWriter
from ..frame._layout import PLAIN
from ..run import Enrichment, EnrichmentRun, start
from ..run._options import ProgressMode

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_ROWS_LEFT",
    "DiscardingWriter",
    "Totals",
    "enrich_chunks",
    "refresh_chunks",
]

#: Exit codes of the file commands (documented in the README).
EXIT_OK = 0
EXIT_ROWS_LEFT = 1
EXIT_INTERRUPTED = 130

#: Statuses that leave a row without a final answer: still running, held back,
#: or refused by an error of the run. ``failed`` and ``timeout`` are the API's
#: final answers, like ``completed`` and ``not-found``; ``invalid`` is the input's.
_UNANSWERED = frozenset(
    {
        Status.PENDING.value,
        Status.PROCESSING.value,
        Status.ERROR.value,
        Status.NOT_SENT.value,
    }
)
#: The count key of rows without any status (a file edited by hand).
NO_STATUS = "(no status)"


@dataclass
class Totals:
    """What a file run did, added up over its chunks."""

    counts: Counter[str] = field(default_factory=Counter)
    rows: int = 0
    chunks: int = 0
    credits_used: int = 0
    created: int = 0
    reused: int = 0
    resumed: int = 0
    in_doubt: int = 0
    #: Dry run: the most the run could cost, summed per chunk (a profile seen in
    #: several chunks counts in each, so this is an upper bound).
    max_cost: int = 0
    dry_run: bool = False
    interrupted: bool = False
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0

    def add(self, frame: pd.DataFrame, run: EnrichmentRun | None) -> None:
        """Count one finished chunk: its rows by status, and its run's figures.

        A file holding several types counts each (row, type) once.
        """
        self.chunks += 1
        self.rows += len(frame)
        for layout in _status.frame_columns(frame).values():
            if layout.status not in frame.columns:
                continue
            statuses = frame[layout.status].astype(object).fillna(NO_STATUS)
            for status, n in statuses.value_counts().items():
                self.counts[str(status)] += int(n)
        if run is not None:
            self.credits_used += run.credits_used
            stats = run.stats
            if stats is not None:
                self.created += stats.created
                self.reused += stats.reused
                self.resumed += stats.resumed
                self.in_doubt += stats.in_doubt
                self.max_cost += stats.max_cost
        self.elapsed = time.monotonic() - self.started

    @property
    def unanswered(self) -> int:
        """Rows still running, refused by an error, or not sent (and rows without a status)."""
        return (
            sum(n for status, n in self.counts.items() if status in _UNANSWERED)
            + self.counts[NO_STATUS]
        )

    @property
    def running(self) -> int:
        """Rows whose lookup was still running when the run ended."""
        return self.counts[Status.PENDING.value] + self.counts[Status.PROCESSING.value]

    @property
    def exit_code(self) -> int:
        """130 interrupted; 1 some rows without a final answer; 0 otherwise.

        A final answer is ``completed``, ``not-found``, ``failed``, ``timeout``
        or ``invalid`` (a cell that is not a profile: no lookup could answer
        it). A dry run sends nothing on purpose and exits 0.
        """
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.dry_run:
            return EXIT_OK
        return EXIT_ROWS_LEFT if self.unanswered else EXIT_OK


class DiscardingWriter:
    """A writer that keeps nothing: a dry run without ``--out`` only prints its estimate."""

    rows = 0
    started = False

    def write(self, frame: pd.DataFrame) -> None:
        """Drop the chunk."""

    def commit(self) -> None:
        """Nothing to move into place."""

    def __enter__(self) -> DiscardingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def enrich_chunks(
    chunks: Iterable[pd.DataFrame],
    writer: ChunkWriter | DiscardingWriter,
    column: Hashable,
    enrichment: Enrichment,
    *,
    external_id: Hashable | None = None,
    progress: ProgressMode = "text",
    on_chunk: Callable[[int, int], None] | None = None,
) -> Totals:
    """Enrich every chunk as one batch of ``enrichment`` and write it; returns the totals.

    ``on_chunk(first_row, last_row)`` is called before each chunk is enriched
    (rows numbered from 1). An interrupt ends the run with
    ``Totals.interrupted`` set, after writing the chunk it stopped.
    """
    totals = Totals(dry_run=enrichment.options.dry_run)
    try:
        for chunk in chunks:
            if totals.chunks == 0:
                _check_column("column", chunk, column)
                if external_id is not None:
                    _check_column("external id", chunk, external_id)
            _checks.check_frame(chunk)
            if on_chunk is not None:
                on_chunk(totals.rows + 1, totals.rows + len(chunk))
            row_map = _frame.map_rows(chunk, column, enrichment.options.types, external_id)
            run = start(enrichment, chunk, row_map, progress=progress, wait=False)
            totals.interrupted = not _wait(run)
            totals.add(chunk, run)
            writer.write(chunk)
            if totals.interrupted:
                break
    except KeyboardInterrupt:  # between two chunks: what was written stays written
        totals.interrupted = True
    totals.elapsed = time.monotonic() - totals.started
    return totals


def refresh_chunks(
    chunks: Iterable[pd.DataFrame],
    writer: ChunkWriter,
    enrichment: Enrichment,
    *,
    progress: ProgressMode = "text",
    on_chunk: Callable[[int, int], None] | None = None,
) -> Totals:
    """Poll the running rows of every chunk (as ``status()`` does) and write every chunk.

    Chunks without running rows are copied as they are, with no request. After
    an interrupt the remaining chunks are copied unchanged, so the file is
    whole; ``Totals.interrupted`` says it happened.
    """
    totals = Totals()
    for chunk in chunks:
        if totals.chunks == 0:
            _check_enriched(chunk)
        run = None
        if not totals.interrupted and _status.running_lookups(chunk):
            if on_chunk is not None:
                on_chunk(totals.rows + 1, totals.rows + len(chunk))
            _checks.check_frame(chunk)
            row_map, resume = _status.status_rows(chunk)
            run = start(
                enrichment,
                chunk,
                row_map,
                progress=progress,
                wait=False,
                resume=resume,
                description="Salesfinity status",
            )
            totals.interrupted = not _wait(run)
        totals.add(chunk, run)
        writer.write(chunk)
    totals.elapsed = time.monotonic() - totals.started
    return totals


def _check_enriched(chunk: pd.DataFrame) -> None:
    """The file holds the status and id columns of at least one type."""
    layouts = list(_status.frame_columns(chunk).values()) or [PLAIN]
    for name in (layouts[0].status, layouts[0].id):
        if name not in chunk.columns:
            raise ValueError(
                f"no {name!r} column: the file was never enriched; "
                "run sfy-pandas enrich on it first"
            )


def _wait(run: EnrichmentRun) -> bool:
    """Wait for the run; False if it was interrupted (the frame then holds what it got)."""
    try:
        run.wait()
    except KeyboardInterrupt:
        return False
    return True


def _check_column(what: str, chunk: pd.DataFrame, column: Hashable) -> None:
    if column not in chunk.columns:
        shown = ", ".join(repr(c) for c in list(chunk.columns)[:20])
        raise KeyError(f"the {what} {column!r} is not in the file; its columns: {shown}")
