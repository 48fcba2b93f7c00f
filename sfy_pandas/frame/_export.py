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
"""

from __future__ import annotations

import re
from collections.abc import Hashable

import numpy as np
import pandas as pd

__all__ = ["FORMULA_TRIGGERS", "neutralise_cell", "safe_for_spreadsheet"]

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
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"safe_for_spreadsheet takes a DataFrame, not {type(frame).__name__}")
    safe: pd.DataFrame = frame.copy(deep=False)
    # Columns are replaced, never written into: the shallow copy shares its data
    # with the caller's frame, which must stay as it was.
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        cleaned = _neutralise_series(column)
        if cleaned is not None:
            safe.isetitem(position, cleaned.array)
    safe.columns = _neutralise_index(safe.columns)
    safe.index = _neutralise_index(safe.index)
    return safe


def _neutralise_series(series: pd.Series) -> pd.Series | None:
    """The series with every formula-like text cell quoted; None when none was."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cleaned = _neutralise_series(series.astype(object))
        if cleaned is None:
            return None
        categorical: pd.Series = cleaned.astype("category")
        return categorical
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None  # numbers, dates, booleans: a spreadsheet never runs them
    values = series.to_numpy(dtype=object)
    changed = False
    for position, value in enumerate(values):
        if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
            safe = neutralise_cell(value)
            if safe is not value:
                if not changed:  # pandas may hand out a read-only view of its data
                    values = values.copy()
                    changed = True
                values[position] = safe
    if not changed:
        return None
    result: pd.Series = pd.Series(values, index=series.index, name=series.name, dtype=dtype)
    return result


def _neutralise_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        levels = [index.get_level_values(n) for n in range(index.nlevels)]
        cleaned = [_neutralise_index(level) for level in levels]
        if all(new is old for new, old in zip(cleaned, levels, strict=True)):
            return index
        rebuilt: pd.Index = pd.MultiIndex.from_arrays(cleaned, names=index.names)
        return rebuilt
    if not (pd.api.types.is_object_dtype(index.dtype) or pd.api.types.is_string_dtype(index.dtype)):
        return index
    labels: list[Hashable] = list(index)
    changed = False
    for position, label in enumerate(labels):
        if isinstance(label, str) and label.startswith(FORMULA_TRIGGERS):
            safe = neutralise_cell(label)
            changed |= safe is not label
            labels[position] = safe
    if not changed:
        return index
    relabelled: pd.Index = pd.Index(
        np.asarray(labels, dtype=object), name=index.name, dtype=index.dtype
    )
    return relabelled
