"""Nothing lost, nothing paid twice: every fault scenario against the simulator, as a table.

Each scenario enriches the same messy leads (``messy_leads``) over real HTTP
against a simulator that misbehaves in one way, or kills the run with SIGKILL
and runs it again on the same journal, then counts from the simulator's ledger
and the ground truth:

- **duplicates**: lookups created beyond one per profile (each may be charged);
- **lost rows**: rows left without a final status, with a wrong answer, or
  ``error``/``not-sent`` without a reason;
- **charged / completed**: credits the simulator charged, against the profiles
  the frame shows as ``completed``.

    python benchmarks/reliability_table.py           # 1,000 rows a scenario
    python benchmarks/reliability_table.py --quick   # 100 rows, quicker lookups: a smoke test

Prints a markdown table.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import logging
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

import sfy_pandas
import sfy_pandas.client._client
from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._sample import messy_leads
from sfy_pandas.simulator import ServerHandle, serve_in_thread
from sfy_pandas.simulator._ledger import Ledger

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
API_FINAL = {"completed", "not-found", "failed", "timeout"}
EXPLAINED = {"invalid", "error", "not-sent"}


@dataclass
class Result:
    fault: str
    rows: int
    duplicates: int
    lost_answers: int
    lost_rows: int
    charged: int
    completed: int
    note: str = ""

    def row(self) -> str:
        dup = f"{self.duplicates}"
        if self.lost_answers:
            dup += f" ({self.lost_answers} answers lost)"
        charged = f"{self.charged} / {self.completed}"
        if self.charged != self.completed:
            charged += f" (+{self.charged - self.completed} on re-sent lookups)"
        return (
            f"| {self.fault} | {self.rows:,} | {dup} | {self.lost_rows} | {charged} | {self.note} |"
        )


# --- counting -----------------------------------------------------------------------


def _profile(cell: object) -> str | None:
    parsed = parse_profile(cell)
    return parsed.url if isinstance(parsed, ProfileURL) else None


def lost_rows(frame: pd.DataFrame, server: ServerHandle) -> int:
    """Rows without a final status, with a wrong answer, or held back without a reason."""
    lost = 0
    columns = ("linkedin_url", "salesfinity_status", "salesfinity_email", "salesfinity_error")
    for cell, status, email, error in zip(*(frame[c] for c in columns), strict=True):
        if pd.isna(status):
            lost += 1
        elif status in API_FINAL:
            url = _profile(cell)
            truth = server.simulator.expected_outcome(url, "work") if url else None
            got = (status, None if pd.isna(email) else email)
            lost += truth is None or got != (truth.status, truth.email)
        elif status in EXPLAINED:
            lost += pd.isna(error) or not str(error).strip()
            lost += status == "invalid" and _profile(cell) is not None
        else:
            lost += 1  # still pending or processing
    return lost


def completed_profiles(frame: pd.DataFrame) -> int:
    done = frame.loc[frame["salesfinity_status"] == "completed", "linkedin_url"]
    return len({_profile(cell) for cell in done})


def extra_lookups(ledger: Ledger) -> int:
    return sum(count - 1 for count in ledger.duplicates().values())


def _short(reason: str) -> str:
    """A reason in a few words.

    ``not sent: the run failed (The key was refused. Check ...)`` becomes
    ``the run failed: The key was refused``.
    """
    text = reason.removeprefix("not sent: ")
    found = re.fullmatch(r"(.*?) \((.*)\)", text)
    if found is None or " " not in found[2]:
        return text.split(". ")[0]
    return f"{found[1]}: {found[2].split('. ')[0]}"


def held_back(frame: pd.DataFrame) -> str:
    """The rows an analyst must act on, and why, in a few words."""
    rows = frame[frame["salesfinity_status"].isin(["error", "not-sent"])]
    if rows.empty:
        return ""
    statuses = "/".join(sorted(set(rows["salesfinity_status"])))
    reasons = collections.Counter(_short(str(reason)) for reason in rows["salesfinity_error"])
    if len(reasons) == 1:
        return f"{len(rows)} rows {statuses}: {next(iter(reasons))}"
    shown = "; ".join(f"{n} {reason}" for reason, n in reasons.most_common(2))
    return f"{len(rows)} rows {statuses}: {shown}"


def trouble(ledger: Ledger, every_answer_slow: bool = False) -> str:
    """What the simulator did to the client, from its ledger."""
    parts = []
    if ledger.rate_limited:
        parts.append(f"{ledger.rate_limited} answered 429")
    server_errors = sum(ledger.faults.get(code, 0) for code in ("500", "502", "503"))
    if server_errors:
        parts.append(f"{server_errors} answered 5xx")
    if ledger.faults.get("drop"):
        parts.append(f"{ledger.faults['drop']} connections dropped")
    if ledger.faults.get("slow") and not every_answer_slow:  # the kills' set-up, not a fault
        parts.append(f"{ledger.faults['slow']} answers delayed")
    if ledger.responses.get(402):
        parts.append(f"{ledger.responses[402]} answered 402")
    return ", ".join(parts)


def result(fault: str, frame: pd.DataFrame, server: ServerHandle, note: str = "") -> Result:
    ledger = server.ledger
    slow_setup = server.simulator.config.slow_rate == 1.0
    notes = [part for part in (trouble(ledger, slow_setup), note, held_back(frame)) if part]
    return Result(
        fault=fault,
        rows=len(frame),
        duplicates=extra_lookups(ledger),
        lost_answers=ledger.lost_responses,
        lost_rows=lost_rows(frame, server),
        charged=ledger.credits_charged,
        completed=completed_profiles(frame),
        note="; ".join(notes),
    )


# --- scenarios ----------------------------------------------------------------------


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
        return frame.salesfinity.enrich("linkedin_url", **call)


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
    saved = sfy_pandas.client._client.DEFAULT_READ_TIMEOUT
    sfy_pandas.client._client.DEFAULT_READ_TIMEOUT = seconds
    try:
        yield
    finally:
        sfy_pandas.client._client.DEFAULT_READ_TIMEOUT = saved


def fault_scenario(setup: Setup, fault: str, knobs: dict[str, Any], note: str = "") -> Result:
    with simulator(setup.fast, **knobs) as server:
        frame = messy_leads(setup.rows, seed=SEED)
        enrich(frame, server, setup)
        return result(fault, frame, server, note)


def slow_scenario(setup: Setup) -> Result:
    with read_timeout(0.5), simulator(setup.fast, slow_rate=0.05, slow_seconds=1.0) as server:
        frame = messy_leads(setup.rows, seed=SEED)
        run = enrich(frame, server, setup)
        note = f"read time-out 0.5 s: {run.stats.ambiguous_creates} creates timed out"
        return result("5% answers slower than the read time-out", frame, server, note)


def balance_scenario(setup: Setup) -> Result:
    # Lookups resolve within a few tens of ms here, so completed ones use the
    # balance up while creates are still going out.
    balance = setup.rows // 7
    timings = {"pending_seconds": 0.01, "resolve_seconds": 0.05, "resolve_spread": 0.3}
    with simulator({**setup.fast, **timings}, balance=balance) as server:
        frame = messy_leads(setup.rows, seed=SEED)
        enrich(frame, server, setup)
        note = f"starting balance {balance}"
        return result("balance runs out mid-run (402)", frame, server, note)


def wrong_key_scenario(setup: Setup) -> Result:
    with simulator(setup.fast, api_key="the-right-key") as server:
        frame = messy_leads(setup.rows, seed=SEED)
        try:
            enrich(frame, server, setup, api_key="a-wrong-key")
        except sfy_pandas.AuthenticationError:
            pass
        else:
            raise AssertionError("a wrong key was accepted")
        return result("wrong API key (401)", frame, server, "one AuthenticationError")


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
        run = enrich(frame, server, setup, journal=str(journal))
        doubt = run.stats.in_doubt
        note = f"rerun: {doubt} create{'s' * (doubt != 1)} in doubt, {run.stats.created} sent"
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


def scenarios(setup: Setup) -> list[tuple[str, Callable[[], Result]]]:
    limit = {"rate_limit": 200, "burst": 5}
    found: list[tuple[str, Callable[[], Result]]] = [
        ("no fault", lambda: fault_scenario(setup, "no fault", {})),
        ("429", lambda: fault_scenario(setup, "429, `Retry-After` in seconds", limit)),
        (
            "429 date",
            lambda: fault_scenario(
                setup, "429, `Retry-After` as an HTTP date", {**limit, "retry_after": "date"}
            ),
        ),
        (
            "429 none",
            lambda: fault_scenario(
                setup, "429, no `Retry-After`", {**limit, "retry_after": "none"}
            ),
        ),
        ("5xx", lambda: fault_scenario(setup, "5% 500/502/503", {"fault_rate": 0.05})),
        ("drops", lambda: fault_scenario(setup, "5% dropped connections", {"drop_rate": 0.05})),
        (
            "lost answers",
            lambda: fault_scenario(
                setup, "5% create answers lost (lookup made)", {"lost_response_rate": 0.05}
            ),
        ),
        ("slow", lambda: slow_scenario(setup)),
        (
            "no batch",
            lambda: fault_scenario(
                setup, "batch status endpoint absent (404)", {"batch_enabled": False}
            ),
        ),
        ("balance", lambda: balance_scenario(setup)),
        ("wrong key", lambda: wrong_key_scenario(setup)),
    ]
    for point in kill_points(0):
        found.append((point, lambda point=point: kill_scenario(setup, point)))
    found.append(("two processes", lambda: two_processes_scenario(setup)))
    return found


class _NoClientDisconnect(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "ClientDisconnect"


HEADER = (
    "| fault | rows | duplicates | lost rows | charged / completed | notes |\n"
    "|---|---:|---|---:|---|---|"
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK.rows} rows a scenario, quicker lookups"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per scenario too")
    args = parser.parse_args(argv)
    # A client killed or timed out mid-request leaves the simulator reading a body
    # that never comes: that is the scenario, not news.
    logging.getLogger("uvicorn.error").addFilter(_NoClientDisconnect())
    setup = QUICK if args.quick else FULL
    started = time.monotonic()
    results = []
    for name, run in scenarios(setup):
        began = time.monotonic()
        results.append(run())
        print(f"{name}: {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
    print(HEADER)
    for found in results:
        print(found.row())
    print(
        f"\n{len(results)} scenarios, {setup.rows:,} messy rows each (seed {SEED}), "
        f"in {time.monotonic() - started:.0f} s."
    )
    if args.json:
        for found in results:
            print(json.dumps(found.__dict__))
    return 0


if __name__ == "__main__":
    sys.exit(main())
