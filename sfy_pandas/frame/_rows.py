"""The pandas side of a run: read profiles out of a frame, write answers back in.

Rows are addressed by position, never by label, so any index works: default,
labels, duplicated labels, a MultiIndex. Output columns are created up front
with the nullable ``string`` dtype, because pandas 3 refuses to write text into
an all-NaN float column, and a whole batch of answers goes in with one
``iloc`` assignment.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._contract import MAX_EXTERNAL_ID_CHARS
from .._linkedin import ProfileURL, parse_profile
from .._models import Status
from ..engine._engine import Job, Update
from ..journal._journal import ProfileKey

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

STATUS = "salesfinity_status"
EMAIL = "salesfinity_email"
EMAIL_TYPE = "salesfinity_email_type"
ID = "salesfinity_id"
ERROR = "salesfinity_error"
COLUMNS = (STATUS, EMAIL, EMAIL_TYPE, ID, ERROR)

_STATUS_VALUES = frozenset(status.value for status in Status)


@dataclass
class RowMap:
    """Which rows belong to which profile, and what each profile's state is."""

    total: int
    rows: dict[ProfileKey, np.ndarray]
    jobs: list[Job]
    invalid: list[tuple[int, Status, str]]
    status_of: dict[ProfileKey, Status] = field(default_factory=dict)
    counts: dict[Status, int] = field(default_factory=dict)

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
    kind: str,
    external_id: Hashable | None = None,
) -> RowMap:
    """Parse ``column`` into unique profiles (canonical URL x ``kind``) and their rows.

    Invalid cells become ``invalid`` rows with the reason; they are never sent.
    A profile written several ways is one job; its first row's external id is sent.
    """
    cells = frame[column].to_numpy(dtype=object)
    ids = None if external_id is None else frame[external_id].to_numpy(dtype=object)
    positions: dict[ProfileKey, list[int]] = {}
    external: dict[ProfileKey, str | None] = {}
    invalid: list[tuple[int, Status, str]] = []
    for position, cell in enumerate(cells):
        parsed = parse_profile(cell)
        if not isinstance(parsed, ProfileURL):
            invalid.append((position, Status.INVALID, parsed.reason))
            continue
        ext = None if ids is None else _external_id(ids[position])
        if ext is not None and len(ext) > MAX_EXTERNAL_ID_CHARS:
            invalid.append(
                (position, Status.INVALID, f"external_id longer than {MAX_EXTERNAL_ID_CHARS}")
            )
            continue
        key = (parsed.url, kind)
        found = positions.get(key)
        if found is None:
            positions[key] = [position]
            external[key] = ext
        else:
            found.append(position)
    rows = {key: np.asarray(found, dtype=np.intp) for key, found in positions.items()}
    jobs = [Job(key, external[key]) for key in rows]
    row_map = RowMap(total=len(cells), rows=rows, jobs=jobs, invalid=invalid)
    queued = sum(len(found) for found in rows.values())
    row_map.counts = {Status.PENDING: queued, Status.INVALID: len(invalid)}
    return row_map


def _external_id(value: object) -> str | None:
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


def prepare_columns(frame: pd.DataFrame) -> None:
    """Make sure every output column exists with the ``string`` dtype, in place."""
    for name in COLUMNS:
        if name not in frame.columns:
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
        elif frame[name].dtype != "string":
            frame[name] = frame[name].astype("string")


def clear_rows(frame: pd.DataFrame, positions: np.ndarray) -> None:
    """Blank the output columns of these rows (they are about to be enriched anew)."""
    if len(positions):
        frame.iloc[positions, _column_positions(frame)] = None


def write_invalid(frame: pd.DataFrame, invalid: Sequence[tuple[int, Status, str]]) -> None:
    if not invalid:
        return
    positions = np.fromiter((pos for pos, _, _ in invalid), dtype=np.intp, count=len(invalid))
    values = np.full((len(invalid), len(COLUMNS)), None, dtype=object)
    values[:, 0] = [status.value for _, status, _ in invalid]
    values[:, 4] = [reason for _, _, reason in invalid]
    frame.iloc[positions, _column_positions(frame)] = values


def write_updates(
    frame: pd.DataFrame, rows: Mapping[ProfileKey, np.ndarray], updates: Iterable[Update]
) -> None:
    """Write the newest update of each profile to all its rows, in one assignment."""
    latest: dict[ProfileKey, Update] = {}
    for update in updates:
        latest[update.key] = update
    if not latest:
        return
    chunks = [rows[key] for key in latest]
    positions = np.concatenate(chunks)
    values = np.empty((len(positions), len(COLUMNS)), dtype=object)
    start = 0
    for update, chunk in zip(latest.values(), chunks, strict=True):
        end = start + len(chunk)
        values[start:end] = (
            update.status.value,
            update.email,
            update.email_type,
            update.lookup_id,
            update.message,
        )
        start = end
    frame.iloc[positions, _column_positions(frame)] = values


def _column_positions(frame: pd.DataFrame) -> list[int]:
    return [frame.columns.get_loc(name) for name in COLUMNS]  # type: ignore[misc]
