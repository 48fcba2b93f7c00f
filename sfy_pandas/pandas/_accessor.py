"""``df.salesfinity``: the pandas face of the library.

Importing this module registers the accessor (a side effect, done once by
``import sfy_pandas``). The accessor keeps no state: pandas 3 builds a new one
on every attribute access. It checks the arguments, maps rows to profiles, and
hands the work to a run object.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._config import API_KEY_ENV, resolve_api_key, resolve_base_url
from .._models import EmailType, Status
from ..client._client import AsyncSalesfinity
from ..engine._engine import DEFAULT_CREATE_CONCURRENCY, Engine, EngineOptions, RunStats
from ..frame import _rows as _frame
from ..journal._journal import Journal, NullJournal, open_journal
from ..progress._snapshot import make_progress
from ..run import _runner
from ..run._handle import EnrichmentRun, _EngineSlot, active_run
from ._arguments import (
    check_callback_url,
    check_column,
    check_count,
    check_flag,
    check_frame,
    check_progress,
    check_runner,
    check_seconds,
    check_type,
)

if TYPE_CHECKING:
    from ..simulator import ServerHandle

__all__ = ["SalesfinityAccessor"]

ProgressMode = Literal["auto", "widget", "text"] | None

#: The value of ``base_url`` that starts the bundled simulator.
SIMULATOR = "simulator"

_NO_KEY = (
    "No Salesfinity API key. Set it once with os.environ['{env}'] = '...' (or %env {env}=... "
    "in a notebook), or pass api_key='...'. To try sfy_pandas without a key, use the "
    "bundled simulator, which makes up fake emails: base_url='simulator'."
)


@dataclass(frozen=True)
class _Target:
    """Which API a run talks to, and how it is announced."""

    base_url: str
    api_key: str
    note: str

    def __repr__(self) -> str:  # the key stays out of every repr
        return f"_Target(base_url={self.base_url!r}, note={self.note!r})"


def _target(api_key: str | None, base_url: str | None) -> _Target:
    if base_url == SIMULATOR:
        server = _bundled_simulator()
        return _Target(server.base_url, server.api_key, "simulator")
    key = resolve_api_key(api_key)
    if key is None:
        raise ValueError(_NO_KEY.format(env=API_KEY_ENV))
    url = resolve_base_url(base_url)
    return _Target(url, key, "")


_simulator_lock = threading.Lock()
_simulator: ServerHandle | None = None


def _bundled_simulator() -> ServerHandle:
    """The process's one bundled simulator, so ``status()`` finds ``enrich()``'s lookups."""
    global _simulator  # noqa: PLW0603 - one simulator per process is the point
    with _simulator_lock:
        if _simulator is None or not _simulator.running:
            from ..simulator import start

            _simulator = start()
        return _simulator


def _journal_for(journal: str | os.PathLike[str] | None, target: _Target) -> Journal:
    """The journal, except that the bundled simulator's runs are not journaled by default.

    Its lookups live only as long as the process, on a port that changes every
    time: remembering them would make a later process poll ids nobody knows.
    """
    if journal is None and target.note == "simulator":
        return NullJournal(base_url=target.base_url)
    return open_journal(journal, base_url=target.base_url)


@pd.api.extensions.register_dataframe_accessor("salesfinity")
class SalesfinityAccessor:
    """Enrich the frame's leads with emails: ``df.salesfinity.enrich("linkedin_url")``."""

    def __init__(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"df.salesfinity works on a DataFrame, not {type(frame).__name__}")
        self._frame = frame

    def enrich(
        self,
        column: Hashable,
        *,
        type: EmailType | str = EmailType.WORK,
        external_id: Hashable | None = None,
        progress: ProgressMode = "auto",
        wait: bool = True,
        max_credits: int | None = None,
        dry_run: bool = False,
        refresh: bool = False,
        api_key: str | None = None,
        base_url: str | None = None,
        journal: str | os.PathLike[str] | None = None,
        concurrency: int | None = None,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        callback_url: str | None = None,
        runner: _runner.RunnerName = "thread",
    ) -> EnrichmentRun:
        """Find an email for every row's LinkedIn profile; fills the frame in place.

        Adds ``salesfinity_status``, ``salesfinity_email``, ``salesfinity_email_type``,
        ``salesfinity_id`` and ``salesfinity_error``. Each profile is sent once,
        however many rows or spellings it has; cells that are not a
        ``linkedin.com/in/`` profile are marked ``invalid`` and never sent.

        - ``type``: ``"work"`` or ``"personal"``. ``external_id``: a column whose
          values are sent along and echoed back by the API.
        - ``progress``: ``"auto"`` (a widget in Jupyter, a text line elsewhere),
          ``"widget"``, ``"text"`` or ``None``.
        - ``wait=False`` returns at once; ``run.wait()`` or ``df.salesfinity.status()``
          brings the frame up to date.
        - ``max_credits``: never start more lookups than could be charged.
          ``dry_run``: count profiles and the maximum cost, send nothing.
          ``refresh``: ask again for profiles the journal already has answers for.
        - ``api_key`` / ``base_url``: else ``SALESFINITY_API_KEY`` /
          ``SALESFINITY_BASE_URL``. ``base_url="simulator"`` uses the bundled
          simulator (fake emails).
        - ``journal``: the SQLite file that makes a rerun resume instead of
          re-paying; else ``SALESFINITY_JOURNAL``, else the user cache dir; ``"off"``.

        Returns the run; its repr is a short summary.
        """
        check_runner(runner)
        check_flag("wait", wait)
        plan = self._plan(
            column,
            kind=type,
            external_id=external_id,
            progress=progress,
            max_credits=max_credits,
            dry_run=dry_run,
            refresh=refresh,
            api_key=api_key,
            base_url=base_url,
            journal=journal,
            concurrency=concurrency,
            poll_interval=poll_interval,
            max_wait=max_wait,
            callback_url=callback_url,
        )
        return _launch(self._frame, plan, progress=progress, wait=wait, runner=runner)

    async def aenrich(
        self,
        column: Hashable,
        *,
        type: EmailType | str = EmailType.WORK,
        external_id: Hashable | None = None,
        progress: ProgressMode = "auto",
        max_credits: int | None = None,
        dry_run: bool = False,
        refresh: bool = False,
        api_key: str | None = None,
        base_url: str | None = None,
        journal: str | os.PathLike[str] | None = None,
        concurrency: int | None = None,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        callback_url: str | None = None,
    ) -> EnrichmentRun:
        """``enrich()`` for async code and top-level ``await``: runs on the caller's loop."""
        plan = self._plan(
            column,
            kind=type,
            external_id=external_id,
            progress=progress,
            max_credits=max_credits,
            dry_run=dry_run,
            refresh=refresh,
            api_key=api_key,
            base_url=base_url,
            journal=journal,
            concurrency=concurrency,
            poll_interval=poll_interval,
            max_wait=max_wait,
            callback_url=callback_url,
        )
        run = _new_run(self._frame, plan, progress)
        stats = await _engine_coroutine(run, plan, direct=True)(_EngineSlot())
        run.finish(stats)
        return run

    def status(
        self,
        *,
        progress: ProgressMode = "auto",
        wait: bool = True,
        api_key: str | None = None,
        base_url: str | None = None,
        poll_interval: float = 1.0,
        max_wait: float | None = None,
        runner: _runner.RunnerName = "thread",
    ) -> EnrichmentRun:
        """Refresh the rows still running, from the ids stored in the frame.

        Works on a frame re-read from CSV in a new kernel. With ``wait=True`` it
        polls until those rows are final (or ``max_wait`` seconds pass).
        """
        frame = self._frame
        pending = active_run(frame)
        if pending is not None:
            return pending.wait() if wait else pending
        check_frame(frame)
        check_progress(progress)
        check_runner(runner)
        check_flag("wait", wait)
        check_seconds("poll_interval", poll_interval, allow_none=False)
        check_seconds("max_wait", max_wait, allow_none=True)
        for name in (_frame.STATUS, _frame.ID):
            if name not in frame.columns:
                raise ValueError(
                    f"this frame has no {name!r} column: it was never enriched; "
                    "call df.salesfinity.enrich(column) first"
                )
        _frame.check_columns(frame)
        row_map, resume = _status_rows(frame)
        target = _target(api_key, base_url)
        plan = _Plan(
            row_map,
            target,
            # The ids come from the frame, so the journal has nothing to add.
            NullJournal(base_url=target.base_url),
            EngineOptions(poll_initial=poll_interval, max_wait=max_wait),
            resume=resume,
            description="Salesfinity status",
        )
        return _launch(frame, plan, progress=progress, wait=wait, runner=runner)

    # -- checks --------------------------------------------------------------

    def _plan(
        self,
        column: Hashable,
        *,
        kind: EmailType | str,
        external_id: Hashable | None,
        progress: ProgressMode,
        max_credits: int | None,
        dry_run: bool,
        refresh: bool,
        api_key: str | None,
        base_url: str | None,
        journal: str | os.PathLike[str] | None,
        concurrency: int | None,
        poll_interval: float,
        max_wait: float | None,
        callback_url: str | None,
    ) -> _Plan:
        """Check every argument of enrich(), then say what the run will do."""
        frame = self._frame
        check_frame(frame)
        check_column("column", frame, column)
        if external_id is not None:
            check_column("external_id", frame, external_id)
        kind = check_type(kind)
        check_progress(progress)
        check_count("max_credits", max_credits, minimum=0)
        check_count("concurrency", concurrency, minimum=1)
        check_seconds("poll_interval", poll_interval, allow_none=False)
        check_seconds("max_wait", max_wait, allow_none=True)
        check_callback_url(callback_url)
        check_flag("dry_run", dry_run)
        check_flag("refresh", refresh)
        _frame.check_columns(frame)
        row_map = _frame.map_rows(frame, column, kind, external_id)
        target = _target(api_key, base_url)
        options = EngineOptions(
            max_credits=max_credits,
            dry_run=bool(dry_run),
            refresh=bool(refresh),
            callback_url=callback_url,
            create_concurrency=concurrency or DEFAULT_CREATE_CONCURRENCY,
            poll_initial=poll_interval,
            max_wait=max_wait,
        )
        return _Plan(row_map, target, _journal_for(journal, target), options)


