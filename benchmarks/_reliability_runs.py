"""What every reliability scenario shares: its size and timings, its simulator, its call.

``reliability_table.py`` runs the scenarios; this module says how big and how
fast they are and how each one calls ``enrich()``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import sfy_pandas
import sfy_pandas.client._client as client_module
from sfy_pandas.simulator import ServerHandle, serve_in_thread

SEED = 91


@dataclass(frozen=True)
class Setup:
    """How big and how fast: the figures, not the waiting, are the point."""

    rows: int
    #: Lookup timings for the fault scenarios (lookups that time out do so at the cap).
    fast: dict[str, float]
    #: For the kills: every answer takes a few tens of ms, as over a network, so
    #: creates and polls last long enough to be interrupted at a chosen point.
    killable: dict[str, float]
    poll_interval: float


FULL = Setup(
    rows=1_000,
    fast={"pending_seconds": 0.1, "resolve_seconds": 0.5, "resolve_spread": 0.3,
          "timeout_seconds": 1.5},
    killable={"slow_rate": 1.0, "slow_seconds": 0.08, "pending_seconds": 0.2,
              "resolve_seconds": 1.0, "resolve_spread": 0.25, "timeout_seconds": 2.0},
    poll_interval=0.2,
)  # fmt: skip
QUICK = Setup(
    rows=100,
    fast={"pending_seconds": 0.03, "resolve_seconds": 0.15, "resolve_spread": 0.3,
          "timeout_seconds": 0.5},
    killable={"slow_rate": 1.0, "slow_seconds": 0.05, "pending_seconds": 0.1,
              "resolve_seconds": 0.5, "resolve_spread": 0.25, "timeout_seconds": 1.0},
    poll_interval=0.1,
)  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def enrich(
    frame: pd.DataFrame, server: ServerHandle, setup: Setup, **options: Any
) -> sfy_pandas.EnrichmentRun:
    call: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": server.api_key,
        "journal": "off",
        "progress": None,
        "poll_interval": setup.poll_interval,
    }
    call.update(options)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the low-balance warning, said in the table instead
        run: sfy_pandas.EnrichmentRun = frame.salesfinity.enrich("linkedin_url", **call)
        return run


@contextlib.contextmanager
def simulator(timings: dict[str, float], **knobs: Any) -> Iterator[ServerHandle]:
    server = serve_in_thread(**{**timings, "seed": SEED, **knobs})
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def read_timeout(seconds: float) -> Iterator[None]:
    """enrich() takes no timeout: shorten the client's named default for the scenario."""
    saved = client_module.DEFAULT_READ_TIMEOUT  # type: ignore[attr-defined]
    client_module.DEFAULT_READ_TIMEOUT = seconds  # type: ignore[attr-defined]
    try:
        yield
    finally:
        client_module.DEFAULT_READ_TIMEOUT = saved  # type: ignore[attr-defined]
