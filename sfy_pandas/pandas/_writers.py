"""``df.salesfinity.to_csv`` / ``to_excel``: spreadsheet-safe writers that say what they quoted.

The quoting itself is :func:`~sfy_pandas.safe_for_spreadsheet`; these add the
write and a count, per column, of the cells that would otherwise have run as
formulas when the file is opened.
"""

from __future__ import annotations

import os
from typing import IO, Any, Literal

import pandas as pd

from ..frame._export import safe_for_spreadsheet

__all__ = ["write_safe"]

#: The key of the count of column names and index labels that were quoted.
LABELS = "(labels)"


def write_safe(
    frame: pd.DataFrame,
    path: str | os.PathLike[str] | IO[Any],
    kind: Literal["csv", "excel"],
    **kwargs: Any,
) -> dict[str, int]:
    """Write a formula-safe copy of ``frame``; return (and print) the cells quoted per column."""
    safe = safe_for_spreadsheet(frame)
    quoted = _quoted(frame, safe)
    if kind == "csv":
        safe.to_csv(path, **kwargs)
    else:
        safe.to_excel(path, **kwargs)
    if quoted:
        shown = ", ".join(f"{name} ({n:,})" for name, n in quoted.items())
        print(
            f"Quoted {sum(quoted.values()):,} cells that a spreadsheet would run as formulas "
            f"(they now start with '): {shown}"
        )
    return quoted


def _quoted(original: pd.DataFrame, safe: pd.DataFrame) -> dict[str, int]:
    counts: dict[str, int] = {}
    for position in range(original.shape[1]):
        before = original.iloc[:, position]
        after = safe.iloc[:, position]
        changed = int((before.astype(object).fillna("") != after.astype(object).fillna("")).sum())
        if changed:
            name = str(original.columns[position])
            counts[name] = counts.get(name, 0) + changed
    labels = sum(
        1
        for old, new in [
            *zip(original.columns, safe.columns, strict=True),
            *zip(original.index, safe.index, strict=True),
        ]
        if old is not new and old != new
    )
    if labels:
        counts[LABELS] = labels
    return counts
