"""Memory and CPU at scale: a rerun over a million profiles, and CPU beside bare httpx.

- Memory: a journal holding an answer for each of N distinct profiles, then
  ``enrich()`` over them (nothing is sent): the peak resident memory the run adds
  above the frame (target: at most 400 MB for N = 1,000,000). A second, traced
  rerun (tracemalloc) says where that memory goes, by ``sfy_pandas`` module and
  line, else by the package that allocated it.
- CPU: ``enrich()`` over M distinct profiles against an unlimited, zero-latency
  simulator, and a bare ``httpx.AsyncClient`` sending the same M creates to a
  fresh one, in the same run: client CPU per row of each, and their ratio
  (target: at most 1.3), the median of three such pairs (the side that goes
  first taking turns).

    python benchmarks/bench_scale.py            # N = 1,000,000, M = 20,000: ~10 min
    python benchmarks/bench_scale.py --quick    # N = 2,000, M = 200: seconds
    python benchmarks/bench_scale.py --cpu-only --cpu-rows 5000 --repeat 5
                                                # only the CPU part: 5 pairs, and their median
    python benchmarks/bench_scale.py --memory-only --memory-rows 200000 --data /tmp/scale
        # the memory part alone; --data keeps the leads and journals for the next run
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _processes import in_process, load, machine, scenario, serve

MEMORY_TARGET_MB = 400
CPU_TARGET = 1.3
#: No lookup waits and none times out: the client's own cost is all there is.
UNLIMITED = {
    "seed": 1,
    "balance": 10**9,
    "completed_rate": 0.6,
    "not_found_rate": 0.35,
    "failed_rate": 0.05,
    "pending_seconds": 0.0,
    "resolve_seconds": 0.0,
    "resolve_spread": 0.0,
    "timeout_seconds": 60.0,
}


@dataclass(frozen=True)
class Scale:
    memory_rows: int = 1_000_000
    traced_rows: int = 100_000
    cpu_rows: int = 20_000
    #: enrich()/bare pairs: one pair's ratio moves by a tenth with the machine's
    #: other work, so the figure is the median pair's.
    cpu_pairs: int = 3


FULL = Scale()
QUICK = Scale(memory_rows=2_000, traced_rows=2_000, cpu_rows=200, cpu_pairs=1)


def memory(rows: int, tmp: Path, traced: bool = False) -> dict[str, Any]:
    """A rerun over ``rows`` distinct profiles whose answers are all in the journal."""
    # No server: every answer is in the journal, so nothing is sent (a request
    # to this port would fail the run).
    name = f"memory-{rows}"
    target = {"base_url": "http://127.0.0.1:9", "journal": str(tmp / f"{name}.sqlite3")}
    leads = str(tmp / f"{name}.parquet")
    distinct = {"rows": rows, "duplicate_every": 0}
    filled = {"seconds": 0.0}
    if not Path(leads).exists():  # a quick run traces the same rerun: made once
        filled = scenario("prepare_rerun", leads=leads, **distinct, **target)
    run = scenario("rerun", leads=leads, tracemalloc=traced, **distinct, **target)
    run["fill_seconds"] = filled["seconds"]
    run["journal_mb"] = sum(p.stat().st_size for p in tmp.glob(f"{name}.sqlite3*")) / 1e6
    run["load"] = load()
    return run


def cpu(rows: int, tmp: Path, *, bare_first: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """``enrich()`` and bare httpx creates over the same ``rows`` profiles, one after the other."""

    def run_enrich() -> dict[str, Any]:
        with serve(**UNLIMITED) as server:
            run = scenario(
                "enrich",
                base_url=server.base_url,
                rows=rows,
                duplicate_every=0,
                journal=str(tmp / f"cpu-{uuid.uuid4().hex}.sqlite3"),
                progress="widget",
            )
            run["server"] = server.ledger()
        return run

    def run_bare() -> dict[str, Any]:
        with serve(**UNLIMITED) as server:
            return scenario("bare_creates", base_url=server.base_url, rows=rows, duplicate_every=0)

    if bare_first:
        bare, run = run_bare(), run_enrich()
    else:
        run, bare = run_enrich(), run_bare()
    run["load"] = bare["load"] = load()
    return run, bare


def cpu_pairs(rows: int, pairs: int, tmp: Path) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``pairs`` pairs, the side that goes first taking turns: a drift falls on both."""
    return [cpu(rows, tmp, bare_first=n % 2 == 1) for n in range(max(pairs, 1))]


