"""Per partition, on the workers: turn LinkedIn cells into canonical profile keys.

Pure pandas and deterministic, so an engine may run it as often as it likes
(meta inference, retries, speculative copies): it sends nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from .._contract import MAX_EXTERNAL_ID_CHARS
from .._linkedin import ProfileURL, parse_profile
from ..frame import _rows as _frame

__all__ = [
    "EXTERNAL_ID",
    "KEY",
    "REASON",
    "ROW",
    "ROWS",
    "canonical_cells",
    "canonical_meta",
    "check_text_column",
    "objects",
    "profiles_meta",
]

#: The canonical profile URL of a row; missing for a cell that is not a profile.
KEY = "_sfy_profile"
#: The external id sent with the profile (as text), if the caller named a column.
EXTERNAL_ID = "_sfy_external_id"
#: Why a row is ``invalid``; missing for valid rows.
REASON = "_sfy_reason"
#: The row's position inside its partition, to put joined rows back in order.
ROW = "_sfy_row"
#: In the distinct-profile dataset: how many rows share the profile.
ROWS = "_sfy_rows"


def canonical_meta() -> pd.DataFrame:
    """The empty frame :func:`canonical_cells` returns, for an engine's ``meta=``."""
    meta: pd.DataFrame = pd.DataFrame(
        {
            KEY: pd.Series([], dtype="string"),
            EXTERNAL_ID: pd.Series([], dtype="string"),
            REASON: pd.Series([], dtype="string"),
            ROW: pd.Series([], dtype="int64"),
        }
    )
    return meta


def profiles_meta() -> pd.DataFrame:
    """The distinct-profile frame: one row per profile, its row count and external id."""
    meta: pd.DataFrame = pd.DataFrame(
        {
            KEY: pd.Series([], dtype="string"),
            ROWS: pd.Series([], dtype="int64"),
            EXTERNAL_ID: pd.Series([], dtype="string"),
        }
    )
    return meta


def canonical_cells(
    part: pd.DataFrame, column: Hashable, external_id: Hashable | None = None
) -> pd.DataFrame:
    """One row per input row (same index): its profile key, or the reason it is invalid."""
    cells = part[column].to_numpy(dtype=object)
    ids = None if external_id is None else part[external_id].to_numpy(dtype=object)
    keys = np.full(len(cells), None, dtype=object)
    reasons = np.full(len(cells), None, dtype=object)
    externals = np.full(len(cells), None, dtype=object)
    seen: dict[object, ProfileURL | str] = {}  # messy columns repeat their cells
    for position, cell in enumerate(cells):
        parsed = _parse(cell, seen)
        if isinstance(parsed, str):
            reasons[position] = parsed
            continue
        ext = None if ids is None else _frame.external_id_text(ids[position])
        if ext is not None and len(ext) > MAX_EXTERNAL_ID_CHARS:
            reasons[position] = f"external_id longer than {MAX_EXTERNAL_ID_CHARS}"
            continue
        keys[position] = parsed.url
        externals[position] = ext
    keyed: pd.DataFrame = pd.DataFrame(
        {
            KEY: pd.array(keys, dtype="string"),
            EXTERNAL_ID: pd.array(externals, dtype="string"),
            REASON: pd.array(reasons, dtype="string"),
            ROW: np.arange(len(cells), dtype="int64"),
        },
        index=part.index,
    )
    return keyed


def objects(values: pd.Series) -> np.ndarray:
    """A column as plain Python objects, with None where a value is missing."""
    out: np.ndarray = values.to_numpy(dtype=object, na_value=None)  # type: ignore[call-overload]
    return out


def _parse(cell: object, seen: dict[object, ProfileURL | str]) -> ProfileURL | str:
    try:
        found = seen.get(cell)
    except TypeError:  # an unhashable cell (a list, a dict): parse it every time
        found = None
    if found is not None:
        return found
    parsed = parse_profile(cell)
    result: ProfileURL | str = parsed if isinstance(parsed, ProfileURL) else parsed.reason
    with contextlib.suppress(TypeError):  # unhashable: not remembered
        seen[cell] = result
    return result


def check_text_column(name: str, column: Hashable, dtype: Any) -> None:
    """A LinkedIn column must hold text: refuse numbers, booleans and dates up front."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return
    raise TypeError(
        f"{name}={column!r} holds {dtype} values, not text: a LinkedIn column must be "
        "strings (object or string dtype); convert it, e.g. with .astype('string')"
    )


def check_output_columns(columns: pd.Index) -> None:
    """Result columns already present are replaced only if sfy_pandas wrote them."""
    present = [name for name in _frame.COLUMNS if name in columns]
    if present and _frame.STATUS not in columns:
        raise ValueError(
            f"column {present[0]!r} already exists and was not written by sfy_pandas "
            f"(there is no {_frame.STATUS!r} column beside it); rename or drop it first"
        )