@dataclass
class _Plan:
    """Everything a run needs, checked: its rows, its API, its journal, its options."""

    row_map: _frame.RowMap
    target: _Target
    store: Journal
    options: EngineOptions
    #: Lookups to poll without creating (status()): id -> profile key.
    resume: dict[str, tuple[str, str]] = field(default_factory=dict)
    description: str = "Salesfinity"


def _status_rows(frame: pd.DataFrame) -> tuple[_frame.RowMap, dict[str, tuple[str, str]]]:
    """The rows ``status()`` refreshes: running, with an id; keyed by id."""
    statuses = frame[_frame.STATUS].to_numpy(dtype=object)
    ids = frame[_frame.ID].to_numpy(dtype=object)
    running = {Status.PENDING.value, Status.PROCESSING.value}
    positions: dict[tuple[str, str], list[int]] = {}
    for position, (status, cell) in enumerate(zip(statuses, ids, strict=True)):
        lookup_id = _lookup_id(cell)
        if status in running and lookup_id:
            positions.setdefault((lookup_id, ""), []).append(position)
    rows = {key: np.asarray(found, dtype=np.intp) for key, found in positions.items()}
    row_map = _frame.RowMap(
        total=sum(len(r) for r in rows.values()), rows=rows, jobs=[], invalid=[]
    )
    row_map.counts = {Status.PENDING: row_map.total}
    return row_map, {key[0]: key for key in rows}


