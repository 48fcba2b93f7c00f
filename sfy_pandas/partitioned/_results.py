"""The run's folder: the distinct profiles going in, the answers coming out, both Parquet.

``<parent>/sfy-pandas-run-<time>-<tag>/profiles/`` is written by the engine's
tasks (one file per partition of distinct profiles); ``results/`` is written by
the client process, one file per batch of answers. Both are plain Parquet
datasets, so any engine can read them, and the join back is a merge on
:data:`~._cells.KEY`.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from .._models import Status
from ..engine._engine import Update
from ..frame import _rows as _frame
from ..journal._journal import ProfileKey
from ._cells import KEY, REASON, ROW, objects

__all__ = [
    "RunFolder",
    "join_back",
    "joined_meta",
    "read_results",
    "results_meta",
]

#: The result columns as written to the results dataset and into the output.
_RESULT_COLUMNS = _frame.COLUMNS
_SCHEMA = pa.schema([(KEY, pa.string())] + [(name, pa.string()) for name in _RESULT_COLUMNS])


class RunFolder:
    """The folder one run writes: ``profiles/`` (by the tasks) and ``results/`` (by the client)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.profiles = path / "profiles"
        self.results = path / "results"
        self._parts = 0

    @classmethod
    def create(cls, parent: str | os.PathLike[str] | None, journal: Path | None) -> RunFolder:
        """A new folder named by the run: in ``parent``, else beside the journal.

        With no journal on disk (``journal="off"``) it goes to the temp directory.
        """
        if parent is None:
            parent = tempfile.gettempdir() if journal is None else journal.parent
        name = f"sfy-pandas-run-{time.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(3)}"
        path = Path(parent) / name
        path.mkdir(parents=True, exist_ok=False)
        folder = cls(path)
        folder.results.mkdir()
        return folder

    def __repr__(self) -> str:
        return f"RunFolder({str(self.path)!r})"

    def _profile_files(self) -> list[Path]:
        return sorted(self.profiles.rglob("*.parquet"))

    def profile_count(self) -> int:
        """How many distinct profiles the tasks wrote (from the files' footers)."""
        return sum(pq.ParquetFile(file).metadata.num_rows for file in self._profile_files())

    def profile_batches(self, batch_size: int) -> Iterator[pd.DataFrame]:
        """The distinct profiles in batches of ``batch_size`` (the last may be smaller).

        Batches span files, so the number of partitions does not change how
        many batches a run submits, and only one batch is in memory at a time.
        """
        held: list[pa.RecordBatch] = []
        size = 0
        for file in self._profile_files():
            for read in pq.ParquetFile(file).iter_batches(batch_size=batch_size):
                rest = read
                while len(rest):
                    take = rest.slice(0, batch_size - size)
                    rest = rest.slice(len(take))
                    held.append(take)
                    size += len(take)
                    if size == batch_size:
                        yield _frame_of(held)
                        held, size = [], 0
        if size:
            yield _frame_of(held)

    def write_answers(self, answers: Mapping[ProfileKey, Update]) -> None:
        """One results file for one batch of answers (the newest update of each profile)."""
        keys: list[str | None] = [key[0] for key in answers]
        columns: dict[str, list[str | None]] = {KEY: keys}
        updates = list(answers.values())
        columns[_frame.STATUS] = [u.status.value for u in updates]
        columns[_frame.EMAIL] = [u.email for u in updates]
        columns[_frame.EMAIL_TYPE] = [u.email_type for u in updates]
        columns[_frame.ID] = [u.lookup_id for u in updates]
        columns[_frame.ERROR] = [u.message for u in updates]
        table = pa.table(columns, schema=_SCHEMA)
        final = self.results / f"part-{self._parts:05d}.parquet"
        partial = final.with_suffix(".partial")
        pq.write_table(table, partial)
        partial.replace(final)  # a reader never sees half a file
        self._parts += 1

    def result_files(self) -> list[str]:
        """The results dataset's files, in the order they were written."""
        return [str(file) for file in sorted(self.results.glob("part-*.parquet"))]

    def ensure_results(self) -> None:
        """An empty results file when no profile was valid, so the dataset can be read."""
        if self._parts == 0:
            self.write_answers({})


def _frame_of(batches: list[pa.RecordBatch]) -> pd.DataFrame:
    # One frame per batch, then concat: files written by different tasks may
    # differ in schema metadata, which Arrow would refuse to put in one table.
    frames = [batch.to_pandas(types_mapper=_strings) for batch in batches]
    frame: pd.DataFrame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return frame


def _strings(arrow_type: pa.DataType) -> pd.StringDtype | None:
    return pd.StringDtype() if pa.types.is_string(arrow_type) else None


def read_results(path: str) -> pd.DataFrame:
    """One results file as a frame shaped like :func:`results_meta` (run on a worker)."""
    frame: pd.DataFrame = pq.read_table(path, schema=_SCHEMA).to_pandas(types_mapper=_strings)
    return frame


def results_meta() -> pd.DataFrame:
    """The results dataset as a frame: the key and the five result columns, all text."""
    meta: pd.DataFrame = pd.DataFrame(
        {name: pd.Series([], dtype="string") for name in _SCHEMA.names}
    )
    return meta


def joined_meta(input_meta: pd.DataFrame) -> pd.DataFrame:
    """The output: the input's columns, then the result columns (replacing older ones)."""
    kept = input_meta.drop(columns=[c for c in _RESULT_COLUMNS if c in input_meta.columns])
    results = results_meta().drop(columns=[KEY])
    joined: pd.DataFrame = pd.concat([kept, results.set_axis(kept.index[:0])], axis=1)
    return joined


def join_back(part: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """Put one partition's answers (merged on the key, in any order) back on its rows.

    ``answers`` holds :data:`ROW`, :data:`REASON` and the result columns for
    every row of ``part``; invalid rows get ``invalid`` and their reason, as in pandas.
    """
    if len(answers) != len(part):
        raise RuntimeError(
            f"the join back gave {len(answers)} rows for a partition of {len(part)}: "
            "the answers no longer line up with the input's partitions"
        )
    answers = answers.sort_values(ROW, kind="stable")
    out: pd.DataFrame = part.drop(columns=[c for c in _RESULT_COLUMNS if c in part.columns])
    invalid = answers[REASON].notna().to_numpy(dtype=bool)
    for name in _RESULT_COLUMNS:
        values = objects(answers[name]).copy()
        if name == _frame.STATUS:
            values[invalid] = Status.INVALID.value
        elif name == _frame.ERROR:
            values[invalid] = objects(answers[REASON])[invalid]
        out[name] = pd.array(values, dtype="string")
    return out
