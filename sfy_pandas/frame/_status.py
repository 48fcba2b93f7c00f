"""The rows ``status()`` refreshes: running, with a lookup id, grouped by that id.

A frame holding several types has each type's own status and id columns; the
running rows of every type are refreshed, each answer into its type's columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._models import RUNNING_STATUSES, Status
from ._layout import PLAIN, Columns, held_types, per_type
from ._rows import RowMap, group_rows
from ._texts import factorize, strings

__all__ = ["frame_columns", "lookup_id", "running_lookups", "status_rows"]

_RUNNING = frozenset(status.value for status in RUNNING_STATUSES)


def frame_columns(frame: pd.DataFrame) -> dict[str, Columns]:
    """Each type the frame holds and its columns (the plain ones: keyed by "")."""
    if PLAIN.status in frame.columns:
        return {"": PLAIN}
    return {kind: per_type(kind) for kind in held_types(frame)}


def status_rows(frame: pd.DataFrame) -> tuple[RowMap, dict[str, tuple[str, str]]]:
    """The running rows as a row map keyed by (id, type), and the ids to poll (id -> key).

    Each (row, type) whose lookup is running counts as one row.
    """
    layouts = frame_columns(frame)
    kinds = tuple(layouts)
    positions: list[int] = []
    ids: list[str] = []
    kind_codes: list[int] = []
    for k, layout in enumerate(layouts.values()):
        statuses = frame[layout.status].to_numpy(dtype=object)
        cells = frame[layout.id].to_numpy(dtype=object)
        for position, (status, cell) in enumerate(zip(statuses, cells, strict=True)):
            found = lookup_id(cell)
            if status in _RUNNING and found:
                positions.append(position)
                ids.append(found)
                kind_codes.append(k)
    codes, names = factorize(pd.array(ids, dtype="string"))
    # One group per (id, type): a profile's number is its group.
    keys = np.asarray(kind_codes, dtype=np.intp) * len(names) + codes
    order, offsets = group_rows(keys, len(names) * len(kinds))
    row_map = RowMap(
        total=len(positions),
        kinds=kinds,
        names=names,
        order=np.asarray(positions, dtype=np.intp)[order],
        offsets=offsets,
        invalid=[],
        creates=False,
    )
    row_map.columns = dict(layouts)
    row_map.counts = {Status.PENDING: row_map.total}
    held = np.flatnonzero(np.diff(offsets))
    texts = strings(names)
    resume = {
        texts[key % len(names)]: (texts[key % len(names)], kinds[key // len(names)])
        for key in held.tolist()
    }
    return row_map, resume


def lookup_id(cell: object) -> str | None:
    """An id as stored in the frame; a CSV reader may have made an all-digit id a number."""
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
        return f"{int(cell):024d}"  # ids are 24 characters: the zeros a number lost
    return None


def running_lookups(frame: pd.DataFrame) -> int:
    """Lookups in this frame whose answer is not in yet (distinct ids)."""
    ids: set[object] = set()
    for layout in frame_columns(frame).values():
        if layout.status not in frame.columns or layout.id not in frame.columns:
            continue
        running = frame[layout.status].isin(list(_RUNNING)).fillna(False).to_numpy(dtype=bool)
        ids.update(frame.loc[running, layout.id].dropna())
    return len(ids)
