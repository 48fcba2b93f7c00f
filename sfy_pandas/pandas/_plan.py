"""From a frame and the accessor's keywords to what a run needs: options, rows, API.

The frame also remembers which API its ids belong to (in ``frame.attrs``, never
the key), so a bare ``df.salesfinity.status()`` asks the same API.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import pandas as pd

from .._config import SIMULATOR
from ..frame import _checks, _rows, _status
from ..journal._journal import ProfileKey
from ..run import Enrichment, RunOptions
from ..run._options import ProgressMode, check_progress

__all__ = ["API_ATTR", "frame_api", "plan_enrich", "plan_status", "remember_api"]

#: The ``frame.attrs`` entry naming the API a frame was enriched with.
API_ATTR = "salesfinity_base_url"

_FACE_KEYWORDS = frozenset({"external_id", "progress"})


def plan_enrich(
    frame: pd.DataFrame, column: Hashable, keywords: Mapping[str, Any]
) -> tuple[ProgressMode, Enrichment, _rows.RowMap]:
    """Check everything ``enrich()`` was given; return its view, its run and its rows."""
    unknown = set(keywords) - RunOptions.names() - _FACE_KEYWORDS
    if unknown:
        raise TypeError(f"enrich() got an unexpected keyword argument {sorted(unknown)[0]!r}")
    _checks.check_frame(frame)
    _checks.check_column("column", frame, column)
    external_id = keywords.get("external_id")
    if external_id is not None:
        _checks.check_column("external_id", frame, external_id)
    progress: ProgressMode = keywords.get("progress", "auto")
    check_progress(progress)
    options = RunOptions(**{k: v for k, v in keywords.items() if k not in _FACE_KEYWORDS})
    row_map = _rows.map_rows(frame, column, options.types, external_id)
    return progress, Enrichment(options), row_map


def plan_status(frame: pd.DataFrame) -> tuple[_rows.RowMap, dict[str, ProfileKey]]:
    """The rows ``status()`` refreshes, and the ids to poll for them."""
    _checks.check_frame(frame)
    _checks.check_enriched(frame)
    return _status.status_rows(frame)


def remember_api(frame: pd.DataFrame, enrichment: Enrichment) -> None:
    """Note in the frame which API its ids will belong to (the key is never kept)."""
    target = enrichment.target
    frame.attrs[API_ATTR] = SIMULATOR if target.note == SIMULATOR else target.base_url


def frame_api(frame: pd.DataFrame) -> str | None:
    """The API the frame was enriched with, if it remembers one."""
    value = frame.attrs.get(API_ATTR)
    return value if isinstance(value, str) else None
