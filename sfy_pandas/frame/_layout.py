"""Which output columns hold which email type's answers.

A frame that holds one type's answers has the five plain columns
(``salesfinity_status``, ``_email``, ``_email_type``, ``_id``, ``_error``), as
it always had. Once it holds more than one type (asked together, or a rerun
with another type), each type has its own four columns,
``salesfinity_<type>_status``, ``_email``, ``_id`` and ``_error``: the email
type column would only repeat the column name, so that layout has none. The
plain columns are renamed to their type's names first, so no answer is ever
overwritten by another type's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .._contract import EMAIL_TYPES

__all__ = ["PLAIN", "TYPE_ATTR", "Columns", "held_types", "layout_for", "per_type"]

#: The ``frame.attrs`` entry naming the type held in the plain columns.
TYPE_ATTR = "salesfinity_type"


@dataclass(frozen=True)
class Columns:
    """The names of one type's output columns; ``email_type`` is None when absent."""

    status: str
    email: str
    email_type: str | None
    id: str
    error: str

    def names(self) -> tuple[str, ...]:
        """Every column, in the order they are written."""
        found = (self.status, self.email, self.email_type, self.id, self.error)
        return tuple(name for name in found if name is not None)


PLAIN = Columns(
    status="salesfinity_status",
    email="salesfinity_email",
    email_type="salesfinity_email_type",
    id="salesfinity_id",
    error="salesfinity_error",
)


def per_type(kind: str) -> Columns:
    """One type's own columns, as a frame holding several types has them."""
    prefix = f"salesfinity_{kind}"
    return Columns(f"{prefix}_status", f"{prefix}_email", None, f"{prefix}_id", f"{prefix}_error")


def plain_type(frame: pd.DataFrame) -> str | None:
    """The type the plain columns hold, or None when the frame has none.

    The frame remembers it (``frame.attrs``); a frame re-read from a file has
    lost that, and then the emails' own type says it. A frame without a single
    email found was asked with the default, ``work``.
    """
    if PLAIN.status not in frame.columns:
        return None
    remembered = frame.attrs.get(TYPE_ATTR)
    if remembered in EMAIL_TYPES:
        return str(remembered)
    if PLAIN.email_type is not None and PLAIN.email_type in frame.columns:
        seen = frame[PLAIN.email_type].dropna().astype(str)
        seen = seen[seen.isin(EMAIL_TYPES)]
        if len(seen):
            return str(seen.mode().iloc[0])
    return EMAIL_TYPES[0]


def held_types(frame: pd.DataFrame) -> list[str]:
    """The types whose answers the frame holds, plain columns' type first."""
    held = [kind for kind in (plain_type(frame),) if kind is not None]
    held += [k for k in EMAIL_TYPES if per_type(k).status in frame.columns and k not in held]
    return held


def layout_for(frame: pd.DataFrame, kinds: Sequence[str]) -> dict[str, Columns]:
    """Arrange the frame's columns for a run asking ``kinds``; each type's columns.

    One type in all, held or asked: the plain columns. More: the plain columns
    are first renamed to their type's own (in place), and each type asked gets
    its own. Raises ValueError rather than overwrite a column.
    """
    plain = plain_type(frame)
    every = set(held_types(frame)) | set(kinds)
    if len(every) == 1:
        frame.attrs[TYPE_ATTR] = next(iter(every))
        return dict.fromkeys(kinds, PLAIN)
    if plain is not None:
        _rename_plain(frame, plain)
    return {kind: per_type(kind) for kind in kinds}


def _rename_plain(frame: pd.DataFrame, kind: str) -> None:
    target = per_type(kind)
    clash = [name for name in target.names() if name in frame.columns]
    if clash:
        raise ValueError(
            f"this frame has both {PLAIN.status!r} and {clash[0]!r}; sfy_pandas cannot "
            f"tell which holds the {kind} answers: drop one of them first"
        )
    renames = {
        PLAIN.status: target.status,
        PLAIN.email: target.email,
        PLAIN.id: target.id,
        PLAIN.error: target.error,
    }
    # In place: the analyst's frame is the one that changes.
    frame.columns = pd.Index([renames.get(name, name) for name in frame.columns])
    if PLAIN.email_type in frame.columns:
        del frame[PLAIN.email_type]
    frame.attrs.pop(TYPE_ATTR, None)
