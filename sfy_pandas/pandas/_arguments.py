"""Argument checks for the accessor: each error names the argument and says what it takes."""

from __future__ import annotations

from collections.abc import Hashable
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from .._models import EmailType

__all__ = [
    "check_callback_url",
    "check_column",
    "check_count",
    "check_flag",
    "check_frame",
    "check_progress",
    "check_runner",
    "check_seconds",
    "check_type",
]


def check_frame(frame: pd.DataFrame) -> None:
    """Refuse frames whose shape the output columns cannot be added to cleanly."""
    if isinstance(frame.columns, pd.MultiIndex):
        raise ValueError(
            "this frame has MultiIndex columns, which sfy_pandas does not write into; "
            "flatten them first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )


def check_column(name: str, frame: pd.DataFrame, column: Hashable) -> None:
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


def check_callback_url(callback_url: object) -> None:
    if callback_url is None:
        return
    if not isinstance(callback_url, str):
        raise TypeError(f"callback_url must be a URL string, not {type(callback_url).__name__}")
    parts = urlsplit(callback_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"callback_url must be an http(s) URL with a host, not {callback_url!r}")


def check_flag(name: str, value: object) -> None:
    """A yes/no argument must be a bool: ``refresh="false"`` would otherwise mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, not {value!r}")
