"""The run: one object that owns a run's client, pace, journal and engine."""

from ._handle import EnrichmentRun

__all__ = ["EnrichmentRun"]