def ratio(pair: tuple[dict[str, Any], dict[str, Any]]) -> float:
    """enrich()'s CPU per row over bare httpx's, in one pair."""
    run, bare = pair
    return float((run["cpu"] / run["rows"]) / (bare["cpu"] / bare["rows"]))


def median_pair(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pair of the median ratio (the lower middle one of an even number)."""
    ranked = sorted(pairs, key=ratio)
    return ranked[(len(ranked) - 1) // 2]


@dataclass
class ScaleResults:
    memory: dict[str, Any]
    traced: dict[str, Any]
    pairs: list[tuple[dict[str, Any], dict[str, Any]]]

    @property
    def median_pair(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return median_pair(self.pairs)

    @property
    def cpu(self) -> dict[str, Any]:
        return self.median_pair[0]

    @property
    def bare(self) -> dict[str, Any]:
        return self.median_pair[1]


def measure(scale: Scale) -> ScaleResults:
    with tempfile.TemporaryDirectory(prefix="sfy-bench-scale-") as tmp_name:
        tmp = Path(tmp_name)
        pairs = cpu_pairs(scale.cpu_rows, scale.cpu_pairs, tmp)
        mem, traced = measure_memory(scale, tmp)
    return ScaleResults(mem, traced, pairs)


def measure_memory(scale: Scale, tmp: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The plain rerun and the traced one; each one's leads and journal are made once."""
    return memory(scale.memory_rows, tmp), memory(scale.traced_rows, tmp, traced=True)


def added_mb(run: dict[str, Any]) -> float:
    """What the run added to the process's peak above what it held with the frame."""
    return float(run["peak_mb"] - run["baseline_mb"])


def rows(results: ScaleResults) -> list[str]:
    """Table rows: ``| measure | result | target | met | load |``."""
    run, bare = results.cpu, results.bare
    per_row, bare_per_row = run["cpu"] / run["rows"], bare["cpu"] / bare["rows"]
    middle = ratio(results.median_pair)
    each = ", ".join(f"{ratio(pair):.2f}" for pair in results.pairs)
    return [
        memory_row(results.memory),
        f"| client CPU per row: enrich(), {run['rows']:,} profiles, unlimited zero-latency "
        f"simulator | **{per_row * 1e3:.2f} ms** ({run['cpu']:.1f} s of CPU, "
        f"{run['rows'] / run['wall']:,.0f} rows/s) | - | - | {run['load']} |",
        f"| client CPU per row: bare httpx.AsyncClient, the same {bare['rows']:,} creates "
        f"| **{bare_per_row * 1e3:.2f} ms** ({bare['cpu']:.1f} s of CPU) | - | - "
        f"| {bare['load']} |",
        f"| client CPU, enrich() / bare httpx (the median of {len(results.pairs)} pairs: "
        f"{each}) | **{middle:.2f}x** | at most {CPU_TARGET:g}x "
        f"| {_met(middle <= CPU_TARGET)} | {run['load']} |",
    ]


def memory_row(mem: dict[str, Any]) -> str:
    added = added_mb(mem)
    return (
        f"| memory: rerun over {mem['rows']:,} distinct profiles (every answer in the journal) "
        f"| added **{added:,.0f} MB** above the frame ({mem['frame_mb']:,.0f} MB; "
        f"{mem['frame_after_mb']:,.0f} MB enriched; journal {mem['journal_mb']:,.0f} MB on disk; "
        f"{mem['wall']:,.0f} s) | at most {MEMORY_TARGET_MB} MB "
        f"| {_met(added <= MEMORY_TARGET_MB)} | {mem['load']} |"
    )


def where_memory_goes(traced: dict[str, Any]) -> list[str]:
    heap = traced["heap"]
    lines = [
        f"Where the memory goes (tracemalloc, rerun over {traced['rows']:,} profiles; traced "
        f"peak {heap['peak_mb']:,.0f} MB, snapshot near it {heap['snapshot_mb']:,.0f} MB; "
        "each block put to the innermost sfy_pandas line that asked for it):",
        "",
        "| module | MB | blocks |",
        "|---|---|---|",
    ]
    lines += [f"| {place} | {mb:,.1f} | {blocks:,} |" for place, mb, blocks in heap["by_module"]]
    lines += ["", "| line | MB | blocks |", "|---|---|---|"]
    lines += [f"| {place} | {mb:,.1f} | {blocks:,} |" for place, mb, blocks in heap["by_line"]]
    return lines


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def cpu_line(run: dict[str, Any], bare: dict[str, Any]) -> str:
    """One line of the CPU part alone: both sides' ms per row and their ratio."""
    per_row, bare_per_row = run["cpu"] / run["rows"], bare["cpu"] / bare["rows"]
    return (
        f"| {run['rows']:,} | {per_row * 1e3:.2f} ms | {bare_per_row * 1e3:.2f} ms "
        f"| **{per_row / bare_per_row:.2f}x** | {_met(per_row / bare_per_row <= CPU_TARGET)} "
        f"| {run['load']} |"
    )


def cpu_only(rows: int, repeat: int) -> None:
    """The CPU part alone: ``repeat`` pairs, each on its line, then their median."""
    print("| profiles | enrich() | bare httpx | ratio | met | load |\n|---|---|---|---|---|---|")
    pairs = []
    with tempfile.TemporaryDirectory(prefix="sfy-bench-cpu-") as tmp_name:
        for n in range(max(repeat, 1)):
            pairs.append(cpu(rows, Path(tmp_name), bare_first=n % 2 == 1))
            print(cpu_line(*pairs[-1]), flush=True)
    middle = ratio(median_pair(pairs))
    print(
        f"\nThe median of {len(pairs)} pairs: **{middle:.2f}x** "
        f"(target at most {CPU_TARGET:g}x: {_met(middle <= CPU_TARGET)})."
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small figures, in seconds")
    parser.add_argument("--memory-rows", type=int, help="profiles in the rerun")
    parser.add_argument("--traced-rows", type=int, help="profiles in the traced rerun")
    parser.add_argument("--cpu-only", action="store_true", help="only the CPU rows")
    parser.add_argument("--cpu-rows", type=int, help="profiles in the CPU part")
    parser.add_argument(
        "--repeat", type=int, default=FULL.cpu_pairs, help="enrich()/bare pairs (--cpu-only)"
    )
    parser.add_argument("--memory-only", action="store_true", help="only the two reruns")
    parser.add_argument(
        "--data",
        type=Path,
        help="with --memory-only: keep the leads and journals here for the next run",
    )
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    if args.quick:
        in_process()
    if args.cpu_only:
        print(f"Machine: {machine()}; at the start, {load()}.\n")
        cpu_only(args.cpu_rows or scale.cpu_rows, args.repeat)
        return
    if args.memory_rows or args.traced_rows:
        scale = Scale(
            args.memory_rows or scale.memory_rows,
            args.traced_rows or scale.traced_rows,
            scale.cpu_rows,
        )
    started = time.monotonic()
    print(f"Machine: {machine()}; at the start, {load()}.\n")
    print("| measure | result | target | met | load |\n|---|---|---|---|---|")
    if args.memory_only:
        if args.data:
            args.data.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="sfy-bench-scale-") as tmp_name:
            mem, traced = measure_memory(scale, args.data or Path(tmp_name))
        print(memory_row(mem))
    else:
        results = measure(scale)
        print("\n".join(rows(results)))
        traced = results.traced
    print("\n" + "\n".join(where_memory_goes(traced)))
    print(f"\n(The benchmark took {time.monotonic() - started:.0f} s.)")


if __name__ == "__main__":
    main()
