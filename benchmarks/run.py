"""How fast sfy_pandas is: against the API's own bound, a per-row loop, and itself.

Starts the bundled simulator over loopback in a subprocess pinned to one core,
runs each measurement in a fresh client process pinned to the other, and
prints one markdown table:

1. against the API's bound: a token bucket of R requests/s holding B, and
   lookups that take L s; no client can finish P profiles faster than
   (P - B)/R + L (a realistic limit and a tight one);
2. against a per-row loop (``requests`` + ``tqdm``'s ``progress_apply``, polling
   once a second) on the same rows and the same simulator;
3. the client's own cost on an unlimited, zero-latency simulator: CPU per row,
   rows/s, where the CPU goes (pyinstrument), peak memory against the frame;
4. request economy: creates per profile, status calls per polling round,
   progress messages per second;
5. the simulator's own throughput (``bench_simulator.py``), to show it is not
   what limits the figures above.

    python benchmarks/run.py            # about 7 minutes
    python benchmarks/run.py --quick    # a smoke run: seconds, small figures
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_simulator
from _scenarios import CATEGORIES, IDLE, OTHER, unique_profiles

HERE = Path(__file__).resolve().parent
MAX_BATCH = 200


@dataclass(frozen=True)
class Limit:
    """A rate limit for row 1: a token bucket of ``rate`` requests/s holding ``burst``."""

    name: str
    rate: float
    burst: int
    rows: int


#: The simulator's "realistic" profile (what users report of the API), and a tight
#: one whose bucket holds a fifth of a second: each 429's Retry-After (1 s, the
#: least a header can say) then idles the client for 4/5 of a second of tokens.
REALISTIC = Limit("realistic", rate=10.0, burst=20, rows=400)
TIGHT = Limit("tight", rate=50.0, burst=10, rows=1_000)


@dataclass(frozen=True)
class Settings:
    limits: tuple[Limit, ...] = (REALISTIC, TIGHT)
    lookup_seconds: float = 2.0
    repeat: int = 3
    loop_rows: int = 10
    loop_poll_seconds: float = 1.0
    overhead_rows: int = 100_000
    profile_rows: int = 20_000
    memory_rows: int = 1_000_000
    simulator_seconds: float = 3.0
    simulator_lookups: int = 2_000


QUICK = Settings(
    limits=(
        Limit("realistic", rate=10.0, burst=20, rows=40),
        Limit("tight", rate=50.0, burst=10, rows=100),
    ),
    lookup_seconds=0.5,
    repeat=1,
    loop_rows=1,
    overhead_rows=1_000,
    profile_rows=500,
    memory_rows=10_000,
    simulator_seconds=0.3,
    simulator_lookups=400,
)


# --- processes -------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.port}"

    def ledger(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base_url + "/_bench/ledger", timeout=30) as answer:
            return json.loads(answer.read())  # type: ignore[no-any-return]

    def stop(self) -> None:
        self.process.send_signal(2)  # SIGINT: uvicorn shuts down cleanly
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve(**knobs: Any) -> Server:
    """A simulator with these knobs, in its own process on its own core."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_server.py"), json.dumps(knobs)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip():
        process.wait(10)
        raise RuntimeError("the simulator did not start; see its error above")
    return Server(process, int(line))


