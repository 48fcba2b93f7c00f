"""The engine: pure asyncio, no pandas. Unique profiles in, ``Update``s out."""

from ._engine import Engine, EngineOptions, Job, RunStats, Update

__all__ = ["Engine", "EngineOptions", "Job", "RunStats", "Update"]
