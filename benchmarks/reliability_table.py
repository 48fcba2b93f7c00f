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
import functools
import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from _reliability_count import Result, result
from _reliability_kills import kill_points, kill_scenario, two_processes_scenario
from _reliability_runs import FULL, QUICK, SEED, Setup, enrich, read_timeout, simulator

import sfy_pandas
from sfy_pandas._sample import messy_leads


def fault_scenario(setup: Setup, fault: str, knobs: dict[str, Any], note: str = "") -> Result:
    with simulator(setup.fast, **knobs) as server:
        frame = messy_leads(setup.rows, seed=SEED)
        enrich(frame, server, setup)
        return result(fault, frame, server, note)


def slow_scenario(setup: Setup) -> Result:
    with read_timeout(0.5), simulator(setup.fast, slow_rate=0.05, slow_seconds=1.0) as server:
        frame = messy_leads(setup.rows, seed=SEED)
        stats = enrich(frame, server, setup).stats
        assert stats is not None
        note = f"read time-out 0.5 s: {stats.ambiguous_creates} creates timed out"
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
        found.append((point, functools.partial(kill_scenario, setup, point)))
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
