"""``Enrichment``: one run's client, pace, journal and credit budget, for many batches.

Every face builds one from a checked :class:`RunOptions` and hands it batches
of profiles: a frame (``df.salesfinity.enrich``), the chunks of a file
(``sfy-pandas enrich``), later the partitions of a distributed frame. All the
batches share one HTTP pool and the pace it learned from 429s, one journal, one
balance read and one ``max_credits`` budget; each batch is one engine run.

The HTTP client is made on the loop of the first batch (the process's
background loop, or the caller's own for ``aenrich``) and every later batch
must run on that loop too.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .._models import Lookup
from ..client._client import DEFAULT_MAX_CONCURRENCY, AsyncSalesfinity
from ..engine._engine import (
    DEFAULT_CREATE_CONCURRENCY,
    Engine,
    EngineOptions,
    Job,
    RunStats,
    Update,
)
from ..journal._journal import Journal, NullJournal, ProfileKey, open_journal
from ._options import RunOptions
from ._target import Target, resolve_target

__all__ = ["BatchStop", "Enrichment"]


@dataclass
class BatchStop:
    """Where a batch leaves its engine, so a stop asked from another thread reaches it."""

    engine: Engine | None = None
    requested: bool = False

    def stop(self) -> None:  # runs on the batch's loop
        self.requested = True
        if self.engine is not None:
            self.engine.stop()


class Enrichment:
    """Enrich batches of profiles against one API, sharing everything a run learns.

    Use it as a context manager (``with`` from synchronous code, ``async with``
    on the loop that runs its batches), or call :meth:`close` / :meth:`aclose`.
    """

    def __init__(self, options: RunOptions, *, target: Target | None = None) -> None:
        if not isinstance(options, RunOptions):
            raise TypeError(f"options must be a RunOptions, not {type(options).__name__}")
        self.options = options
        self.target = target or resolve_target(options.api_key, options.base_url)
        self._journal: Journal = open_journal(options.journal, base_url=self.target.journal_key)
        self._client: AsyncSalesfinity | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._balance: int | None = None
        #: Credits charged by the batches so far, and lookups they left running
        #: (each may still be charged): what ``max_credits`` has left is the rest.
        self._charged = 0
        self._left_running: set[str] = set()
        self._closed = False

    def __repr__(self) -> str:
        return f"Enrichment({self.target.base_url!r}, {self.options!r})"

    @property
    def journal_path(self) -> Path | None:
        """The journal file every answer is kept in; None when the journal is off."""
        return None if isinstance(self._journal, NullJournal) else self._journal.path

    # -- batches -------------------------------------------------------------

    async def run_batch(
        self,
        jobs: Sequence[Job],
        on_update: Callable[[list[Update]], None],
        *,
        stop: BatchStop | None = None,
        resume: Mapping[str, ProfileKey] | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> RunStats:
        """Run one batch to its end on the running loop; returns the batch's figures.

        ``resume``: lookups already created (id -> profile) to poll, never create;
        their ids come from the caller, so the journal is not consulted for them.
        """
        if self._closed:
            raise RuntimeError("this Enrichment is closed; start a new one")
        client = self._open_client()
        before = _client_counts(client)
        engine = Engine(
            _SharedBalance(self, client),
            NullJournal(base_url=self.target.base_url) if resume else self._journal,
            jobs,
            self._watching(on_update),
            self._engine_options(),
            resume=resume,
            warn=warn or _warn,
        )
        stop = stop or BatchStop()
        stop.engine = engine
        if stop.requested:
            engine.stop()
        try:
            return await engine.run()
        finally:
            _add_client_counts(engine.stats, client, before)
            self._charged += engine.stats.credits_used

    def _open_client(self) -> AsyncSalesfinity:
        loop = asyncio.get_running_loop()
        if self._client is None:
            options = self.options
            concurrency = options.concurrency or DEFAULT_MAX_CONCURRENCY
            self._client = AsyncSalesfinity(
                self.target.api_key,
                base_url=self.target.base_url,
                timeout=options.timeout,
                max_concurrency=concurrency,
                retry=options.retry,
            )
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError("every batch of an Enrichment must run on the same event loop")
        return self._client

    def _engine_options(self) -> EngineOptions:
        options = self.options
        return EngineOptions(
            max_credits=self._credits_left(),
            dry_run=options.dry_run,
            refresh=options.refresh,
            callback_url=options.callback_url,
            create_concurrency=options.concurrency or DEFAULT_CREATE_CONCURRENCY,
            poll_initial=options.poll_interval,
            max_wait=options.max_wait,
        )

    def _credits_left(self) -> int | None:
        limit = self.options.max_credits
        if limit is None:
            return None
        return max(limit - self._charged - len(self._left_running), 0)

    def _watching(
        self, on_update: Callable[[list[Update]], None]
    ) -> Callable[[list[Update]], None]:
        """Pass updates on, noting which lookups are left running for the next budget."""
        running = self._left_running

        def watch(updates: list[Update]) -> None:
            for update in updates:
                if update.lookup_id is None:
                    continue
                if update.status.is_running and not update.cached:
                    running.add(update.lookup_id)
                else:
                    running.discard(update.lookup_id)
            on_update(updates)

        return watch

    async def balance(self, client: AsyncSalesfinity) -> int:
        """The balance, read once per Enrichment, less what its batches spent since."""
        if self._balance is None:
            self._balance = await client.credits()
        return max(self._balance - self._charged, 0)

    # -- closing -------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the HTTP client and the journal; on the loop that ran the batches."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._client is not None:
                await self._client.aclose()
        finally:
            self._journal.close()

    def close(self) -> None:
        """Close from synchronous code (the client's loop is the background one)."""
        if self._closed:
            return
        loop = self._loop
        if self._client is not None and loop is not None and loop.is_running():
            # The client belongs to that loop (the background one): close it there.
            asyncio.run_coroutine_threadsafe(self.aclose(), loop).result()
            return
        self._closed = True
        self._journal.close()

    def __enter__(self) -> Enrichment:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Enrichment:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


class _SharedBalance:
    """The client as the engine sees it, with the balance read once per Enrichment."""

    def __init__(self, run: Enrichment, client: AsyncSalesfinity) -> None:
        self._run = run
        self._client = client

    async def create(
        self,
        linkedin_url: str,
        type: str = "work",
        *,
        external_id: str | None = None,
        callback_url: str | None = None,
    ) -> Lookup:
        return await self._client.create(
            linkedin_url, type, external_id=external_id, callback_url=callback_url
        )

    async def query(self, ids: Sequence[str]) -> list[Lookup]:
        return await self._client.query(ids)

    async def credits(self) -> int:
        return await self._run.balance(self._client)


def _client_counts(client: AsyncSalesfinity) -> tuple[dict[str, int], int, int]:
    stats = client.stats
    return dict(stats.requests), stats.rate_limited, stats.ambiguous_creates


def _add_client_counts(
    stats: RunStats, client: AsyncSalesfinity, before: tuple[dict[str, int], int, int]
) -> None:
    """The batch's own share of the shared client's counters."""
    requests, rate_limited, ambiguous = before
    now = client.stats
    stats.requests = {name: n - requests.get(name, 0) for name, n in now.requests.items()}
    stats.rate_limited = now.rate_limited - rate_limited
    stats.ambiguous_creates = now.ambiguous_creates - ambiguous


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=2)
