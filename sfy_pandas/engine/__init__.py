"""The engine: pure asyncio, no pandas. Unique profiles in, ``Update``s out."""

from ._budget import Budget
from ._engine import Engine
from ._timing import LookupTimes
from ._types import DEFAULT_CREATE_CONCURRENCY, EngineOptions, Job, LookupAPI, RunStats, Update

__all__ = [
    "DEFAULT_CREATE_CONCURRENCY",
    "Budget",
    "Engine",
    "EngineOptions",
    "Job",
    "LookupAPI",
    "LookupTimes",
    "RunStats",
    "Update",
]
