"""Why a cell that is not text (a number, NaN, bytes, any object) holds no profile URL.

Recognises pandas' and numpy's missing values by type name, so neither is imported.
"""

from __future__ import annotations

import math
from typing import Final

from ._results import EMPTY_CELL, InvalidCell, InvalidKind

__all__ = ["not_text", "parse_object"]

# pandas.NA and pandas.NaT, recognised by type name so pandas is never imported.
_MISSING_TYPE_NAMES: Final = frozenset({"NAType", "NaTType"})
_BOOL_TYPE_NAMES: Final = frozenset({"bool", "bool_"})  # bool and numpy.bool_
_NUMBER_TYPE_PREFIXES: Final = ("int", "uint", "float", "complex", "Decimal", "Fraction")


def parse_object(cell: object) -> InvalidCell:
    try:
        return _describe_object(cell)
    except Exception:  # an object's own methods may raise; the contract is never to raise
        return not_text(cell)


def _describe_object(cell: object) -> InvalidCell:
    """Why a cell that is not text cannot be used; may raise on odd objects."""
    if cell is None:
        return EMPTY_CELL
    if isinstance(cell, float):  # float and numpy.float64
        return EMPTY_CELL if math.isnan(cell) else _number(cell)
    name = type(cell).__name__
    if name in _MISSING_TYPE_NAMES:
        return EMPTY_CELL
    if isinstance(cell, bool) or name in _BOOL_TYPE_NAMES:
        return InvalidCell(InvalidKind.NOT_TEXT, f"not text (boolean {bool(cell)})")
    if isinstance(cell, (bytes, bytearray, memoryview)):
        return InvalidCell(InvalidKind.NOT_TEXT, f"not text ({name})")
    if isinstance(cell, int) or name.startswith(_NUMBER_TYPE_PREFIXES):
        return EMPTY_CELL if _is_nan(cell) else _number(cell)
    if name in {"datetime64", "timedelta64"} and _is_nan(cell):  # numpy's NaT
        return EMPTY_CELL
    return not_text(cell)


def _is_nan(value: object) -> bool:
    # NaN is the only value not equal to itself; numpy answers with numpy.bool_.
    unequal = value != value  # noqa: PLR0124
    return type(unequal).__name__ in _BOOL_TYPE_NAMES and bool(unequal)


def _number(value: object) -> InvalidCell:
    try:
        shown = str(value)
    except Exception:  # e.g. an int too long to print
        shown = "too large to show"
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return InvalidCell(InvalidKind.NOT_TEXT, f"not text (number {shown})")


def not_text(cell: object) -> InvalidCell:
    try:
        name = str.__str__(type(cell).__name__)
    except Exception:  # a metaclass can make even the type's name raise
        name = "unknown type"
    return InvalidCell(InvalidKind.NOT_TEXT, f"not text ({name})")
