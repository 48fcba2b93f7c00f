"""``df.salesfinity``: the pandas face, a thin layer over the run object.

Importing this module registers the accessor (a side effect, done once by
``import sfy_pandas``). The accessor keeps no state: pandas 3 builds a new one
on every attribute access. It turns rows into profiles, builds one checked
:class:`~sfy_pandas.run.RunOptions` and hands the rest to an ``Enrichment``.
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..frame import _export
from ..frame._export import QuotedCells
from ..run import Enrichment, EnrichmentRun, RunOptions, astart, last_run, start
from ..run import _options as _check
from ._plan import frame_api, plan_enrich, plan_status, remember_api

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ..run._options import EnrichKeywords, ProgressMode, RunnerName

__all__ = ["SalesfinityAccessor"]


@pd.api.extensions.register_dataframe_accessor("salesfinity")
class SalesfinityAccessor:
    """Enrich the frame's leads with emails: ``df.salesfinity.enrich("linkedin_url")``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):  # pandas asks accessors for AttributeError
            raise AttributeError(
                f".salesfinity works on a DataFrame, not a {type(frame).__name__}; "
                "use df.salesfinity on the frame (e.g. series.to_frame().salesfinity)"
            )
        self._frame = frame

    def enrich(
        self,
        column: Hashable,
        *,
        wait: bool = True,
        runner: RunnerName = "thread",
        **options: Unpack[EnrichKeywords],
    ) -> EnrichmentRun:
        """Find an email for every row's LinkedIn profile; fills the frame in place.

        Adds ``salesfinity_status``, ``salesfinity_email``, ``salesfinity_email_type``,
        ``salesfinity_id`` and ``salesfinity_error``. Each profile is sent once,
        however many rows or spellings it has; cells that are not a
        ``linkedin.com/in/`` profile are marked ``invalid`` and never sent.

        Parameters
        ----------
        column : label
            The column of LinkedIn profile URLs.
        type : {"work", "personal"} or a tuple of them, default "work"
            Which email to look up; ``("work", "personal")`` asks both, one
            lookup per profile and type. A frame holding one type's answers has
            the columns above; one holding more than one (asked together, or a
            rerun with the other type) has ``salesfinity_<type>_status``,
            ``_email``, ``_id`` and ``_error`` per type instead: the plain
            columns are renamed to their type's, never overwritten. The run's
            counts then count each (row, type) once.
        external_id : label, optional
            A column whose values are sent along and echoed back by the API.
        progress : {"auto", "widget", "text", None}, default "auto"
            A widget in Jupyter, a text line elsewhere (``"auto"``), or none.
        wait : bool, default True
            ``False`` returns at once; ``run.wait()`` or ``df.salesfinity.status()``
            brings the frame up to date.
        max_credits : int, optional
            Never start a lookup that could be charged beyond this many credits.
        dry_run : bool, default False
            Count the profiles and the most the run could cost; send nothing.
        refresh : bool, default False
            Ask again for profiles the journal already has answers for.
        api_key : str, optional
            Else ``SALESFINITY_API_KEY``. Never stored, printed or logged.
        base_url : str, optional
            Else ``SALESFINITY_BASE_URL``, else the real API; ``"simulator"``
            starts the bundled simulator (fake emails, no key needed).
        journal : path or "off", optional
            The SQLite file that makes a rerun resume instead of paying again;
            else ``SALESFINITY_JOURNAL``, else one in the user cache dir.
        concurrency : int, optional
            Creates in flight at once (default 8); the HTTP client's limit too.
        poll_interval : float, default 1.0
            Seconds before the first read of a new lookup.
        max_wait : float, optional
            Stop reading after this many seconds; rows still running keep their
            id and ``df.salesfinity.status()`` finishes them.
        callback_url : str, optional
            An http(s) URL the API calls when a lookup resolves.
        timeout : float, optional
            Seconds one request may take (default 30 to read, 10 to connect).
        retry : sfy_pandas.RetryPolicy, optional
            How hard one request tries before its error reaches the run.
        runner : {"thread", "nest-asyncio"}, default "thread"
            Where the requests run: a background thread, or the caller's loop
            patched by nest-asyncio (for hosts that cannot start threads).

        Returns
        -------
        EnrichmentRun
            The run; its repr is a short summary, ``run.counts`` the rows per status.

        Raises
        ------
        KeyError
            ``column`` or ``external_id`` is not a column of the frame.
        ValueError, TypeError
            An argument is wrong; the message names it. Nothing was sent.
        sfy_pandas.SalesfinityError
            The API refused the key or could not be reached.
        """
        _check.check_flag("wait", wait)
        _check.check_runner(runner)
        progress, enrichment, row_map = plan_enrich(self._frame, column, options)
        remember_api(self._frame, enrichment)
        return start(
            enrichment,
            self._frame,
            row_map,
            progress=progress,
            wait=wait,
            runner=runner,
            close_after=True,
        )

    async def aenrich(self, column: Hashable, **options: Unpack[EnrichKeywords]) -> EnrichmentRun:
        """``enrich()`` for async code and top-level ``await``: runs on the caller's loop."""
        progress, enrichment, row_map = plan_enrich(self._frame, column, options)
        remember_api(self._frame, enrichment)
        return await astart(enrichment, self._frame, row_map, progress=progress, close_after=True)

    def status(
        self,
        *,
        progress: ProgressMode = "auto",
        wait: bool = True,
        api_key: str | None = None,
        base_url: str | None = None,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        runner: RunnerName = "thread",
    ) -> EnrichmentRun:
        """Refresh the rows still running, from the ids stored in the frame.

        Works on a frame re-read from CSV in a new kernel. With ``wait=True`` it
        polls until those rows are final (or ``max_wait`` seconds pass). The API
        is the one the frame was enriched with, unless ``base_url`` says another.
        """
        pending = last_run(self._frame)
        if pending is not None and not pending.done:
            return pending.wait() if wait else pending
        _check.check_progress(progress)
        _check.check_flag("wait", wait)
        _check.check_runner(runner)
        options = RunOptions(
            api_key=api_key,
            base_url=base_url if base_url is not None else frame_api(self._frame),
            journal="off",  # the ids come from the frame: the journal has nothing to add
            poll_interval=poll_interval,
            max_wait=max_wait,
        )
        row_map, resume = plan_status(self._frame)
        return start(Enrichment(options), self._frame, row_map, progress=progress, wait=wait,
                     runner=runner, resume=resume, description="Salesfinity status",
                     close_after=True)  # fmt: skip

    @property
    def last_run(self) -> EnrichmentRun | None:
        """The last run started on this frame, also when its cell was interrupted."""
        return last_run(self._frame)

    def to_csv(self, path: str | os.PathLike[str], **kwargs: Any) -> QuotedCells:
        """Write a CSV no spreadsheet runs as formulas; the result says what was quoted."""
        return _export.to_csv(self._frame, path, **kwargs)

    def to_excel(self, path: str | os.PathLike[str], **kwargs: Any) -> QuotedCells:
        """Write an Excel file whose cells are never formulas; the result says what was quoted."""
        return _export.to_excel(self._frame, path, **kwargs)


@pd.api.extensions.register_series_accessor("salesfinity")
class _SeriesAccessor(SalesfinityAccessor):
    """``Series.salesfinity``: only says to use a DataFrame."""
