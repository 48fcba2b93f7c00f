"""``sfy-pandas demo``: the whole path on a fresh machine, with no key and no network.

It starts the bundled simulator on loopback, enriches the bundled sample of
messy leads the way ``sfy-pandas enrich`` enriches a file, and writes the
result. The emails are made up by the simulator.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._sample import messy_leads, sample_leads_path
from ..frame._files import ChunkWriter, read_chunks
from ..run import Enrichment, RunOptions
from ..run._target import Target
from ._chunks import Totals, enrich_chunks

__all__ = ["DEMO_COLUMN", "DemoResult", "demo_leads", "run_demo"]

#: The sample's LinkedIn column.
DEMO_COLUMN = "linkedin_url"
#: Rows in the bundled sample; more are generated with the same seed.
SAMPLE_ROWS = 600
_SAMPLE_SEED = 7


@dataclass
class DemoResult:
    """What the demo did: the run's totals, the requests the simulator saw, the file."""

    totals: Totals
    requests: int
    out: Path
    examples: pd.DataFrame


def demo_leads(rows: int = SAMPLE_ROWS) -> pd.DataFrame:
    """The first ``rows`` sample leads: the bundled file, extended with the same generator."""
    if rows <= SAMPLE_ROWS:
        frame: pd.DataFrame = next(read_chunks(sample_leads_path(), SAMPLE_ROWS)).head(rows)
        return frame
    # The bundled file is messy_leads(600, seed=7): the same seed gives the same
    # first 600 rows, and more after them.
    return messy_leads(rows, seed=_SAMPLE_SEED)


def run_demo(
    rows: int = SAMPLE_ROWS,
    out: str | os.PathLike[str] = "sample_leads_enriched.csv",
    *,
    progress: bool = True,
    poll_interval: float = 0.5,
) -> DemoResult:
    """Enrich ``rows`` sample leads against a fresh simulator and write them to ``out``.

    Needs the ``simulator`` extra. The journal is a temporary file: a fresh
    simulator knows none of the ids an earlier demo received.
    """
    from ..simulator import serve_in_thread

    leads = demo_leads(rows)
    with (
        serve_in_thread() as server,
        tempfile.TemporaryDirectory(prefix="sfy-demo-") as scratch,
        ChunkWriter(out) as writer,
    ):
        options = RunOptions(
            journal=str(Path(scratch) / "journal.sqlite3"), poll_interval=poll_interval
        )
        target = Target(server.base_url, server.api_key, "simulator")
        with Enrichment(options, target=target) as enrichment:
            totals = enrich_chunks(
                [leads], writer, DEMO_COLUMN, enrichment, progress="text" if progress else None
            )
        writer.commit()
        requests = sum(server.ledger.requests.values())
    found = leads[leads["salesfinity_email"].notna()]
    examples = (
        found[["first_name", "last_name", "company", "salesfinity_email"]]
        .drop_duplicates("salesfinity_email")
        .head(5)
    )
    return DemoResult(totals, requests, Path(out), examples)
