"""ddf.salesfinity at scale: client memory, ground truth and creates, then a rate-limited slice.

Writes a Parquet dataset of messy leads (2,000,000 rows, 200,000 distinct
profiles each written several ways, 2% junk cells, in 64 files), then, for
4, 16 and 64 partitions, enriches it on ``LocalCluster(n_workers=2)`` in a
fresh client process against an unlimited, instant simulator (its own
process, from ``_server.py``) and writes the result as a Parquet dataset.
For each run it reports:

- the client process's peak resident memory (``VmHWM``: that process alone,
  not the workers), which must stay under 1 GB and flat across partitions;
- every output row against the simulator's ground truth for its profile;
- the simulator's ledger: exactly one create per profile.

Then a slice against the rate-limited "realistic" profile (10 requests/s,
burst 20, every lookup 2 s), with its wall time against the bound
(P - B)/R + L that no client can beat.

    python benchmarks/bench_dask.py            # the full run: tens of minutes on 2 cores
    python benchmarks/bench_dask.py --quick    # 20,000 rows, a few minutes

Prints a markdown table; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _processes import serve
from bench_scale import UNLIMITED

#: As in the other benchmarks: no lookup runs into the simulator's time-out cap.
OUTCOMES = {"completed_rate": 0.6, "not_found_rate": 0.35, "failed_rate": 0.05}

HERE = Path(__file__).resolve().parent
FILES = 64
JUNK = ("", "n/a", "https://example.com/in/nobody", "linkedin.com/company/acme", "call me")
SPELLINGS = (
    "https://www.linkedin.com/in/{}",
    "linkedin.com/in/{}/",
    "http://uk.linkedin.com/in/{}?trk=public_profile",
    " LinkedIn.com/IN/{} ",
)
REALISTIC = {"rate_limit": 10.0, "burst": 20}
LOOKUP_SECONDS = 2.0
MEMORY_BOUND_MB = 1000.0


@dataclass(frozen=True)
class Size:
    rows: int
    profiles: int
    partitions: tuple[int, ...]
    slice_rows: int
    slice_profiles: int


FULL = Size(2_000_000, 200_000, (4, 16, 64), slice_rows=2_400, slice_profiles=600)
QUICK = Size(20_000, 2_000, (4, 16, 64), slice_rows=400, slice_profiles=100)


def handle(person: int) -> str:
    return f"bench-lead-{person:07d}"


def write_dataset(folder: Path, rows: int, profiles: int, files: int = FILES) -> None:
    """``rows`` leads in ``files`` Parquet files; every profile turns up rows/profiles times."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    step = -(-rows // files)
    for n in range(files):
        ids, urls = [], []
        for row in range(n * step, min((n + 1) * step, rows)):
            ids.append(f"L{row:08d}")
            if row % 50 == 49:
                urls.append(JUNK[row // 50 % len(JUNK)])
                continue
            person = (row * 7919) % profiles  # a fixed shuffle: repeats spread over files
            urls.append(SPELLINGS[row // 7 % len(SPELLINGS)].format(handle(person)))
        pq.write_table(
            pa.table({"lead_id": ids, "linkedin_url": urls}), folder / f"{n:03d}.parquet"
        )


def distinct_profiles(rows: int, profiles: int) -> int:
    return len({(row * 7919) % profiles for row in range(rows) if row % 50 != 49})


# --- the client process ---------------------------------------------------------------


def child(params: dict[str, Any]) -> None:
    """One enrichment on a LocalCluster; prints its figures as one line of JSON."""
    import dask.dataframe as dd
    import pandas as pd
    import pyarrow.parquet as pq
    from distributed import Client, LocalCluster

    import sfy_pandas  # noqa: F401 - registers the accessors

    files = sorted(str(p) for p in Path(params["source"]).glob("*.parquet"))
    per = len(files) // params["partitions"]
    groups = [files[i : i + per] for i in range(0, len(files), per)]

    def read(group: list[str]) -> pd.DataFrame:
        return pd.concat([pq.read_table(f).to_pandas() for f in group], ignore_index=True)

    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster,
        Client(cluster),
    ):
        started = time.monotonic()  # the cluster is up: from here on it is the run's time
        meta = pq.read_table(files[0]).to_pandas().iloc[:0]
        frame = dd.from_map(read, groups, meta=meta)
        run = frame.salesfinity.enrich_run(
            "linkedin_url",
            base_url=params["base_url"],
            api_key="bench-key",
            journal=params["journal"],
            results=params["results"],
            progress=None,
            poll_interval=params["poll_interval"],
        )
        enriched = time.monotonic() - started
        run.frame.to_parquet(params["out"], write_index=False)
    figures = {
        "seconds": time.monotonic() - started,
        "enrich_seconds": enriched,
        "peak_mb": _peak_mb(),
        "rows": run.rows,
        "profiles": run.profiles,
        "created": run.stats.created,
        "in_doubt": run.stats.in_doubt,
    }
    print(json.dumps(figures), flush=True)


def _peak_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def run_child(**params: Any) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "child", json.dumps(params)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the client process failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# --- checks in this process -------------------------------------------------------------


def wrong_rows(out: Path, knobs: dict[str, Any]) -> tuple[int, int]:
    """(rows checked, rows whose status or email differ from the ground truth)."""
    import pandas as pd

    from sfy_pandas._linkedin import ProfileURL, parse_profile
    from sfy_pandas.simulator import Simulator

    simulator = Simulator(**knobs)
    truth: dict[str, tuple[str, str | None]] = {}
    checked = wrong = 0
    for file in sorted(out.glob("*.parquet")):
        part = pd.read_parquet(
            file, columns=["linkedin_url", "salesfinity_status", "salesfinity_email"]
        )
        for cell, status, email in part.itertuples(index=False):
            parsed = parse_profile(cell)
            if isinstance(parsed, ProfileURL):
                expected = truth.get(parsed.url)
                if expected is None:
                    outcome = simulator.expected_outcome(parsed.url, "work")
                    expected = truth[parsed.url] = (outcome.status, outcome.email)
            else:
                expected = ("invalid", None)
            got = (status, None if pd.isna(email) else email)
            checked += 1
            wrong += got != expected
    return checked, wrong


def scale_run(size: Size, partitions: int, source: Path, tmp: Path) -> dict[str, Any]:
    knobs = {**UNLIMITED, "api_key": "bench-key"}
    with serve(**knobs) as server:
        figures = run_child(
            source=str(source),
            partitions=partitions,
            base_url=server.base_url,
            journal=str(tmp / f"journal-{partitions}.sqlite3"),
            results=str(tmp),
            out=str(tmp / f"out-{partitions}"),
            poll_interval=0.2,
        )
        ledger = server.ledger()
    figures["checked"], figures["wrong"] = wrong_rows(tmp / f"out-{partitions}", knobs)
    figures["profiles_created"] = ledger["profiles_created"]
    figures["lookups_created"] = ledger["lookups_created"]
    figures["max_creates_per_profile"] = ledger["max_creates_per_profile"]
    return figures


def realistic_slice(size: Size, tmp: Path) -> dict[str, Any]:
    source = tmp / "slice"
    write_dataset(source, size.slice_rows, size.slice_profiles, files=16)
    knobs = {
        "seed": 1,
        "balance": 10**9,
        "api_key": "bench-key",
        **OUTCOMES,
        **REALISTIC,
        "pending_seconds": LOOKUP_SECONDS / 4,
        "resolve_seconds": LOOKUP_SECONDS,
        "resolve_spread": 0.0,
        "timeout_seconds": 10 * LOOKUP_SECONDS + 10,
    }
    with serve(**knobs) as server:
        figures = run_child(
            source=str(source),
            partitions=16,
            base_url=server.base_url,
            journal=str(tmp / "journal-slice.sqlite3"),
            results=str(tmp),
            out=str(tmp / "out-slice"),
            poll_interval=1.0,
        )
        ledger = server.ledger()
    profiles = distinct_profiles(size.slice_rows, size.slice_profiles)
    figures["bound"] = (profiles - REALISTIC["burst"]) / REALISTIC["rate_limit"] + LOOKUP_SECONDS
    figures["rate_limited"] = ledger["rate_limited"]
    figures["requests"] = sum(ledger["requests"].values())
    figures["checked"], figures["wrong"] = wrong_rows(tmp / "out-slice", knobs)
    figures["max_creates_per_profile"] = ledger["max_creates_per_profile"]
    return figures


def report(
    size: Size, runs: dict[int, dict[str, Any]], sliced: dict[str, Any] | None
) -> tuple[str, bool]:
    peaks = [r["peak_mb"] for r in runs.values()]
    flat = max(peaks) - min(peaks) <= max(100.0, 0.25 * min(peaks))
    lines = [
        f"{size.rows:,} rows, {size.profiles:,} profiles, LocalCluster(n_workers=2); "
        f"`uptime`: {os.getloadavg()[0]:.1f} load",
        "",
        "| partitions | client peak RSS | enrich | total (with write) | rows = truth | "
        "creates per profile |",
        "|---|---|---|---|---|---|",
    ]
    ok = flat
    for partitions, r in runs.items():
        right = r["wrong"] == 0 and r["checked"] == size.rows
        once = r["max_creates_per_profile"] == 1 and r["profiles_created"] == r["profiles"]
        ok &= right and once and r["peak_mb"] < MEMORY_BOUND_MB
        lines.append(
            f"| {partitions} | {r['peak_mb']:.0f} MB | {r['enrich_seconds']:.0f} s | "
            f"{r['seconds']:.0f} s | {r['checked'] - r['wrong']:,}/{r['checked']:,} | "
            f"{r['lookups_created']:,} creates, {r['profiles_created']:,} profiles, "
            f"max {r['max_creates_per_profile']} |"
        )
    lines.append("")
    lines.append(
        f"Peak RSS flat across partitions (spread {max(peaks) - min(peaks):.0f} MB): "
        f"{'yes' if flat else 'NO'}; under {MEMORY_BOUND_MB:.0f} MB: "
        f"{'yes' if max(peaks) < MEMORY_BOUND_MB else 'NO'}."
    )
    s = sliced
    if s is None:
        return "\n".join(lines), ok
    ok &= s["wrong"] == 0 and s["max_creates_per_profile"] == 1
    lines += [
        "",
        f"Rate-limited slice ({size.slice_rows:,} rows, {s['profiles']:,} profiles, 16 "
        f"partitions; {REALISTIC['rate_limit']:g} req/s, burst {REALISTIC['burst']}, "
        f"L = {LOOKUP_SECONDS:g} s): enrich {s['enrich_seconds']:.0f} s against a bound of "
        f"{s['bound']:.0f} s ({s['enrich_seconds'] / s['bound']:.2f}x); "
        f"{s['requests']:,} requests, {s['rate_limited']:,} 429s; "
        f"rows = truth {s['checked'] - s['wrong']:,}/{s['checked']:,}.",
    ]
    return "\n".join(lines), ok


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "child":
        child(json.loads(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 rows: a smoke run")
    parser.add_argument("--rows", type=int, help="rows of the dataset [2,000,000]")
    parser.add_argument("--profiles", type=int, help="distinct profiles [200,000]")
    parser.add_argument("--partitions", help="comma-separated partition counts [4,16,64]")
    parser.add_argument("--no-slice", action="store_true", help="skip the rate-limited slice")
    args = parser.parse_args()
    size = QUICK if args.quick else FULL
    size = dataclasses.replace(
        size,
        rows=args.rows or size.rows,
        profiles=args.profiles or size.profiles,
        partitions=tuple(int(p) for p in args.partitions.split(","))
        if args.partitions
        else size.partitions,
    )
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as scratch:
        tmp = Path(scratch)
        source = tmp / "leads"
        write_dataset(source, size.rows, size.profiles)
        runs = {}
        for partitions in size.partitions:
            runs[partitions] = scale_run(size, partitions, source, tmp)
            print(f"{partitions} partitions: {json.dumps(runs[partitions])}", file=sys.stderr)
        sliced = None if args.no_slice else realistic_slice(size, tmp)
        print(f"slice: {json.dumps(sliced)}", file=sys.stderr)
    table, ok = report(size, runs, sliced)
    print(table)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
