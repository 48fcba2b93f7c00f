"""The rows ``status()`` refreshes: running, with a lookup id, grouped by that id."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._models import RUNNING_STATUSES, Status
from ._rows import ID, STATUS, RowMap

__all__ = ["lookup_id", "running_lookups", "status_rows"]

_RUNNING = frozenset(status.value for status in RUNNING_STATUSES)


def status_rows(frame: pd.DataFrame) -> tuple[RowMap, dict[str, tuple[str, str]]]:
    """The running rows as a row map keyed by id, and the ids to poll (id -> key)."""
    statuses = frame[STATUS].to_numpy(dtype=object)
    ids = frame[ID].to_numpy(dtype=object)
    positions: dict[tuple[str, str], list[int]] = {}
    for position, (status, cell) in enumerate(zip(statuses, ids, strict=True)):
        found = lookup_id(cell)
        if status in _RUNNING and found:
            positions.setdefault((found, ""), []).append(position)
    rows = {key: np.asarray(found, dtype=np.intp) for key, found in positions.items()}
    row_map = RowMap(total=sum(len(r) for r in rows.values()), rows=rows, jobs=[], invalid=[])
    row_map.counts = {Status.PENDING: row_map.total}
    return row_map, {key[0]: key for key in rows}


def lookup_id(cell: object) -> str | None:
    """An id as stored in the frame; a CSV reader may have made an all-digit id a number."""
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
        return f"{int(cell):024d}"  # ids are 24 characters: the zeros a number lost
    return None


def running_lookups(frame: pd.DataFrame) -> int:
    """Lookups in this frame whose answer is not in yet (distinct ids)."""
    if STATUS not in frame.columns or ID not in frame.columns:
        return 0
    running = frame[STATUS].isin(list(_RUNNING)).fillna(False).to_numpy(dtype=bool)
    return int(frame.loc[running, ID].dropna().nunique())
