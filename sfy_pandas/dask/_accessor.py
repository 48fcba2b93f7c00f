"""``ddf.salesfinity``: check the call, then hand it to :mod:`._pipeline`.

Registered by :func:`register` (called from :mod:`._hook` when
``dask.dataframe`` is imported). The accessor keeps no state.
"""

from __future__ import annotations

import os
from collections.abc import Hashable

import dask.dataframe as dd

from .._models import EmailType
from ..frame._checks import check_column
from ..partitioned._cells import check_output_columns, check_text_column
from ..partitioned._session import SessionOptions, run_options
from ..run._options import check_count, check_progress
from ._pipeline import DEFAULT_BATCH, DaskRun, run_enrichment

__all__ = ["DaskSalesfinityAccessor", "register"]

_registered = False


def register() -> None:
    """Register ``ddf.salesfinity`` once (a second call does nothing)."""
    global _registered  # noqa: PLW0603 - one registration per process is the point
    if not _registered:
        register_accessor = dd.extensions.register_dataframe_accessor
        register_accessor("salesfinity")(DaskSalesfinityAccessor)  # type: ignore[no-untyped-call]
        _registered = True


class DaskSalesfinityAccessor:
    """Enrich a Dask DataFrame's leads: ``ddf.salesfinity.enrich("linkedin_url")``."""

    def __init__(self, frame: dd.DataFrame) -> None:
        if not isinstance(frame, dd.DataFrame):
            raise AttributeError("ddf.salesfinity works on a Dask DataFrame")
        self._frame = frame

    def enrich(
        self,
        column: Hashable,
        *,
        type: EmailType | str = EmailType.WORK,
        external_id: Hashable | None = None,
        max_credits: int | None = None,
        dry_run: bool = False,
        refresh: bool = False,
        journal: str | os.PathLike[str] | None = None,
        progress: str | None = "auto",
        api_key: str | None = None,
        base_url: str | None = None,
        results: str | os.PathLike[str] | None = None,
        concurrency: int | None = None,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        callback_url: str | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> dd.DataFrame:
        """Find an email for every row's LinkedIn profile; returns a NEW Dask DataFrame.

        A Dask frame cannot be filled in place: the result is the input's
        columns plus ``salesfinity_status``, ``salesfinity_email``,
        ``salesfinity_email_type``, ``salesfinity_id`` and ``salesfinity_error``,
        with the same meanings as in pandas, on the input's index and partitions.

        The requests are all sent from this process, before this call returns:
        the workers only clean cells, find the distinct profiles, and join the
        answers back. Each profile is sent once across all partitions; the
        journal makes a rerun resume instead of paying twice. The answers are
        written as a Parquet dataset in a folder named by the run, inside
        ``results`` (default: beside the journal); the returned frame reads it.

        The other arguments mean what they mean in ``df.salesfinity.enrich()``;
        ``max_credits``, ``dry_run`` and ``max_wait`` hold for the whole run.
        ``batch_size`` distinct profiles are in this process's memory at a time.
        Use :meth:`enrich_run` for the run's figures as well.
        """
        return self.enrich_run(
            column,
            type=type,
            external_id=external_id,
            max_credits=max_credits,
            dry_run=dry_run,
            refresh=refresh,
            journal=journal,
            progress=progress,
            api_key=api_key,
            base_url=base_url,
            results=results,
            concurrency=concurrency,
            poll_interval=poll_interval,
            max_wait=max_wait,
            callback_url=callback_url,
            batch_size=batch_size,
        ).frame

    def enrich_run(
        self,
        column: Hashable,
        *,
        type: EmailType | str = EmailType.WORK,
        external_id: Hashable | None = None,
        max_credits: int | None = None,
        dry_run: bool = False,
        refresh: bool = False,
        journal: str | os.PathLike[str] | None = None,
        progress: str | None = "auto",
        api_key: str | None = None,
        base_url: str | None = None,
        results: str | os.PathLike[str] | None = None,
        concurrency: int | None = None,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        callback_url: str | None = None,
        batch_size: int = DEFAULT_BATCH,
    ) -> DaskRun:
        """``enrich()``, returning the run: ``.frame``, ``.stats``, ``.folder``, counts."""
        frame = self._frame
        options = _checked_options(
            frame,
            column,
            kind=type,
            external_id=external_id,
            max_credits=max_credits,
            dry_run=dry_run,
            refresh=refresh,
            journal=journal,
            progress=progress,
            api_key=api_key,
            base_url=base_url,
            results=results,
            concurrency=concurrency,
            poll_interval=poll_interval,
            max_wait=max_wait,
            callback_url=callback_url,
            batch_size=batch_size,
        )
        return run_enrichment(
            frame,
            column,
            options,
            external_id=external_id,
            progress=progress,
            results=results,
            batch_size=batch_size,
        )


def _checked_options(
    frame: dd.DataFrame,
    column: Hashable,
    *,
    kind: EmailType | str,
    external_id: Hashable | None,
    max_credits: int | None,
    dry_run: bool,
    refresh: bool,
    journal: str | os.PathLike[str] | None,
    progress: str | None,
    api_key: str | None,
    base_url: str | None,
    results: str | os.PathLike[str] | None,
    concurrency: int | None,
    poll_interval: float,
    max_wait: float | None,
    callback_url: str | None,
    batch_size: int,
) -> SessionOptions:
    """Check every argument before anything is read or sent; the run's options."""
    check_column("column", frame, column)  # type: ignore[arg-type]
    check_text_column("column", column, frame.dtypes[column])
    if external_id is not None:
        check_column("external_id", frame, external_id)  # type: ignore[arg-type]
    check_output_columns(frame.columns)
    check_progress(progress)
    check_count("batch_size", batch_size, minimum=1)
    if results is not None and not isinstance(results, (str, os.PathLike)):
        raise TypeError(f"results must be a folder path, not {type(results).__name__}")
    options = SessionOptions(
        kind=getattr(kind, "value", kind),
        api_key=api_key,
        base_url=base_url,
        journal=journal,
        max_credits=max_credits,
        dry_run=dry_run,
        refresh=refresh,
        concurrency=concurrency,
        poll_interval=poll_interval,
        max_wait=max_wait,
        callback_url=callback_url,
    )
    run_options(options)  # checks the rest, the way every face's run does
    return options
