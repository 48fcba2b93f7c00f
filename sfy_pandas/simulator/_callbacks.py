"""Callback delivery: POST the resolved lookup to its ``callback_url`` (API.md section 5).

Each lookup with a callback gets one task that sleeps until the lookup resolves,
then POSTs the section-2 object, up to ``callback_attempts`` times with doubling
waits. A seeded share is delivered twice, since delivery is at least once.
"""

from __future__ import annotations

import asyncio
import random
import time

import httpx

from ._config import SimulatorConfig
from ._store import RESOLVED, LookupRecord, LookupStore

__all__ = ["CallbackDispatcher"]

_HEADERS = {"content-type": "application/json", "user-agent": "sfy-pandas-simulator"}


class CallbackDispatcher:
    """Schedules and sends callbacks on the event loop that serves the app."""

    def __init__(self, config: SimulatorConfig, store: LookupStore) -> None:
        self._config = config
        self._store = store
        self._rng = random.Random(f"sfy-simulator-callbacks:{config.seed}")
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def schedule(self, record: LookupRecord) -> None:
        """Arrange for ``record``'s callback to be sent when it resolves."""
        rate = self._config.callback_duplicate_rate
        copies = 2 if rate and self._rng.random() < rate else 1
        task = asyncio.get_running_loop().create_task(self._deliver(record, copies))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def pending(self) -> int:
        """Callbacks scheduled and not yet finished."""
        return len(self._tasks)

    async def aclose(self) -> None:
        """Cancel callbacks still waiting and close the HTTP client."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None and self._client_loop is asyncio.get_running_loop():
            await client.aclose()

    async def _deliver(self, record: LookupRecord, copies: int) -> None:
        await asyncio.sleep(max(0.0, record.resolved_at - time.monotonic()))
        url = record.callback_url
        assert url is not None
        body = record.render(RESOLVED)
        client = self._http_client()
        for copy in range(copies):
            if copy:
                self._store.count_callback_duplicated()
            await self._post(client, url, body)

    async def _post(self, client: httpx.AsyncClient, url: str, body: bytes) -> None:
        backoff = self._config.callback_backoff_seconds
        for attempt in range(self._config.callback_attempts):
            if attempt:
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
            try:
                response = await client.post(url, content=body, headers=_HEADERS)
                delivered = response.is_success
            except httpx.HTTPError:
                delivered = False
            self._store.count_callback(delivered=delivered)
            if delivered:
                return
        self._store.count_callback_abandoned()

    def _http_client(self) -> httpx.AsyncClient:
        # One client per event loop: connections belong to the loop that opened them.
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = httpx.AsyncClient(
                timeout=self._config.callback_timeout_seconds,
                # A receiver on loopback must not be routed through a proxy from the env.
                trust_env=False,
            )
            self._client_loop = loop
        return self._client
