"""Make a frame safe to open in a spreadsheet: no cell can start a formula.

A CSV or Excel cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or
carriage return, which some spreadsheets skip before reading a formula) is run
as a formula when the file is opened: ``=HYPERLINK(...)`` in a lead list, or in
an answer from the API, would reach the analyst's machine as code. OWASP's
recommendation, followed here, is to prefix such a cell with a single quote
``'``, which spreadsheets read as "this is text".

Text that is a plain number (``-5``, ``+3.25``, ``-1e3``) is left as it is: a
spreadsheet reads it as a number, never as a formula, and a negative amount
should not come back as text. Only text is touched; numbers, dates and
missing values pass through unchanged.

:func:`to_csv` and :func:`to_excel` write a frame that way and return a
:class:`QuotedCells` report: how many cells were quoted, and in which columns.
"""

from __future__ import annotations

import os
import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "QuotedCells",
    "neutralise_cell",
    "neutralise_frame",
    "safe_for_spreadsheet",
    "to_csv",
    "to_excel",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: str) -> str:
    """``value`` with a leading ``'`` if a spreadsheet would read it as a formula."""
    if value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_for_spreadsheet(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` that is safe to write with ``to_csv`` or ``to_excel``.

    Every text cell, column name and index label that a spreadsheet would run
    as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return) gets a leading single quote, as OWASP recommends against CSV and
    formula injection. Text that is a plain number (``-5``) is left alone, and
    so is every cell that is not text. The frame passed in is not changed::

        sfy_pandas.safe_for_spreadsheet(df).to_excel("leads.xlsx", index=False)
    """
    return neutralise_frame(frame, caller="safe_for_spreadsheet")[0]


@dataclass(frozen=True)
class QuotedCells:
    """What a safe writer quoted: cells per column, and labels (names, index).

    Its repr is one short sentence, so a notebook cell that ends with
    ``df.salesfinity.to_excel(...)`` shows the analyst what was changed.
    """

    path: Path | None
    cells: dict[str, int]
    labels: int = 0

    @property
    def count(self) -> int:
        """Cells and labels that got a leading quote."""
        return sum(self.cells.values()) + self.labels

    @property
    def columns(self) -> list[str]:
        """The columns that held at least one quoted cell, in the frame's order."""
        return list(self.cells)

    def __str__(self) -> str:
        where = f"Wrote {self.path.name}: " if self.path is not None else ""
        if not self.count:
            return f"{where}no cell would run as a formula, nothing quoted."
        shown = ", ".join(self.columns[:5]) + (", ..." if len(self.columns) > 5 else "")
        columns = f" in {shown}" if self.cells else ""
        labels = f" ({self.labels:,} of them column names or index labels)" if self.labels else ""
        cells, them = ("cell", "it") if self.count == 1 else ("cells", "them")
        return (
            f"{where}quoted {self.count:,} {cells} that a spreadsheet would run as a formula"
            f"{columns}{labels}: a leading ' keeps {them} text."
        )

    def __repr__(self) -> str:
        return str(self)


def neutralise_frame(
    frame: pd.DataFrame, *, caller: str = "safe_for_spreadsheet"
) -> tuple[pd.DataFrame, QuotedCells]:
    """:func:`safe_for_spreadsheet`, and the report of what it quoted."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{caller} takes a DataFrame, not {type(frame).__name__}")
    safe: pd.DataFrame = frame.copy(deep=False)
    quoted: dict[str, int] = {}
    # Columns are replaced, never written into: the shallow copy shares its data
    # with the caller's frame, which must stay as it was.
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        cleaned, n = _neutralise_series(column)
        if cleaned is not None:
            safe.isetitem(position, cleaned.array)
            name = str(frame.columns[position])
            quoted[name] = quoted.get(name, 0) + n
    safe.columns, in_names = _neutralise_index(safe.columns)
    safe.index, in_index = _neutralise_index(safe.index)
    return safe, QuotedCells(None, quoted, in_names + in_index)


def to_csv(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False, **kwargs: Any
) -> QuotedCells:
    """Write ``frame`` to a CSV file that no spreadsheet runs as formulas.

    Like ``frame.to_csv(path, index=False, **kwargs)`` after
    :func:`safe_for_spreadsheet`; returns what was quoted.
    """
    safe, quoted = neutralise_frame(frame, caller="to_csv")
    target = _path("to_csv", path)
    safe.to_csv(target, index=index, **kwargs)
    return QuotedCells(target, quoted.cells, quoted.labels)


def to_excel(
    frame: pd.DataFrame, path: str | os.PathLike[str], *, index: bool = False, **kwargs: Any
) -> QuotedCells:
    """Write ``frame`` to an Excel file whose cells are text, never formulas.

    Like ``frame.to_excel(path, index=False, **kwargs)`` after
    :func:`safe_for_spreadsheet` (openpyxl would otherwise store any text that
    starts with ``=`` as a live formula); returns what was quoted.
    """
    safe, quoted = neutralise_frame(frame, caller="to_excel")
    target = _path("to_excel", path)
    safe.to_excel(target, index=index, **kwargs)
    return QuotedCells(target, quoted.cells, quoted.labels)


def _path(caller: str, path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{caller}: path must be a file name, not {type(path).__name__}")
    return Path(os.fspath(path))


def _neutralise_series(series: pd.Series) -> tuple[pd.Series | None, int]:
    """The series with every formula-like text cell quoted (None when none was), and
    how many were."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cleaned, n = _neutralise_series(series.astype(object))
        if cleaned is None:
            return None, 0
        categorical: pd.Series = cleaned.astype("category")
        return categorical, n
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None, 0  # numbers, dates, booleans: a spreadsheet never runs them
    values = series.to_numpy(dtype=object)
    changed = 0
    for position, value in enumerate(values):
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
            safe = neutralise_cell(value)
            if safe is not value:
                if not changed:  # pandas may hand out a read-only view of its data
                    values = values.copy()
                changed += 1
                values[position] = safe
    if not changed:
        return None, 0
    result: pd.Series = pd.Series(values, index=series.index, name=series.name, dtype=dtype)
    return result, changed


def _neutralise_index(index: pd.Index) -> tuple[pd.Index, int]:
    """The index with formula-like labels quoted, and how many were."""
    if isinstance(index, pd.MultiIndex):
        levels = [index.get_level_values(n) for n in range(index.nlevels)]
        cleaned = [_neutralise_index(level) for level in levels]
        changed = sum(n for _, n in cleaned)
        if not changed:
            return index, 0
        rebuilt: pd.Index = pd.MultiIndex.from_arrays(
            [level for level, _ in cleaned], names=index.names
        )
        return rebuilt, changed
    if not (pd.api.types.is_object_dtype(index.dtype) or pd.api.types.is_string_dtype(index.dtype)):
        return index, 0
    labels: list[Hashable] = list(index)
    changed = 0
    for position, label in enumerate(labels):
        if isinstance(label, str) and label.startswith(FORMULA_TRIGGERS):
            safe = neutralise_cell(label)
            changed += safe is not label
            labels[position] = safe
    if not changed:
        return index, 0
    relabelled: pd.Index = pd.Index(
        np.asarray(labels, dtype=object), name=index.name, dtype=index.dtype
    )
    return relabelled, changed
