"""``sfy-pandas enrich`` on a Parquet dataset (a folder or a glob), through Dask.

The dataset is read one Parquet file per partition, enriched with
``ddf.salesfinity.enrich_run()`` on Dask's threaded scheduler (every request
goes out from this process, once per profile), and written as a Parquet
dataset: a folder with one file per partition. Only one batch of distinct
profiles is held in memory at a time, whatever the dataset's size.
"""

from __future__ import annotations

import glob
import os
import time
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import click

from ..frame import _rows as _frame
from ..run._options import RunOptions
from ._chunks import Totals

__all__ = ["DatasetPath", "dataset_out", "enrich_dataset", "is_dataset"]

_GLOB = frozenset("*?[")
_DASK_HINT = (
    'a Parquet dataset (a folder or a glob) is read with Dask: pip install "sfy-pandas[dask]"'
)


def is_dataset(path: str | os.PathLike[str]) -> bool:
    """A folder, or a glob pattern: read as a Parquet dataset, not as one file."""
    text = os.fspath(path)
    return Path(text).is_dir() or any(c in _GLOB for c in text)


def _files(path: str | os.PathLike[str]) -> list[str]:
    text = os.fspath(path)
    if Path(text).is_dir():
        found = sorted(str(p) for p in Path(text).rglob("*.parquet"))
    else:
        found = sorted(glob.glob(text, recursive=True))
    return [name for name in found if Path(name).is_file()]


class DatasetPath(click.Path):
    """INPUT: an existing file (as before), or a folder or glob of Parquet files."""

    def __init__(self) -> None:
        super().__init__(exists=True, dir_okay=False, path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if is_dataset(value):
            if not _files(value):
                self.fail(f"{os.fspath(value)!r}: no Parquet files there", param, ctx)
            return Path(value)
        return super().convert(value, param, ctx)


def dataset_out(path: Path) -> Path:
    """The default output folder: ``<name>_enriched`` beside the folder or the glob's folder."""
    if path.is_dir():
        return path.with_name(f"{path.name}_enriched")
    folder = Path(os.path.dirname(os.fspath(path)) or ".")
    return folder / "enriched"


def _dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(_DASK_HINT) from exc
    # ``import sfy_pandas`` installed the hook: importing dask.dataframe registered
    # ddf.salesfinity, and the CLI never imports the Dask face itself.
    return dd


def _read_file(name: str) -> Any:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    return pq.read_table(name).to_pandas()


def enrich_dataset(
    path: Path,
    out: Path,
    column: Hashable,
    options: RunOptions,
    *,
    external_id: Hashable | None = None,
    progress: str | None = "text",
) -> Totals:
    """Enrich every file of the dataset at ``path`` and write the dataset ``out``."""
    dd = _dask()
    import dask
    from dask.base import compute

    if out.exists() and any(out.iterdir()):
        raise ValueError(f"--out {str(out)!r} is a folder that is not empty; pick a new one")
    files = _files(path)
    meta = _read_file(files[0]).iloc[:0]
    frame = dd.from_map(_read_file, files, meta=meta)
    totals = Totals(dry_run=options.dry_run)
    with dask.config.set(scheduler="threads"):
        run = frame.salesfinity.enrich_run(
            column,
            type=options.type,
            external_id=external_id,
            max_credits=options.max_credits,
            dry_run=options.dry_run,
            journal=options.journal,
            progress=progress,
            base_url=options.base_url,
            poll_interval=options.poll_interval,
            max_wait=options.max_wait,
        )
        write = run.frame.to_parquet(str(out), write_index=False, compute=False)
        statuses = run.frame[_frame.STATUS].value_counts()
        _, counts = compute(write, statuses)  # type: ignore[no-untyped-call]
    totals.counts = Counter({str(k): int(v) for k, v in counts.items()})
    totals.rows, totals.chunks = run.rows, frame.npartitions
    stats = run.stats
    totals.credits_used, totals.created, totals.reused = (
        stats.credits_used,
        stats.created,
        stats.reused,
    )
    totals.resumed, totals.in_doubt, totals.max_cost = (
        stats.resumed,
        stats.in_doubt,
        stats.max_cost,
    )
    totals.elapsed = time.monotonic() - totals.started
    return totals
