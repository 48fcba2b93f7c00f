"""Enrich a lead file chunk by chunk, or refresh its running rows, and add up the results.

Each chunk is one ``df.salesfinity.enrich()`` (or ``status()``) call, all sharing
one journal: a profile answered in the first chunk is reused in the fifth
without a new create, and a run stopped half-way resumes where it stopped when
started again. Memory is bounded by the chunk size, whatever the file's size.

An interrupt (Ctrl-C) stops the chunk being enriched the way it stops a
notebook run (nothing more is created, rows not sent are marked
``not-sent``); that chunk is written, and no further chunk is read.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from .._models import Status
from ..frame import _rows as _frame
from ..frame._files import ChunkWriter
from ..run._handle import EnrichmentRun

__all__ = ["EXIT_INTERRUPTED", "EXIT_OK", "EXIT_ROWS_LEFT", "Api", "Totals", "enrich_chunks"]

#: Exit codes of the file commands (documented in the README).
EXIT_OK = 0
EXIT_ROWS_LEFT = 1
EXIT_INTERRUPTED = 130

#: Statuses that leave a row without a final answer worth having.
_UNANSWERED = frozenset(
    {
        Status.PENDING.value,
        Status.PROCESSING.value,
        Status.FAILED.value,
        Status.TIMEOUT.value,
        Status.ERROR.value,
        Status.NOT_SENT.value,
    }
)
#: The count key of rows without any status (a file edited by hand).
NO_STATUS = "(no status)"


@dataclass(frozen=True)
class Api:
    """Where the runs go and how they are paced. The key stays out of the repr."""

    base_url: str
    api_key: str = field(repr=False)
    journal: str | None = None
    poll_interval: float = 1.0
    max_wait: float | None = None
    progress: Literal["text"] | None = "text"


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
        """Count one finished chunk: its rows by status, and its run's figures."""
        self.chunks += 1
        self.rows += len(frame)
        if _frame.STATUS in frame.columns:
            statuses = frame[_frame.STATUS].astype(object).fillna(NO_STATUS)
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
        """Rows still running, failed, refused, or not sent (and rows without a status)."""
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

        ``invalid`` rows (cells that are not a profile) do not fail a run: the
        input holds them, and no lookup could answer them. A dry run sends
        nothing on purpose and exits 0.
        """
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.dry_run:
            return EXIT_OK
        return EXIT_ROWS_LEFT if self.unanswered else EXIT_OK


def enrich_chunks(
    chunks: Iterable[pd.DataFrame],
    writer: ChunkWriter,
    column: Hashable,
    api: Api,
    *,
    type: str = "work",
    external_id: Hashable | None = None,
    max_credits: int | None = None,
    dry_run: bool = False,
    on_chunk: Callable[[int, int], None] | None = None,
) -> Totals:
    """Enrich every chunk with one ``enrich()`` call each and write it; returns the totals.

    ``max_credits`` is a budget for the whole file: each chunk gets what the
    chunks before it left. ``on_chunk(first_row, last_row)`` is called before
    each chunk is enriched (rows numbered from 1). An interrupt ends the run
    with ``Totals.interrupted`` set, after writing the chunk it stopped.
    """
    totals = Totals(dry_run=dry_run)
    running_ids = 0  # lookups left running by earlier chunks: each may still be charged
    try:
        for chunk in chunks:
            if totals.chunks == 0:
                _check_column("column", chunk, column)
                if external_id is not None:
                    _check_column("external id", chunk, external_id)
            if on_chunk is not None:
                on_chunk(totals.rows + 1, totals.rows + len(chunk))
            budget = None
            if max_credits is not None:
                budget = max(max_credits - totals.credits_used - running_ids, 0)
            run = chunk.salesfinity.enrich(
                column,
                type=type,
                external_id=external_id,
                progress=api.progress,
                wait=False,
                max_credits=budget,
                dry_run=dry_run,
                api_key=api.api_key,
                base_url=api.base_url,
                journal=api.journal,
                poll_interval=api.poll_interval,
                max_wait=api.max_wait,
            )
            totals.interrupted = not _wait(run)
            totals.add(chunk, run)
            running_ids += _running_lookups(chunk)
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
    api: Api,
    *,
    on_chunk: Callable[[int, int], None] | None = None,
) -> Totals:
    """Poll the running rows of every chunk (``status()``) and write every chunk.

    Chunks without running rows are copied as they are, with no request. After
    an interrupt the remaining chunks are copied unchanged, so the file is
    whole; ``Totals.interrupted`` says it happened.
    """
    totals = Totals()
    for chunk in chunks:
        if totals.chunks == 0:
            for name in (_frame.STATUS, _frame.ID):
                if name not in chunk.columns:
                    raise ValueError(
                        f"no {name!r} column: the file was never enriched; "
                        "run sfy-pandas enrich on it first"
                    )
        run = None
        if not totals.interrupted and _running_lookups(chunk):
            if on_chunk is not None:
                on_chunk(totals.rows + 1, totals.rows + len(chunk))
            run = chunk.salesfinity.status(
                progress=api.progress,
                wait=False,
                api_key=api.api_key,
                base_url=api.base_url,
                poll_interval=api.poll_interval,
                max_wait=api.max_wait,
            )
            totals.interrupted = not _wait(run)
        totals.add(chunk, run)
        writer.write(chunk)
    totals.elapsed = time.monotonic() - totals.started
    return totals


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


def _running_lookups(chunk: pd.DataFrame) -> int:
    """Lookups in this chunk whose answer is not in yet (distinct ids)."""
    if _frame.STATUS not in chunk.columns or _frame.ID not in chunk.columns:
        return 0
    status = chunk[_frame.STATUS]
    running = status.isin([Status.PENDING.value, Status.PROCESSING.value]).fillna(False)
    return int(chunk.loc[running.to_numpy(dtype=bool), _frame.ID].dropna().nunique())
