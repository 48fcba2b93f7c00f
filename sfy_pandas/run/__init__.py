"""The run: one object that owns a run's client, pace, journal and engine.

:class:`Enrichment` takes batches of profiles; :func:`start` / :func:`astart`
run one frame's rows as a batch and hand back the :class:`EnrichmentRun` the
analyst holds.
"""

from ._enrichment import BatchStop, Enrichment
from ._handle import EnrichmentRun, last_run
from ._launch import astart, start
from ._options import EnrichKeywords, RunOptions

__all__ = [
    "BatchStop",
    "EnrichKeywords",
    "Enrichment",
    "EnrichmentRun",
    "RunOptions",
    "astart",
    "last_run",
    "start",
]
