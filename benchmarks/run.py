"""How fast sfy_pandas is: against the best possible run, a per-row loop, and itself.

Starts the bundled simulator over loopback in subprocesses pinned to one core,
runs each measurement in a fresh client process pinned to the other, and
prints the README's table:

1. against the best possible run for the very profiles sent, per API shape
   (``bench_lookups.py``: no batch query, batch query on, a realistic and a
   tight limit);
2. against a per-row loop (``requests`` + ``tqdm``'s ``progress_apply``, polling
   once a second) on the same simulator;
3. the client's own cost (``bench_scale.py``): CPU per row beside a bare
   ``httpx.AsyncClient`` sending the same creates, where the CPU goes
   (pyinstrument), memory of a rerun over a million profiles;
4. request economy: creates per profile, batch sizes, progress redraws per second;
5. the simulator's own throughput (``bench_simulator.py``), to show it is not
   what limits the figures above.

    python benchmarks/run.py            # about 30 minutes on a loaded 2-core machine
    python benchmarks/run.py --quick    # a smoke run: seconds, small figures

The 5,000-profile row takes its own command: ``python benchmarks/bench_lookups.py --long``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import _report
import bench_lookups
import bench_scale
import bench_simulator
from _processes import in_process, load, machine, scenario, serve


@dataclass(frozen=True)
class Settings:
    quick: bool = False
    scale: bench_scale.Scale = bench_scale.FULL
    loop_rows: int = 10
    loop_poll_seconds: float = 1.0
    profile_rows: int = 20_000
    simulator_seconds: float = 3.0
    simulator_lookups: int = 2_000


QUICK = Settings(
    quick=True,
    scale=bench_scale.QUICK,
    loop_rows=1,
    loop_poll_seconds=0.1,
    profile_rows=200,
    simulator_seconds=0.2,
    simulator_lookups=200,
)


def lookup_rows(settings: Settings) -> list[bench_lookups.Measured]:
    rows: tuple[bench_lookups.Row, ...] = bench_lookups.ROWS
    if settings.quick:
        rows = tuple(bench_lookups.quick(row) for row in rows)
    return bench_lookups.run_rows(rows, parallel=True)


def per_row_loop(settings: Settings, row: bench_lookups.Row) -> dict[str, Any]:
    row = bench_lookups.quick(row) if settings.quick else row
    with serve(seed=1, balance=10**9, **row.knobs) as server:
        return scenario(
            "analyst_loop",
            base_url=server.base_url,
            rows=settings.loop_rows,
            total_rows=row.profiles,
            poll_seconds=settings.loop_poll_seconds,
        )


def profiled(settings: Settings, tmp: Path) -> dict[str, Any]:
    with serve(**bench_scale.UNLIMITED) as server:
        return scenario(
            "enrich",
            base_url=server.base_url,
            rows=settings.profile_rows,
            journal=str(tmp / "profile.sqlite3"),
            # A quick run's scenarios share one process: one widget is counted, not two.
            progress=None if settings.quick else "widget",
            profile=True,
        )


def simulator_alone(settings: Settings) -> list[bench_simulator.Row]:
    return bench_simulator.run_against(
        "simulator", settings.simulator_seconds, settings.simulator_lookups
    )


def report(settings: Settings, results: dict[str, Any]) -> str:
    measured: list[bench_lookups.Measured] = results["rows"]
    realistic = next(m for m in measured if m.row.key == "realistic")
    scale: bench_scale.ScaleResults = results["scale"]
    creates = [(round(m.creates_per_profile * m.row.profiles), m.row.profiles) for m in measured]
    server = scale.cpu["server"]
    creates.append((server["lookups_created"], server["profiles_created"]))
    lines = [
        f"Machine: {machine()}.",
        "",
        "1: each row beside the best possible run for the very profiles sent:",
        "",
        bench_lookups.report(measured),
        "",
        "| # | measure | result | target | met |",
        "|---|---|---|---|---|",
        *_report.per_row_loop(
            results["loop"], realistic.row.profiles, realistic.wall, realistic.row.name
        ),
        *_report.client_cost(scale, results["profiled"]),
        *_report.economy(creates, server, scale.cpu["progress"]),
        *_report.simulator(results["simulator"], scale.cpu),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small figures, in seconds")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else Settings()
    if args.quick:
        in_process()
    else:
        bench_simulator._pin(bench_simulator.LOAD_CORE)
    started, load_before = time.monotonic(), load()
    realistic = next(row for row in bench_lookups.ROWS if row.key == "realistic")
    with tempfile.TemporaryDirectory(prefix="sfy-bench-") as tmp_name:
        tmp = Path(tmp_name)
        # The API-shape rows beside the measures at scale: the rows mostly wait on
        # their limits, the memory figure does not depend on the load, and each
        # CPU ratio is taken within one measure. A quick run only checks that
        # every part works, so it runs them all together.
        with ThreadPoolExecutor(max_workers=8 if args.quick else 2) as pool:
            futures: dict[str, Future[Any]] = {
                "rows": pool.submit(lookup_rows, settings),
                "loop": pool.submit(per_row_loop, settings, realistic),
                "scale": pool.submit(bench_scale.measure, settings.scale),
                "profiled": pool.submit(profiled, settings, tmp),
                "simulator": pool.submit(simulator_alone, settings),
            }
            results = {name: future.result() for name, future in futures.items()}
    print(report(settings, results))
    took = time.monotonic() - started
    print(f"\n(The benchmark took {took:.0f} s; {load_before} at the start, {load()} at the end.)")


if __name__ == "__main__":
    main()
