"""The rows of ``run.py``'s table after the bound rows: per-row loop, client cost, economy.

Each function takes the figures its measurement returned and gives table rows
``| # | measure | result | target | met |``.
"""

from __future__ import annotations

from typing import Any

import bench_scale
from _profiling import cpu_split

MAX_BATCH = 200


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def per_row_loop(loop: dict[str, Any], rows: int, sfy_wall: float, where: str) -> list[str]:
    per_row = loop["wall"] / loop["rows"]
    total = per_row * rows
    return [
        f"| 2 | per-row loop (requests, tqdm progress_apply, a GET a second), {where} "
        f"| {per_row:.2f} s a row: {total / 60:,.1f} min for the {rows:,} profiles "
        f"(measured on {loop['rows']}) | - | - |",
        f"| 2 | per-row loop / sfy_pandas on the same profiles | **{total / sfy_wall:,.1f}x** "
        "slower | - | - |",
    ]


def client_cost(scale: bench_scale.ScaleResults, profiled: dict[str, Any]) -> list[str]:
    """Row 3: CPU per row beside bare httpx, where it goes, memory at scale and first run."""
    lines = ["| 3 " + line for line in bench_scale.rows(scale)]
    run = scale.cpu
    fresh = bench_scale.added_mb(run)
    lines += [
        f"| 3 | where the client's CPU goes (pyinstrument, {profiled['rows']:,} rows) "
        f"| {cpu_split(profiled['profile'])} | - | - |",
        f"| 3 | peak memory, {run['rows']:,}-profile first run | the run added {fresh:,.0f} MB "
        f"= {fresh / run['frame_mb']:.0f}x the frame ({run['frame_mb']:,.1f} MB) | - | - |",
    ]
    # bench_scale's rows carry a load column; this table keeps it inside the result.
    return [_fold_load(line) for line in lines]


def _fold_load(line: str) -> str:
    cells = line.strip("|").split("|")
    if len(cells) == 6:
        number, measure, result, target, ok, load = (cell.strip() for cell in cells)
        return f"| {number} | {measure} | {result}; {load} | {target} | {ok} |"
    return line


def economy(creates: list[tuple[int, int]], server: dict[str, Any], progress: Any) -> list[str]:
    """Row 4: creates per profile (every run), batch sizes, widget redraws per second.

    ``creates`` holds (lookups created, profiles) per run, as the simulator counted.
    """
    per_profile = max(made / max(profiles, 1) for made, profiles in creates)
    sizes = [int(size) for _arrived, size in server["batches"]]
    most = server["max_creates_per_profile"]
    gets = server["requests"].get("get", 0)
    busiest = progress["busiest_running"]
    return [
        f"| 4 | creates per distinct profile ({len(creates)} runs, counted by the simulator) "
        f"| **{per_profile:.3f}** | exactly 1 | {met(per_profile == 1.0 and most == 1)} |",
        f"| 4 | status reads, unlimited simulator, batch query on | {len(sizes):,} batch calls "
        f"for {server['lookups_created']:,} lookups, largest {max(sizes, default=0)} ids; "
        f"{gets} GETs | at most {MAX_BATCH} ids a call, no GET "
        f"| {met(max(sizes, default=0) <= MAX_BATCH and not gets)} |",
        f"| 4 | progress messages (widget redraws) per second "
        f"| {progress['per_second']:.1f} a second on average; at most {busiest} in any second "
        f"while running, plus one final redraw | at most 4 | {met(busiest <= 4)} |",
    ]


def simulator(rows: list[Any], run: dict[str, Any]) -> list[str]:
    """Row 5: the simulator alone, and how busy it was during the CPU run."""
    by_name = {row.name: row for row in rows}
    create_rate = by_name["POST create"].per_second
    asked = sum(run["server"]["requests"].values()) / run["wall"]
    busy = run["server"]["cpu_seconds"] / run["wall"]
    return [
        f"| 5 | simulator alone on one core (bench_simulator.py) | {create_rate:,.0f} creates/s, "
        f"{by_name['GET one lookup'].per_second:,.0f} GETs/s, "
        f"{by_name['batch query of 200 ids'].per_second:,.0f} batch queries/s | - | - |",
        f"| 5 | simulator during the CPU run | asked {asked:,.0f} requests/s; "
        f"{busy:.0%} of its core busy | not the bottleneck | {met(asked < create_rate)} |",
    ]