def scenario(name: str, **params: Any) -> dict[str, Any]:
    """Run one client-side measurement in a fresh process; its figures as a dict."""
    result = subprocess.run(
        [sys.executable, str(HERE / "_scenarios.py"), name, json.dumps(params)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scenario {name} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- the measurements ---------------------------------------------------------------


#: No lookup is drawn to run into the simulator's time-out cap: each ends when its
#: lookup time says, so L is every lookup's duration.
OUTCOMES = {"completed_rate": 0.6, "not_found_rate": 0.35, "failed_rate": 0.05}


def simulated_api(settings: Settings, limit: Limit) -> dict[str, Any]:
    """The rate-limited simulator of rows 1 and 2: every lookup takes exactly L s."""
    return {
        "seed": 1,
        "balance": 10**9,
        **OUTCOMES,
        "rate_limit": limit.rate,
        "burst": limit.burst,
        "pending_seconds": settings.lookup_seconds / 4,
        "resolve_seconds": settings.lookup_seconds,
        "resolve_spread": 0.0,
        "timeout_seconds": 10 * settings.lookup_seconds + 10,
    }


UNLIMITED = {
    "seed": 1,
    "balance": 10**9,
    **OUTCOMES,
    "pending_seconds": 0.0,
    "resolve_seconds": 0.0,
    "resolve_spread": 0.0,
    "timeout_seconds": 60.0,
}


def against_the_bound(settings: Settings, limit: Limit, tmp: Path) -> list[dict[str, Any]]:
    runs = []
    for attempt in range(settings.repeat):
        with serve(**simulated_api(settings, limit)) as server:
            run = scenario(
                "enrich",
                base_url=server.base_url,
                rows=limit.rows,
                journal=str(tmp / f"bound-{limit.name}-{attempt}.sqlite3"),
                progress="widget",
            )
            run["server"] = server.ledger()
        runs.append(run)
    return runs


def per_row_loop(settings: Settings, limit: Limit) -> dict[str, Any]:
    with serve(**simulated_api(settings, limit)) as server:
        return scenario(
            "analyst_loop",
            base_url=server.base_url,
            rows=settings.loop_rows,
            total_rows=limit.rows,
            poll_seconds=settings.loop_poll_seconds,
        )


def client_overhead(settings: Settings, tmp: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    leads = str(tmp / "overhead.parquet")
    scenario("write_leads", rows=settings.overhead_rows, leads=leads)
    with serve(**UNLIMITED) as server:
        before = server.ledger()
        run = scenario(
            "enrich",
            base_url=server.base_url,
            rows=settings.overhead_rows,
            leads=leads,
            journal=str(tmp / "overhead.sqlite3"),
            progress="widget",
        )
        run["server"] = server.ledger()
        run["server_cpu"] = run["server"]["cpu_seconds"] - before["cpu_seconds"]
    with serve(**UNLIMITED) as server:
        profiled = scenario(
            "enrich",
            base_url=server.base_url,
            rows=settings.profile_rows,
            journal=str(tmp / "profile.sqlite3"),
            progress="widget",
            profile=True,
        )
    return run, profiled


def memory(settings: Settings, tmp: Path) -> dict[str, Any]:
    # No server: every answer is in the journal, so nothing is sent (a request
    # to this port would fail the run).
    target = {"base_url": "http://127.0.0.1:9", "journal": str(tmp / "memory.sqlite3")}
    leads = str(tmp / "memory.parquet")
    scenario("write_leads", rows=settings.memory_rows, leads=leads)
    filled = scenario("fill_journal", rows=settings.memory_rows, **target)
    run = scenario("rerun", rows=settings.memory_rows, leads=leads, **target)
    run["fill_seconds"] = filled["seconds"]
    run["journal_mb"] = sum(p.stat().st_size for p in tmp.glob("memory.sqlite3*")) / 1e6
    return run


def simulator_alone(settings: Settings) -> list[bench_simulator.Row]:
    return bench_simulator.run_against(
        "simulator", settings.simulator_seconds, settings.simulator_lookups
    )


# --- figures ----------------------------------------------------------------------------


def economy(run: dict[str, Any]) -> dict[str, Any]:
    """Creates per profile and status calls against ceil(running/200), per the server.

    The client logs each polling round's running lookups; the server counts the
    batch queries it answered and the ids they asked for.
    """
    server = run["server"]
    sizes = [int(size) for _arrived, size in server["batches"]]
    rounds = run["rounds"]
    return {
        "creates_per_profile": server["lookups_created"] / max(run["profiles"], 1),
        "max_creates": server["max_creates_per_profile"],
        "duplicates": server["duplicates"],
        "calls": len(sizes),
        "needed": sum(math.ceil(running / MAX_BATCH) for running, _calls in rounds),
        "rounds": len(rounds),
        "ids_asked": sum(sizes),
        "ids_running": sum(running for running, _calls in rounds),
        "largest_batch": max(sizes, default=0),
        "get_calls": server["requests"].get("get", 0),
    }


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = platform.platform(terse=True)
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    name = line.split("=", 1)[1].strip().strip('"')
                    system = f"{name}, Linux {platform.release()}"
    except OSError:
        pass
    import httpx
    import pandas

    return (
        f"{os.cpu_count()} cores ({model}), {system}, Python {platform.python_version()}, "
        f"pandas {pandas.__version__}, httpx {httpx.__version__}"
    )


def bound_seconds(settings: Settings, limit: Limit) -> float:
    """The least time any client needs: the burst goes at once, the rest at R, then L."""
    return (unique_profiles(limit.rows) - limit.burst) / limit.rate + settings.lookup_seconds


@dataclass
class Results:
    bound: dict[str, list[dict[str, Any]]]
    loop: dict[str, Any]
    overhead: dict[str, Any]
    profiled: dict[str, Any]
    memory: dict[str, Any]
    simulator: list[bench_simulator.Row]


def report(settings: Settings, results: Results) -> str:
    lines = [
        f"Machine: {machine()}.",
        "",
        "The simulator runs in its own process pinned to one core; each measurement runs "
        "in a fresh client process pinned to the other. Every lookup takes "
        f"L = {settings.lookup_seconds:g} s; one row in ten respells an earlier profile. "
        f"Row 1 is the median of {settings.repeat} run(s).",
        "",
        "| # | measure | result | target | met |",
        "|---|---|---|---|---|",
    ]
    walls = {}
    for limit in settings.limits:
        runs = results.bound[limit.name]
        bound = bound_seconds(settings, limit)
        ratios = sorted(run["wall"] / bound for run in runs)
        walls[limit.name] = median([run["wall"] for run in runs])
        ratio = median(ratios)
        spread = f"; runs {ratios[0]:.2f} to {ratios[-1]:.2f}" if len(ratios) > 1 else ""
        limited = sorted(run["stats"]["rate_limited"] for run in runs)
        lines.append(
            f"| 1 | {limit.name} limit: {limit.rate:g} requests/s, burst {limit.burst}; "
            f"{limit.rows:,} rows, {unique_profiles(limit.rows):,} profiles "
            f"| {walls[limit.name]:.1f} s against a bound of {bound:.1f} s = **{ratio:.2f}**"
            f"{spread}; {median(limited):g} 429s | at most 1.10 | {_met(ratio <= 1.10)} |"
        )
    loop, first = results.loop, settings.limits[0]
    per_row = loop["wall"] / loop["rows"]
    loop_total = per_row * first.rows
    lines += [
        f"| 2 | per-row loop (requests, tqdm progress_apply, a GET a second), {first.name} "
        f"limit | {per_row:.2f} s a row: {loop_total / 60:,.1f} min for the {first.rows:,} rows "
        f"(measured on {loop['rows']}) | - | - |",
        f"| 2 | per-row loop / sfy_pandas on the same rows "
        f"| **{loop_total / walls[first.name]:,.0f}x** slower | - | - |",
    ]
    over, prof, mem = results.overhead, results.profiled, results.memory
    peak = mem["peak_mb"] - mem["baseline_mb"]
    fresh = over["peak_mb"] - over["baseline_mb"]
    lines += [
        f"| 3 | client CPU per row, {over['rows']:,} rows, unlimited zero-latency simulator "
        f"| **{over['cpu'] / over['rows'] * 1e3:.2f} ms** ({over['cpu']:.0f} s of CPU) | - | - |",
        f"| 3 | rows/s, same run | **{over['rows'] / over['wall']:,.0f}** "
        f"({over['wall']:.0f} s) | - | - |",
        f"| 3 | where the client's CPU goes (pyinstrument, {prof['rows']:,} rows) "
        f"| {cpu_split(prof['profile'])} | - | - |",
        f"| 3 | peak memory, {mem['rows']:,}-row rerun (every answer in the journal) "
        f"| the run added {peak:,.0f} MB to a process holding the frame "
        f"= **{peak / mem['frame_mb']:.0f}x** the frame ({mem['frame_mb']:,.0f} MB; "
        f"{mem['frame_after_mb']:,.0f} MB enriched; journal {mem['journal_mb']:,.0f} MB on disk) "
        "| - | - |",
        f"| 3 | peak memory, {over['rows']:,}-row first run | the run added {fresh:,.0f} MB "
        f"= {fresh / over['frame_mb']:.0f}x the frame ({over['frame_mb']:,.1f} MB) | - | - |",
    ]
    runs = [run for limit in settings.limits for run in results.bound[limit.name]]
    runs.append(over)
    economies = [economy(run) for run in runs]
    creates = max(e["creates_per_profile"] for e in economies)
    most = max(e["max_creates"] for e in economies)
    calls = sum(e["calls"] for e in economies)
    needed = sum(e["needed"] for e in economies)
    rounds = sum(e["rounds"] for e in economies)
    consistent = all(e["ids_asked"] == e["ids_running"] and not e["get_calls"] for e in economies)
    progress = [run["progress"] for run in runs]
    busiest = max(p["busiest_running"] for p in progress)
    lines += [
        f"| 4 | creates per distinct profile ({len(runs)} runs above, counted by the simulator) "
        f"| **{creates:.3f}**; at most {most} for any profile | exactly 1 | {_met(most == 1)} |",
        f"| 4 | status calls per polling round | {calls:,} calls in {rounds:,} rounds "
        f"= {calls / max(rounds, 1):.2f}; the sum of ceil(running/200) is {needed:,}; "
        f"largest batch {max(e['largest_batch'] for e in economies)} "
        f"| ceil(running/200) | {_met(calls == needed and consistent)} |",
        f"| 4 | progress messages (widget redraws) per second "
        f"| {max(p['per_second'] for p in progress):.1f} a second on average (busiest run); "
        f"at most {busiest} in any second while running, plus one final redraw "
        f"| at most 4 | {_met(busiest <= 4)} |",
    ]
    by_name = {row.name: row for row in results.simulator}
    create_rate = by_name["POST create"].per_second
    asked = sum(over["stats"]["requests"].values()) / over["wall"]
    lines += [
        f"| 5 | simulator alone on one core (bench_simulator.py) | {create_rate:,.0f} creates/s, "
        f"{by_name['GET one lookup'].per_second:,.0f} GETs/s, "
        f"{by_name['batch query of 200 ids'].per_second:,.0f} batch queries/s | - | - |",
        f"| 5 | simulator during row 3 | asked {asked:,.0f} requests/s; "
        f"{over['server_cpu'] / over['wall']:.0%} of its core busy | not the bottleneck "
        f"| {_met(asked < create_rate)} |",
    ]
    lines += [
        "",
        "Requests the simulator answered in each second of the first run of row 1 "
        "(* marks a second with 429s):",
        "",
    ]
    for limit in settings.limits:
        seconds = results.bound[limit.name][0]["server"]["seconds"]
        shown = " ".join(f"{ok}{'*' if refused else ''}" for ok, refused in seconds)
        lines.append(f"- {limit.name} ({limit.rate:g}/s): {shown}")
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def cpu_split(profile: dict[str, dict[str, float]]) -> str:
    """Shares of the busy (not idle) sampled time of both threads, largest first."""
    busy: dict[str, float] = {}
    for thread in profile.values():
        for name, seconds in thread.items():
            if name != IDLE:
                busy[name] = busy.get(name, 0.0) + seconds
    total = sum(busy.values()) or 1.0
    order = [name for name, _ in CATEGORIES] + [OTHER]
    parts = sorted(((busy.get(n, 0.0) / total, n) for n in order), reverse=True)
    return ", ".join(f"{name} {share:.0%}" for share, name in parts if share >= 0.005)


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small figures, in seconds")
    parser.add_argument("--repeat", type=int, help="runs of row 1 (the median is shown)")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else Settings()
    if args.repeat:
        settings = dataclasses.replace(settings, repeat=args.repeat)
    bench_simulator._pin(bench_simulator.LOAD_CORE)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sfy-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # One after another, so no measurement shares a core with another; a
        # quick run only checks that every part works, so it runs them together.
        with ThreadPoolExecutor(max_workers=8 if args.quick else 1) as pool:
            bound = {
                limit.name: pool.submit(against_the_bound, settings, limit, tmp)
                for limit in settings.limits
            }
            loop = pool.submit(per_row_loop, settings, settings.limits[0])
            overhead = pool.submit(client_overhead, settings, tmp)
            mem = pool.submit(memory, settings, tmp)
            simulator = pool.submit(simulator_alone, settings)
            results = Results(
                {name: future.result() for name, future in bound.items()},
                loop.result(),
                *overhead.result(),
                mem.result(),
                simulator.result(),
            )
    print(report(settings, results))
    print(f"\n(The benchmark took {time.monotonic() - started:.0f} s.)")


if __name__ == "__main__":
    main()
