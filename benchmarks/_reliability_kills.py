"""The reliability scenarios that kill a run: SIGKILL at a chosen point, then a rerun.

A child process enriches the leads against a simulator served from this
process; a watch on the simulator's ledger says when to kill it. Two children
on overlapping frames and one journal are the last scenario.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from _reliability_count import Result, _profile, result
from _reliability_runs import ROOT, SEED, Setup, enrich, simulator

from sfy_pandas._sample import messy_leads
from sfy_pandas.simulator import ServerHandle
from sfy_pandas.simulator._ledger import Ledger

CHILD = textwrap.dedent(
    """
    import json, sys
    import sfy_pandas
    from sfy_pandas._sample import messy_leads

    base_url, api_key, journal, rows, seed, start, stop, poll, out = sys.argv[1:10]
    frame = messy_leads(int(rows), seed=int(seed)).iloc[int(start):int(stop)].copy()
    run = frame.salesfinity.enrich("linkedin_url", base_url=base_url, api_key=api_key,
                                   journal=journal, progress=None, poll_interval=float(poll))
    frame.to_pickle(out)
    """
)


def child(
    server: ServerHandle, journal: Path, setup: Setup, span: tuple[int, int], out: Path
) -> subprocess.Popen[str]:
    args = [server.base_url, server.api_key, str(journal), str(setup.rows), str(SEED)]
    args += [str(span[0]), str(span[1]), str(setup.poll_interval), str(out)]
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def profiles(rows: int) -> int:
    return len({_profile(c) for c in messy_leads(rows, seed=SEED)["linkedin_url"]} - {None})


def kill_points(total: int) -> dict[str, Callable[[Ledger], bool]]:
    """When to kill, read from the simulator's ledger."""
    memory: dict[str, int] = {}

    def polls_since(name: str, ready: bool, ledger: Ledger, polls: int) -> bool:
        if not ready:
            return False
        seen = ledger.requests.get("batch_query", 0)
        memory.setdefault(name, seen)
        return seen >= memory[name] + polls

    return {
        "early in the creates": lambda ledger: ledger.lookups_created >= 10,
        "mid-creates": lambda ledger: ledger.lookups_created >= total // 2,
        "right after the last create": lambda ledger: ledger.lookups_created >= total,
        # Every create answered and two status queries since: only polling is left.
        "while polling": lambda ledger: polls_since(
            "polling", ledger.lookups_created >= total, ledger, 2
        ),
        # Nine in ten lookups final, and a status query since: its answers are
        # being written to the journal.
        "near the end, journaling results": lambda ledger: polls_since(
            "end",
            ledger.lookups_created >= total and sum(ledger.outcomes.values()) >= 0.9 * total,
            ledger,
            1,
        ),
    }


def kill_scenario(setup: Setup, point: str) -> Result:
    watch = kill_points(profiles(setup.rows))[point]
    with tempfile.TemporaryDirectory() as folder, simulator(setup.killable) as server:
        journal = Path(folder) / "journal.sqlite3"
        process = child(server, journal, setup, (0, setup.rows), Path(folder) / "out.pkl")
        deadline = time.monotonic() + 120
        while not watch(server.ledger):
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the run ended before the kill point ({point})")
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        if process.returncode != -signal.SIGKILL:
            raise RuntimeError(f"the run finished before the kill ({point})")
        frame = messy_leads(setup.rows, seed=SEED)
        stats = enrich(frame, server, setup, journal=str(journal)).stats
        assert stats is not None
        doubt = stats.in_doubt
        note = f"rerun: {doubt} create{'s' * (doubt != 1)} in doubt, {stats.created} sent"
        return result(f"SIGKILL {point}, then rerun", frame, server, note)


def two_processes_scenario(setup: Setup) -> Result:
    third = setup.rows // 3
    with tempfile.TemporaryDirectory() as folder, simulator(setup.killable) as server:
        journal = Path(folder) / "journal.sqlite3"
        outs = [Path(folder) / "a.pkl", Path(folder) / "b.pkl"]
        spans = [(0, 2 * third), (third, setup.rows)]
        processes = [child(server, journal, setup, s, o) for s, o in zip(spans, outs, strict=True)]
        for process in processes:
            _out, err = process.communicate(timeout=300)
            if process.returncode != 0:
                raise RuntimeError(err[-2000:])
        a, b = (pd.read_pickle(out) for out in outs)
        whole = pd.concat([a.iloc[:third], b])  # every row once
        note = f"{third} rows in both frames, run at the same time"
        return result("two processes, overlapping frames, one journal", whole, server, note)
