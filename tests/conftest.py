"""Shared fixtures: a simulator over real HTTP, and the ground truth to check rows against."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._models import Lookup
from sfy_pandas.simulator import ServerHandle, serve_in_thread

if TYPE_CHECKING:
    from sfy_pandas import AsyncSalesfinity
    from sfy_pandas.engine import Engine

#: Fast lookups, so a 1,000-row run takes seconds.
FAST = {"pending_seconds": 0.1, "resolve_seconds": 0.5, "resolve_spread": 0.3}


@pytest.fixture
def serve() -> Iterator[Callable[..., ServerHandle]]:
    """Start simulators with the given knobs; all are stopped after the test."""
    started: list[ServerHandle] = []

    def start(**knobs: Any) -> ServerHandle:
        server = serve_in_thread(**{**FAST, **knobs})
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _own_journal(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's default journal is its own file, never the user's cache dir.

    So is the bundled simulator's state file.

    Runs journal by default (the simulator's too): tests running side by side
    (pytest-xdist) must not share one file, nor leave entries in the user's.
    """
    folder = tmp_path_factory.mktemp("journal")
    monkeypatch.setenv("SALESFINITY_JOURNAL", str(folder / "journal.sqlite3"))
    # The bundled simulator's state file too (read when it first starts in a worker).
    monkeypatch.setenv("SALESFINITY_SIMULATOR_STATE", str(folder / "simulator.sqlite3"))


@pytest.fixture
def journal_path(tmp_path: Path) -> str:
    return str(tmp_path / "journal.sqlite3")


def enrich_kwargs(server: ServerHandle, journal: str = "off", **extra: Any) -> dict[str, Any]:
    """What every test passes to enrich(): the simulator, quick polling, no widget."""
    return {
        "base_url": server.base_url,
        "api_key": server.api_key,
        "journal": journal,
        "progress": None,
        "poll_interval": 0.2,
        **extra,
    }


def assert_rows_match_ground_truth(
    frame: pd.DataFrame, server: ServerHandle, column: str = "linkedin_url", kind: str = "work"
) -> None:
    """Every row has the status and email the simulator's ground truth gives its profile."""
    wrong = []
    for position, cell in enumerate(frame[column].to_numpy(dtype=object)):
        status = frame["salesfinity_status"].iloc[position]
        email = frame["salesfinity_email"].iloc[position]
        parsed = parse_profile(cell)
        if not isinstance(parsed, ProfileURL):
            expected: tuple[object, object] = ("invalid", None)
        else:
            truth = server.simulator.expected_outcome(parsed.url, kind)
            expected = (truth.status, truth.email)
        got = (status, None if pd.isna(email) else email)
        if got != expected:
            wrong.append((position, cell, got, expected))
    assert not wrong, f"{len(wrong)} rows differ from the ground truth, e.g. {wrong[:3]}"


def assert_each_profile_created_once(frame: pd.DataFrame, server: ServerHandle) -> None:
    ledger = server.ledger
    assert ledger.duplicates() == {}
    valid = frame.loc[frame["salesfinity_status"] != "invalid", "linkedin_url"]
    profiles = {parse_profile(cell).url for cell in valid}  # type: ignore[union-attr]
    assert ledger.lookups_created == len(profiles)


class Recorder:
    """A LookupAPI in front of the real client: when each id was made, read and answered."""

    def __init__(self, client: AsyncSalesfinity) -> None:
        self.client = client
        self.stats = client.stats
        #: When each lookup's create was answered.
        self.created_at: dict[str, float] = {}
        #: When each create was sent.
        self.create_times: list[float] = []
        #: (time the query was sent, ids asked for)
        self.queries: list[tuple[float, list[str]]] = []
        #: (time the query was sent, time its answer came back, the answer), per query.
        self.answers: list[tuple[float, float, list[Lookup]]] = []
        self.engine: Engine | None = None
        #: (age of the lookup when read, the engine's lower quantile then, resolved so far)
        self.read_ages: list[tuple[float, float, int]] = []
        self.run_seconds = 0.0

    async def create(self, linkedin_url: str, type: str = "work", **kwargs: Any) -> Lookup:
        self.create_times.append(time.monotonic())
        lookup = await self.client.create(linkedin_url, type, **kwargs)
        self.created_at[lookup.id] = time.monotonic()
        return lookup

    async def query(self, ids: Sequence[str]) -> list[Lookup]:
        now = time.monotonic()
        self.queries.append((now, list(ids)))
        if self.engine is not None:
            times = self.engine.lookup_times
            lower = times.quantile(self.engine.options.lower_quantile)
            for lookup_id in ids:
                self.read_ages.append((now - self.created_at[lookup_id], lower, times.resolved))
        answer = await self.client.query(ids)
        self.answers.append((now, time.monotonic(), answer))
        return answer

    async def get(self, id: str) -> Lookup:
        return await self.client.get(id)

    async def credits(self) -> int:
        return await self.client.credits()

    def final_asked_at(self) -> dict[str, float]:
        """When the read that first found each lookup final was sent.

        What the engine decides: the time its answer takes is the server's, and
        the simulator shares the test's process, so on a loaded machine that
        time swings by most of a second.
        """
        found: dict[str, float] = {}
        for sent, _answered, answer in self.answers:
            for lookup in answer:
                if lookup.status.is_final:
                    found.setdefault(lookup.id, sent)
        return found
