"""One Dask run: clean on the workers, distinct by shuffle, stream, then merge back.

Every step that touches the data is a Dask task with an explicit ``meta=``;
no task sends anything. The requests go out from this process only, through
one session (:mod:`sfy_pandas.partitioned._session`).
"""

# mypy: disable-error-code="no-untyped-call"
# (Dask ships no type hints for these calls.)

from __future__ import annotations

import os
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path

import dask.dataframe as dd
from dask.base import compute

from ..engine._engine import RunStats
from ..partitioned._cells import (
    EXTERNAL_ID,
    KEY,
    REASON,
    ROW,
    ROWS,
    canonical_cells,
    canonical_meta,
)
from ..partitioned._results import (
    RunFolder,
    join_back,
    joined_meta,
    read_results,
    results_meta,
)
from ..partitioned._session import SessionOptions, open_session
from ..partitioned._stream import Tally, stream_profiles
from ..progress._snapshot import make_progress

__all__ = ["DEFAULT_BATCH", "DaskRun", "run_enrichment"]

#: Distinct profiles per batch handed to the session: bounds the client's memory.
DEFAULT_BATCH = 20_000


@dataclass
class DaskRun:
    """What ``enrich_run()`` did: the new frame, and the figures to check it by."""

    frame: dd.DataFrame
    stats: RunStats
    folder: Path
    rows: int
    profiles: int
    invalid_rows: int

    def __repr__(self) -> str:
        s = self.stats
        figures = (
            f"{self.rows:,} rows, {self.profiles:,} profiles, {self.invalid_rows:,} invalid rows; "
            f"created {s.created:,}, reused {s.reused:,}, resumed {s.resumed:,}, "
            f"in doubt {s.in_doubt:,}, not sent {s.not_sent:,}, credits used {s.credits_used:,}"
        )
        if s.max_cost:
            figures += f", dry run: at most {s.max_cost:,} credits"
        return f"<DaskRun {figures}; answers in {str(self.folder)!r}>"


def run_enrichment(
    frame: dd.DataFrame,
    column: Hashable,
    options: SessionOptions,
    *,
    external_id: Hashable | None,
    progress: str | None,
    results: str | os.PathLike[str] | None,
    batch_size: int = DEFAULT_BATCH,
) -> DaskRun:
    """Enrich ``frame`` (arguments already checked) and return the joined frame."""
    keyed = frame.map_partitions(canonical_cells, column, external_id, meta=canonical_meta())
    with open_session(options) as session:
        folder = RunFolder.create(results, session.journal_path)
        rows, invalid = _write_profiles(keyed, folder, frame.npartitions)
        tally = Tally(rows=rows, profiles=folder.profile_count(), invalid_rows=invalid)
        where = ", simulator" if session.target.note == "simulator" else ""
        view = make_progress(progress, description=f"Salesfinity (Dask{where})")  # type: ignore[arg-type]
        stream_profiles(folder.profile_batches(batch_size), session, folder, tally, view)
    return DaskRun(
        frame=_joined(frame, keyed, folder),
        stats=session.stats,
        folder=folder.path,
        rows=rows,
        profiles=tally.profiles,
        invalid_rows=invalid,
    )


def _write_profiles(keyed: dd.DataFrame, folder: RunFolder, partitions: int) -> tuple[int, int]:
    """Find the distinct profiles with Dask's shuffle, and write them; count rows meanwhile.

    One ``dask.compute`` reads the input once for the three results.
    """
    valid = keyed[[KEY, EXTERNAL_ID, ROW]].dropna(subset=[KEY])
    distinct = valid.groupby(KEY).agg(
        **{ROWS: (ROW, "size"), EXTERNAL_ID: (EXTERNAL_ID, "first")},
        split_out=max(1, partitions),
    )
    distinct = distinct.reset_index()[[KEY, ROWS, EXTERNAL_ID]]
    write = distinct.to_parquet(str(folder.profiles), write_index=False, compute=False)
    _, rows, invalid = compute(write, keyed[ROW].count(), keyed[REASON].count())
    return int(rows), int(invalid)


def _joined(frame: dd.DataFrame, keyed: dd.DataFrame, folder: RunFolder) -> dd.DataFrame:
    """The input's columns plus the result columns: a Dask merge on the canonical key.

    The answers are broadcast to every input partition: Dask does that when
    they have fewer partitions than the input (or just one), so they are
    repartitioned to fewer. Partition ``i`` of the merge then holds exactly the
    rows of input partition ``i``, and :func:`join_back` puts them back in order
    on the input's own index.
    """
    answers = dd.from_map(read_results, folder.result_files(), meta=results_meta())
    fewer = max(1, min(answers.npartitions, frame.npartitions - 1))
    if answers.npartitions > fewer:
        answers = answers.repartition(npartitions=fewer)
    merged = keyed[[KEY, REASON, ROW]].merge(answers, how="left", on=KEY, broadcast=True)
    joined: dd.DataFrame = dd.map_partitions(
        join_back,
        frame,
        merged,
        meta=joined_meta(frame._meta),
        align_dataframes=False,
        enforce_metadata=False,
    )
    return joined
