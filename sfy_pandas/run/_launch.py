"""Start one batch of a frame's rows on an :class:`Enrichment` and hand back its run.

What a face does with a frame, written once: prepare the output columns, make
the progress view, and run the batch on the background loop (``start``), on
the caller's loop (``astart``), or nested into it (``runner="nest-asyncio"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd

from ..engine._engine import RunStats, Update
from ..frame import _layout, _rows
from ..journal._journal import ProfileKey
from ..progress._snapshot import make_progress
from . import _loop
from ._enrichment import BatchStop, Enrichment
from ._handle import Batch, EnrichmentRun
from ._options import ProgressMode, RunnerName

__all__ = ["astart", "start"]

_RESUME_HINT = (
    "Stopped. Every lookup already sent is kept; run the same enrich() again to send "
    "the rest (nothing is paid twice), or df.salesfinity.status() to refresh running rows."
)


def start(
    enrichment: Enrichment,
    frame: pd.DataFrame,
    row_map: _rows.RowMap,
    *,
    progress: ProgressMode,
    wait: bool,
    runner: RunnerName = "thread",
    resume: Mapping[str, ProfileKey] | None = None,
    description: str = "Salesfinity",
    close_after: bool = False,
) -> EnrichmentRun:
    """Start the batch from synchronous code; with ``wait`` return once it ended.

    ``close_after``: the batch is the enrichment's only one; close it at the end.
    """
    run = _new_run(enrichment, frame, row_map, progress, description)
    batch = _batch(enrichment, row_map, resume, close_after)
    if runner == "nest-asyncio":
        _loop.run_nested(run._run_here(batch))
        return run
    run._start(batch)
    return run.wait() if wait else run


async def astart(
    enrichment: Enrichment,
    frame: pd.DataFrame,
    row_map: _rows.RowMap,
    *,
    progress: ProgressMode,
    close_after: bool = False,
) -> EnrichmentRun:
    """Run the batch on the caller's loop, to its end."""
    run = _new_run(enrichment, frame, row_map, progress, "Salesfinity")
    await run._run_here(_batch(enrichment, row_map, None, close_after))
    return run


def _new_run(
    enrichment: Enrichment,
    frame: pd.DataFrame,
    row_map: _rows.RowMap,
    progress: ProgressMode,
    description: str,
) -> EnrichmentRun:
    if row_map.kinds and not row_map.columns:  # enrich(): each type asked gets its columns
        row_map.columns = _layout.layout_for(frame, row_map.kinds)
    _rows.prepare_columns(frame, row_map)
    if row_map.jobs or row_map.invalid:  # enrich(): every row is answered anew
        _rows.clear_rows(frame, row_map)
        _rows.write_invalid(frame, row_map)
    view = make_progress(progress, description=description)
    return EnrichmentRun(
        frame, row_map, view, note=enrichment.target.note, resume_hint=_RESUME_HINT
    )


def _batch(
    enrichment: Enrichment,
    row_map: _rows.RowMap,
    resume: Mapping[str, ProfileKey] | None,
    close_after: bool,
) -> Batch:
    async def go(
        stop: BatchStop,
        on_update: Callable[[list[Update]], None],
        warn: Callable[[str], None],
    ) -> RunStats:
        try:
            return await enrichment.run_batch(
                row_map.jobs, on_update, stop=stop, resume=resume, warn=warn
            )
        finally:
            if close_after:
                await enrichment.aclose()

    return go
