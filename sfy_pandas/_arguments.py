"""Argument checks for the accessor: each error names the argument and says what it takes."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from ._models import EmailType

__all__ = [
    "check_column",
    "check_count",
    "check_progress",
    "check_runner",
    "check_seconds",
    "check_type",
]


def check_column(name: str, frame: pd.DataFrame, column: Hashable) -> None:
    try:
        present = column in frame.columns
    except TypeError:
        present = False
    if not present:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:20])
        raise KeyError(f"{name}={column!r} is not a column of this frame; its columns: {shown}")


def check_type(kind: EmailType | str) -> str:
    try:
        return EmailType(kind).value
    except ValueError:
        raise ValueError(f"type must be 'work' or 'personal', not {kind!r}") from None


def check_progress(progress: object) -> None:
    if progress not in ("auto", "widget", "text", None):
        raise ValueError(f"progress must be 'auto', 'widget', 'text' or None, not {progress!r}")


def check_count(name: str, value: object, *, minimum: int) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def check_seconds(name: str, value: object, *, allow_none: bool) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")


def check_runner(runner: object) -> None:
    if runner not in ("thread", "nest-asyncio"):
        raise ValueError(f"runner must be 'thread' or 'nest-asyncio', not {runner!r}")
