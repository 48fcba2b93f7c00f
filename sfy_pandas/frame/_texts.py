"""Arrays of text as pandas keeps them (``string``: Arrow when pyarrow is there), a chunk at a time.

A million URLs are ~50 MB in an Arrow array and ~90 MB as Python strings;
these helpers turn only a chunk at a time into Python objects.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CHUNK",
    "Strings",
    "factorize",
    "iter_strings",
    "joined",
    "release_arrow_memory",
    "strings",
]

#: Values (cells, names, answers) turned into Python objects at a time.
CHUNK = 65_536

#: An array of text as pandas keeps it: ``string`` dtype (Arrow when pyarrow is there).
Strings = Any


def release_arrow_memory() -> None:
    """Hand the memory Arrow has freed back to the system.

    Its allocator keeps freed blocks for reuse, and each chunk of answers
    written copies the output columns (Arrow arrays are immutable): a rerun
    over a million rows held ~150 MB of such copies at its end.
    """
    pyarrow = sys.modules.get("pyarrow")  # only when pandas already uses it
    pool = None if pyarrow is None else pyarrow.default_memory_pool()
    release = getattr(pool, "release_unused", None)
    if release is not None:
        release()


def strings(array: Strings, start: int = 0, stop: int | None = None) -> list[Any]:
    """A slice of a ``string`` array as Python objects, missing values as None."""
    part = array[start:stop]
    return list(part.to_numpy(dtype=object, na_value=None))


def iter_strings(array: Strings) -> Iterator[Any]:
    """A ``string`` array's values as Python objects, made a chunk at a time."""
    for start in range(0, len(array), CHUNK):
        yield from strings(array, start, start + CHUNK)


def factorize(values: Strings) -> tuple[np.ndarray, Strings]:
    """Each value's code (-1 when missing) and the distinct values, in order of appearance."""
    codes, uniques = values.factorize()
    return np.asarray(codes, dtype=np.intp), uniques


def joined(parts: list[Strings]) -> Strings:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return pd.array([], dtype="string")
    return pd.concat([pd.Series(part, copy=False) for part in parts], ignore_index=True).array
