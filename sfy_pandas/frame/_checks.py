"""Checks of a frame and its column arguments, before anything is sent."""

from __future__ import annotations

from collections.abc import Hashable

import pandas as pd

from ._layout import held_types, per_type
from ._rows import ID, STATUS, check_columns

__all__ = ["check_column", "check_enriched", "check_frame"]


def check_frame(frame: object) -> pd.DataFrame:
    """The frame, if sfy_pandas can write its output columns into it."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"sfy_pandas works on a pandas DataFrame, not {type(frame).__name__}")
    if isinstance(frame.columns, pd.MultiIndex):
        raise ValueError(
            "this frame has MultiIndex columns, which sfy_pandas does not write into; "
            "flatten them first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )
    check_columns(frame)
    return frame


def check_column(name: str, frame: pd.DataFrame, column: Hashable) -> None:
    """``column`` is one column of ``frame``; the error names the argument ``name``."""
    try:
        present = column in frame.columns
    except TypeError:
        present = False
    if not present:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:20])
        raise KeyError(f"{name}={column!r} is not a column of this frame; its columns: {shown}")
    repeats = int((frame.columns == column).sum())
    if repeats > 1:
        raise ValueError(
            f"{name}={column!r} names {repeats} columns of this frame; "
            "rename them so the label is unique"
        )


def check_enriched(frame: pd.DataFrame) -> None:
    """The frame has the columns ``status()`` reads: it was enriched before."""
    if any(per_type(kind).status in frame.columns for kind in held_types(frame)):
        return  # a frame holding several types: each type's own columns
    for name in (STATUS, ID):
        if name not in frame.columns:
            raise ValueError(
                f"this frame has no {name!r} column: it was never enriched; "
                "call df.salesfinity.enrich(column) first"
            )
