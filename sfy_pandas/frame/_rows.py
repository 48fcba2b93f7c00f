"""The pandas side of a run: read profiles out of a frame, write answers back in.

Rows are addressed by position, never by label, so any index works: default,
labels, duplicated labels, a MultiIndex. Output columns are created up front
with the nullable ``string`` dtype, because pandas 3 refuses to write text into
an all-NaN float column, and a whole batch of answers goes in with one
``iloc`` assignment.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._contract import MAX_EXTERNAL_ID_CHARS
from .._linkedin import ProfileURL, parse_profile
from .._models import Status
from ..engine._engine import Job, Update
from ..journal._journal import ProfileKey
from ._layout import PLAIN, Columns

__all__ = [
    "COLUMNS",
    "EMAIL",
    "EMAIL_TYPE",
    "ERROR",
    "ID",
    "STATUS",
    "RowMap",
    "map_rows",
    "prepare_columns",
    "write_updates",
]

STATUS = PLAIN.status
EMAIL = PLAIN.email
EMAIL_TYPE = "salesfinity_email_type"
ID = PLAIN.id
ERROR = PLAIN.error
COLUMNS = (STATUS, EMAIL, EMAIL_TYPE, ID, ERROR)

_STATUS_VALUES = frozenset(status.value for status in Status)


@dataclass
class RowMap:
    """Which rows belong to which profile, and what each profile's state is.

    A profile is a (canonical URL, type) pair, so a run asking several types
    counts each row once per type: ``total`` and ``counts`` are (row, type)
    pairs. ``columns`` says where each type's answers go (see ``_layout``);
    it is filled when the run starts, from the frame as it is then.
    """

    total: int
    rows: dict[ProfileKey, np.ndarray]
    jobs: list[Job]
    invalid: list[tuple[int, Status, str]]
    status_of: dict[ProfileKey, Status] = field(default_factory=dict)
    counts: dict[Status, int] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()
    columns: dict[str, Columns] = field(default_factory=dict)

    def columns_of(self, kind: str) -> Columns:
        """Where answers of this type go; the plain columns until a layout is set."""
        return self.columns.get(kind, PLAIN)

    def apply(self, updates: Iterable[Update]) -> None:
        """Move each profile's rows to their new status in the counts."""
        for update in updates:
            rows = len(self.rows[update.key])
            # Every profile starts counted as pending (queued), until its first update.
            old = self.status_of.get(update.key, Status.PENDING)
            self.counts[old] -= rows
            self.status_of[update.key] = update.status
            self.counts[update.status] = self.counts.get(update.status, 0) + rows


def map_rows(
    frame: pd.DataFrame,
    column: Hashable,
    kind: str | Sequence[str],
    external_id: Hashable | None = None,
) -> RowMap:
    """Parse ``column`` into unique profiles (canonical URL x each type) and their rows.

    ``kind`` is one type or several: each profile is one job per type.
    Invalid cells become ``invalid`` rows with the reason; they are never sent.
    A profile written several ways is one job; its first row's external id is sent.
    """
    kinds = (kind,) if isinstance(kind, str) else tuple(kind)
    cells = frame[column].to_numpy(dtype=object)
    ids = None if external_id is None else frame[external_id].to_numpy(dtype=object)
    positions: dict[ProfileKey, list[int]] = {}
    external: dict[str, str | None] = {}
    invalid: list[tuple[int, Status, str]] = []
    for position, cell in enumerate(cells):
        parsed = parse_profile(cell)
        if not isinstance(parsed, ProfileURL):
            invalid.append((position, Status.INVALID, parsed.reason))
            continue
        ext = None if ids is None else external_id_text(ids[position])
        if ext is not None and len(ext) > MAX_EXTERNAL_ID_CHARS:
            invalid.append(
                (position, Status.INVALID, f"external_id longer than {MAX_EXTERNAL_ID_CHARS}")
            )
            continue
        found = positions.get((parsed.url, kinds[0]))
        if found is None:
            positions[(parsed.url, kinds[0])] = [position]
            external[parsed.url] = ext
        else:
            found.append(position)
    rows = {
        (url, each): np.asarray(found, dtype=np.intp)
        for each in kinds
        for (url, _), found in positions.items()
    }
    jobs = [Job(key, external[key[0]]) for key in rows]
    total = len(cells) * len(kinds)
    row_map = RowMap(total=total, rows=rows, jobs=jobs, invalid=invalid, kinds=kinds)
    queued = sum(len(found) for found in rows.values())
    row_map.counts = {Status.PENDING: queued, Status.INVALID: len(invalid) * len(kinds)}
    return row_map


