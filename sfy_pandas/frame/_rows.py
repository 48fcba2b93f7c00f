"""The pandas side of a run: read profiles out of a frame, write answers back in.

Rows are addressed by position, never by label, so any index works: default,
labels, duplicated labels, a MultiIndex. Output columns are created up front
with the nullable ``string`` dtype, because pandas 3 refuses to write text into
an all-NaN float column, and answers go in with one ``iloc`` assignment per
chunk (``_answers``).

A run over a million distinct profiles must not hold a million Python objects
per profile: a profile is a number. Its canonical URL is in ``names`` (a
``string`` array), its rows are a slice of ``order`` (the valid rows grouped by
profile, by a stable sort of their codes), and its status is one byte.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import overload

import numpy as np
import pandas as pd

from .._contract import MAX_EXTERNAL_ID_CHARS
from .._linkedin import ProfileURL, parse_profile
from .._models import Status
from ..engine._engine import Job, Update
from ._keys import NameIndex
from ._layout import PLAIN, Columns
from ._texts import (
    CHUNK,
    Strings,
    factorize,
    iter_strings,
    joined,
    release_arrow_memory,
    strings,
)

__all__ = [
    "COLUMNS",
    "EMAIL",
    "EMAIL_TYPE",
    "ERROR",
    "ID",
    "STATUS",
    "STATUSES",
    "RowMap",
    "column_positions",
    "group_rows",
    "map_rows",
    "prepare_columns",
]

STATUS = PLAIN.status
EMAIL = PLAIN.email
EMAIL_TYPE = "salesfinity_email_type"
ID = PLAIN.id
ERROR = PLAIN.error
COLUMNS = (STATUS, EMAIL, EMAIL_TYPE, ID, ERROR)

_STATUS_VALUES = frozenset(status.value for status in Status)
#: A profile's status as one byte: its position here.
STATUSES: tuple[Status, ...] = tuple(Status)
CODES = {status: code for code, status in enumerate(STATUSES)}


@dataclass
class RowMap:
    """Which rows belong to which profile, and what each profile's state is.

    A profile is a (canonical URL, type) pair, numbered ``k * len(names) + n``
    for type ``kinds[k]`` and name ``names[n]``, so a run asking several types
    counts each row once per type: ``total`` and ``counts`` are (row, type)
    pairs. Group ``g`` holds the rows ``order[offsets[g]:offsets[g + 1]]``; a
    profile's group is its number modulo the groups (one per name when every
    type has the same rows, one per profile otherwise). ``columns`` says where
    each type's answers go (see ``_layout``); it is filled when the run
    starts, from the frame as it is then.
    """

    total: int
    kinds: tuple[str, ...]
    names: Strings
    order: np.ndarray
    offsets: np.ndarray
    invalid: list[tuple[int, Status, str]]
    #: Each name's external id (its first row's); None when none was given.
    external: Strings | None = None
    #: Whether each profile is a job to run (``enrich()``), or only rows to refresh.
    creates: bool = True
    counts: dict[Status, int] = field(default_factory=dict)
    columns: dict[str, Columns] = field(default_factory=dict)
    status: np.ndarray = field(init=False)
    _index: NameIndex | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        self.status = np.full(self.profiles, CODES[Status.PENDING], dtype=np.int8)
        self._kind_of = {kind: k for k, kind in enumerate(self.kinds)}

    @property
    def profiles(self) -> int:
        return len(self.names) * len(self.kinds)

    @property
    def jobs(self) -> Sequence[Job]:
        """One job per profile, made when asked for (``enrich()``); none for ``status()``."""
        return JobList(self) if self.creates else []

    def columns_of(self, kind: str) -> Columns:
        """Where answers of this type go; the plain columns until a layout is set."""
        return self.columns.get(kind, PLAIN)

    def group_sizes(self) -> np.ndarray:
        """How many rows each group holds."""
        return np.diff(self.offsets)

    def sizes(self, profiles: np.ndarray) -> np.ndarray:
        """How many rows each of these profiles has."""
        groups = self._groups(profiles)
        return np.asarray(self.offsets[groups + 1] - self.offsets[groups], dtype=np.intp)

    def positions(self, profiles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All rows of these profiles, one profile after the other, and each one's count."""
        groups = self._groups(profiles)
        starts = self.offsets[groups]
        sizes = self.offsets[groups + 1] - starts
        ends = np.cumsum(sizes)
        at = np.repeat(starts - (ends - sizes), sizes) + np.arange(ends[-1] if len(ends) else 0)
        return self.order[at], sizes

    def _groups(self, profiles: np.ndarray) -> np.ndarray:
        return np.asarray(profiles % max(len(self.offsets) - 1, 1), dtype=np.intp)

    def numbers(self, updates: Sequence[Update]) -> np.ndarray:
        """Each update's profile number."""
        if self._index is None:
            self._index = NameIndex(lambda: iter_strings(self.names), len(self.names))
        found = self._index.find([update.key[0] for update in updates])
        if len(self.kinds) == 1:
            return found
        kind_of = self._kind_of
        kinds = np.fromiter((kind_of[u.key[1]] for u in updates), np.intp, len(updates))
        return np.asarray(kinds * len(self.names) + found, dtype=np.intp)

    def apply(self, updates: Sequence[Update]) -> tuple[np.ndarray, int, int]:
        """Move each profile's rows to their new status in the counts.

        Returns the updates' profile numbers, the credits they spent (a lookup
        seen completing, not reused and not completed before) and the rows
        answered from the journal.
        """
        numbers = self.numbers(updates)
        status, counts = self.status, self.counts
        credits = reused = 0
        sizes = self.sizes(numbers).tolist()
        for number, rows, update in zip(numbers.tolist(), sizes, updates, strict=True):
            # Every profile starts counted as pending (queued), until its first update.
            old, new = STATUSES[status[number]], update.status
            if new is Status.COMPLETED and not update.cached and old is not Status.COMPLETED:
                credits += 1
            if update.cached:
                reused += rows
            counts[old] -= rows
            counts[new] = counts.get(new, 0) + rows
            status[number] = CODES[new]
        return numbers, credits, reused