def _lookup_id(cell: object) -> str | None:
    """An id as stored in the frame; a CSV reader may have made an all-digit id a number."""
    if isinstance(cell, str):
        return cell.strip() or None
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
        return f"{int(cell):024d}"  # ids are 24 characters: the zeros a number lost
    return None


def _new_run(frame: pd.DataFrame, plan: _Plan, progress: ProgressMode) -> EnrichmentRun:
    row_map = plan.row_map
    _frame.prepare_columns(frame)
    if row_map.jobs or row_map.invalid:  # enrich(): every row is answered anew
        _frame.clear_rows(frame, np.arange(row_map.total, dtype=np.intp))
        _frame.write_invalid(frame, row_map.invalid)
    view = make_progress(progress, description=plan.description)
    return EnrichmentRun(
        frame,
        row_map,
        view,
        note=plan.target.note,
        resume_hint=(
            "Stopped. Every lookup already sent is kept; run the same enrich() again to send "
            "the rest (nothing is paid twice), or df.salesfinity.status() to refresh running rows."
        ),
    )


def _engine_coroutine(
    run: EnrichmentRun, plan: _Plan, *, direct: bool
) -> Callable[[_EngineSlot], Coroutine[Any, Any, RunStats]]:
    """The coroutine that runs the engine, to be started on the loop that runs it.

    ``direct``: the loop is the caller's own (aenrich, nest-asyncio), so updates
    are written straight into the frame instead of queued for another thread.
    """
    on_update = run.ingest if direct else run.enqueue
    target = plan.target

    async def go(slot: _EngineSlot) -> RunStats:
        try:
            async with AsyncSalesfinity(target.api_key, base_url=target.base_url) as client:
                engine = Engine(
                    client,
                    plan.store,
                    plan.row_map.jobs,
                    on_update,
                    plan.options,
                    resume=plan.resume,
                    warn=_warn_here if direct else run.enqueue_warning,
                )
                slot.engine = engine
                if slot.stop_requested:
                    engine.stop()
                try:
                    return await engine.run()
                finally:
                    engine.stats.requests = dict(client.stats.requests)
                    engine.stats.rate_limited = client.stats.rate_limited
                    engine.stats.ambiguous_creates = client.stats.ambiguous_creates
        finally:
            plan.store.close()

    return go


def _warn_here(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=2)


def _launch(
    frame: pd.DataFrame,
    plan: _Plan,
    *,
    progress: ProgressMode,
    wait: bool,
    runner: _runner.RunnerName,
) -> EnrichmentRun:
    run = _new_run(frame, plan, progress)
    if runner == "nest-asyncio":
        run.finish(_runner.run_nested(_engine_coroutine(run, plan, direct=True)(_EngineSlot())))
        return run
    run.start(_engine_coroutine(run, plan, direct=False))
    return run.wait() if wait else run