def external_id_text(value: object) -> str | None:
    """A cell of the external-id column as the text sent, or None when it is empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def check_columns(frame: pd.DataFrame) -> None:
    """Refuse to overwrite output columns that this library did not write.

    A frame enriched before (even re-read from CSV) has a ``salesfinity_status``
    column holding only known statuses; anything else is somebody's own data.
    """
    present = [name for name in COLUMNS if name in frame.columns]
    if not present:
        return
    if STATUS not in frame.columns:
        raise ValueError(
            f"column {present[0]!r} already exists and was not written by sfy_pandas "
            f"(there is no {STATUS!r} column beside it); rename or drop it first"
        )
    values = frame[STATUS].dropna().astype(str)
    foreign = values[~values.isin(_STATUS_VALUES)]
    if len(foreign):
        raise ValueError(
            f"column {STATUS!r} already exists and holds values sfy_pandas never writes "
            f"(e.g. {foreign.iloc[0]!r}); rename or drop it first"
        )


def prepare_columns(frame: pd.DataFrame, row_map: RowMap) -> None:
    """Make sure every output column of the run exists with the ``string`` dtype, in place."""
    for layout in row_map.columns.values():
        for name in layout.names():
            if name not in frame.columns:
                frame[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
            elif frame[name].dtype != "string":
                frame[name] = frame[name].astype("string")


def clear_rows(frame: pd.DataFrame, row_map: RowMap) -> None:
    """Blank the run's output columns in every row (they are about to be enriched anew).

    Only the columns of the types asked: another type's answers stay.
    """
    for kind in row_map.kinds:
        frame.iloc[:, _column_positions(frame, row_map.columns_of(kind))] = None


def write_invalid(frame: pd.DataFrame, row_map: RowMap) -> None:
    """Mark the invalid cells' rows, with the reason, for every type asked."""
    invalid = row_map.invalid
    if not invalid:
        return
    positions = np.fromiter((pos for pos, _, _ in invalid), dtype=np.intp, count=len(invalid))
    for kind in row_map.kinds:
        layout = row_map.columns_of(kind)
        names = layout.names()
        values = np.full((len(invalid), len(names)), None, dtype=object)
        values[:, names.index(layout.status)] = [status.value for _, status, _ in invalid]
        values[:, names.index(layout.error)] = [reason for _, _, reason in invalid]
        frame.iloc[positions, _column_positions(frame, layout)] = values


def write_updates(frame: pd.DataFrame, row_map: RowMap, updates: Iterable[Update]) -> None:
    """Write the newest update of each profile to all its rows, one assignment per type."""
    latest: dict[ProfileKey, Update] = {}
    for update in updates:
        latest[update.key] = update
    by_kind: dict[str, list[Update]] = {}
    for update in latest.values():
        by_kind.setdefault(update.key[1], []).append(update)
    for kind, kept in by_kind.items():
        _write_kind(frame, row_map, row_map.columns_of(kind), kept)


def _write_kind(
    frame: pd.DataFrame, row_map: RowMap, layout: Columns, updates: Sequence[Update]
) -> None:
    chunks = [row_map.rows[update.key] for update in updates]
    positions = np.concatenate(chunks)
    names = layout.names()
    values = np.empty((len(positions), len(names)), dtype=object)
    start = 0
    for update, chunk in zip(updates, chunks, strict=True):
        end = start + len(chunk)
        answer = {
            layout.status: update.status.value,
            layout.email: update.email,
            layout.email_type: update.email_type,
            layout.id: update.lookup_id,
            layout.error: update.message,
        }
        values[start:end] = tuple(answer[name] for name in names)
        start = end
    frame.iloc[positions, _column_positions(frame, layout)] = values


def _column_positions(frame: pd.DataFrame, layout: Columns) -> list[int]:
    return [frame.columns.get_loc(name) for name in layout.names()]  # type: ignore[misc]