class JobList(Sequence[Job]):
    """A row map's jobs, each made when it is read: a million need not exist at once."""

    def __init__(self, rows: RowMap) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return self._rows.profiles

    @overload
    def __getitem__(self, index: int) -> Job: ...
    @overload
    def __getitem__(self, index: slice) -> list[Job]: ...
    def __getitem__(self, index: int | slice) -> Job | list[Job]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[number] for number in range(start, stop, step)]
            return list(self._jobs(start, stop))
        number = index + len(self) if index < 0 else index
        if not 0 <= number < len(self):
            raise IndexError(index)
        return next(self._jobs(number, number + 1))

    def __iter__(self) -> Iterator[Job]:
        for start in range(0, len(self), CHUNK):
            yield from self._jobs(start, min(start + CHUNK, len(self)))

    def _jobs(self, start: int, stop: int) -> Iterator[Job]:
        rows = self._rows
        count = len(rows.names)
        while start < stop:
            kind, first = divmod(start, count)
            last = min(first + stop - start, count)
            names = strings(rows.names, first, last)
            if rows.external is None:
                external: list[str | None] = [None] * len(names)
            else:
                external = strings(rows.external, first, last)
            for name, ext in zip(names, external, strict=True):
                yield Job((name, rows.kinds[kind]), ext)
            start += last - first


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
    urls, ids, invalid = _read_cells(frame, column, external_id)
    # Codes in order of first appearance; -1 for an invalid row.
    codes, names = factorize(urls)
    del urls
    order, offsets = group_rows(codes, len(names))
    external = None if ids is None else ids.take(order[offsets[:-1]])
    row_map = RowMap(
        total=len(frame) * len(kinds),
        kinds=kinds,
        names=names,
        order=order,
        offsets=offsets,
        invalid=invalid,
        external=external,
    )
    release_arrow_memory()  # what the grouping took is not the run's to keep
    row_map.counts = {
        Status.PENDING: len(order) * len(kinds),
        Status.INVALID: len(invalid) * len(kinds),
    }
    return row_map


def group_rows(codes: np.ndarray, groups: int) -> tuple[np.ndarray, np.ndarray]:
    """The rows with a code (>= 0) grouped by it, first row first, and each group's start.

    Group ``g`` is ``order[offsets[g]:offsets[g + 1]]``.
    """
    unused = int(np.count_nonzero(codes < 0))
    # A stable sort keeps each group's rows in frame order; the -1s come first.
    order = np.argsort(codes, kind="stable")[unused:]
    offsets = np.zeros(groups + 1, dtype=np.intp)
    np.cumsum(np.bincount(codes[order], minlength=groups), out=offsets[1:])
    return order, offsets


def _read_cells(
    frame: pd.DataFrame, column: Hashable, external_id: Hashable | None
) -> tuple[Strings, Strings | None, list[tuple[int, Status, str]]]:
    """Each row's canonical URL (missing when invalid), external id, and the invalid rows."""
    cells = frame[column]
    ids = None if external_id is None else frame[external_id]
    urls: list[Strings] = []
    texts: list[Strings] = []
    invalid: list[tuple[int, Status, str]] = []
    for start in range(0, len(frame), CHUNK):
        stop = start + CHUNK
        found, text = _read_chunk(
            cells.iloc[start:stop].to_numpy(dtype=object),
            None if ids is None else ids.iloc[start:stop].to_numpy(dtype=object),
            start,
            invalid,
        )
        urls.append(pd.array(found, dtype="string"))
        if text is not None:
            texts.append(pd.array(text, dtype="string"))
    return joined(urls), None if ids is None else joined(texts), invalid


def _read_chunk(
    cells: np.ndarray, ids: np.ndarray | None, start: int, invalid: list[tuple[int, Status, str]]
) -> tuple[np.ndarray, np.ndarray | None]:
    urls = np.full(len(cells), None, dtype=object)
    texts = None if ids is None else np.full(len(cells), None, dtype=object)
    for position, cell in enumerate(cells):
        parsed = parse_profile(cell)
        if not isinstance(parsed, ProfileURL):
            invalid.append((start + position, Status.INVALID, parsed.reason))
            continue
        if ids is not None and texts is not None:
            ext = external_id_text(ids[position])
            if ext is not None and len(ext) > MAX_EXTERNAL_ID_CHARS:
                reason = f"external_id longer than {MAX_EXTERNAL_ID_CHARS}"
                invalid.append((start + position, Status.INVALID, reason))
                continue
            texts[position] = ext
        urls[position] = parsed.url
    return urls, texts


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
        frame.iloc[:, column_positions(frame, row_map.columns_of(kind))] = None


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
        frame.iloc[positions, column_positions(frame, layout)] = values


def column_positions(frame: pd.DataFrame, layout: Columns) -> list[int]:
    return [frame.columns.get_loc(name) for name in layout.names()]  # type: ignore[misc]
