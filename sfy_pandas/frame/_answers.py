"""Answers heard and not yet in the frame, kept in arrays; and their writing, chunk by chunk.

A rerun over a million profiles hears a million answers at once, and the frame
is written later, on the analyst's thread. Kept as ``Update`` objects they
would cost ~250 bytes each until then; packed, an answer is a profile number,
a status byte and its texts in ``string`` arrays (Arrow when pyarrow is
there). They are written ``WRITE_PROFILES`` at a time, one ``iloc``
assignment per chunk and type, so only one chunk's values are Python objects
at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine._engine import Update
from ._layout import Columns
from ._rows import CODES, STATUSES, RowMap, column_positions
from ._texts import Strings, release_arrow_memory, strings

__all__ = ["WRITE_PROFILES", "Answers", "Unwritten", "write_updates"]

#: Answers kept as ``Update`` objects before they are packed.
_PACK = 16_384
#: Profiles written per assignment: each assignment copies the output columns
#: (Arrow arrays are immutable), so not many more than a million rows need.
WRITE_PROFILES = 50_000
_STATUS_TEXT = np.array([status.value for status in STATUSES], dtype=object)


@dataclass(frozen=True)
class Answers:
    """Packed answers: each one's profile number, status code and texts."""

    numbers: np.ndarray
    status: np.ndarray
    lookup_id: Strings
    email: Strings
    email_type: Strings
    message: Strings

    @classmethod
    def pack(cls, numbers: np.ndarray, updates: Sequence[Update]) -> Answers:
        def texts(values: list[str | None]) -> Strings:
            return pd.array(values, dtype="string")

        return cls(
            numbers,
            np.fromiter((CODES[u.status] for u in updates), np.int8, len(updates)),
            texts([u.lookup_id for u in updates]),
            texts([u.email for u in updates]),
            texts([u.email_type for u in updates]),
            texts([u.message for u in updates]),
        )


class Unwritten:
    """Each profile's answers not yet in the frame, newest last."""

    def __init__(self) -> None:
        self._updates: list[Update] = []
        self._numbers: list[np.ndarray] = []
        self._packed: list[Answers] = []
        #: Answers held (a profile answered twice counts twice).
        self.count = 0

    def add(self, numbers: np.ndarray, updates: Sequence[Update]) -> None:
        self._updates.extend(updates)
        self._numbers.append(numbers)
        self.count += len(updates)
        if len(self._updates) >= _PACK:
            self._pack()

    def take(self) -> list[Answers]:
        """Every answer held, oldest first; they count as written from now on."""
        self._pack()
        taken, self._packed, self.count = self._packed, [], 0
        return taken

    def _pack(self) -> None:
        if not self._updates:
            return
        numbers = np.concatenate(self._numbers)
        for start in range(0, len(self._updates), _PACK):
            end = start + _PACK
            self._packed.append(Answers.pack(numbers[start:end], self._updates[start:end]))
        self._updates, self._numbers = [], []


def write_updates(frame: pd.DataFrame, row_map: RowMap, answers: Sequence[Answers]) -> None:
    """Write each profile's newest answer to all its rows: one assignment per chunk and type."""
    for chunk in _chunks(answers):
        numbers = np.concatenate([part.numbers for part in chunk])
        # The newest answer of a profile is its last: keep the last of each number.
        _, last = np.unique(numbers[::-1], return_index=True)
        keep = len(numbers) - 1 - last
        kept = numbers[keep]
        values = {
            name: np.concatenate([_objects(part, name) for part in chunk])[keep]
            for name in ("status", "lookup_id", "email", "email_type", "message")
        }
        kinds = kept // max(len(row_map.names), 1)
        for k, kind in enumerate(row_map.kinds):
            mine = kinds == k
            if mine.any():
                picked = {name: column[mine] for name, column in values.items()}
                _write_kind(frame, row_map, row_map.columns_of(kind), kept[mine], picked)
        release_arrow_memory()


def _chunks(answers: Sequence[Answers]) -> Iterator[list[Answers]]:
    chunk: list[Answers] = []
    held = 0
    for part in answers:
        chunk.append(part)
        held += len(part.numbers)
        if held >= WRITE_PROFILES:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def _objects(part: Answers, name: str) -> np.ndarray:
    if name == "status":
        return _STATUS_TEXT[part.status]  # type: ignore[no-any-return]
    return np.asarray(strings(getattr(part, name)), dtype=object)


def _write_kind(
    frame: pd.DataFrame,
    row_map: RowMap,
    layout: Columns,
    numbers: np.ndarray,
    values: dict[str, np.ndarray],
) -> None:
    positions, sizes = row_map.positions(numbers)
    by_column = {
        layout.status: values["status"],
        layout.email: values["email"],
        layout.email_type: values["email_type"],
        layout.id: values["lookup_id"],
        layout.error: values["message"],
    }
    names = layout.names()
    table = np.empty((len(positions), len(names)), dtype=object)
    for at, name in enumerate(names):
        table[:, at] = np.repeat(by_column[name], sizes)
    frame.iloc[positions, column_positions(frame, layout)] = table
