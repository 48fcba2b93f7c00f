"""Peak memory of ``sfy-pandas enrich`` on a large CSV: chunked, against reading it whole.

Writes a CSV of 200,000 leads (about 73 MB: a LinkedIn URL, a few short
columns and a 300-character note per row, 5,000 distinct profiles written in
several spellings), serves a fast simulator with no rate limit from this
process, and measures the peak resident memory of three child processes,
each from ``os.wait4``'s own resource usage for that child:

- the floor: Python with sfy_pandas, pandas and httpx imported, nothing read;
- the baseline: ``pandas.read_csv`` of the whole file, as one would without chunks;
- ``sfy-pandas enrich --chunk-rows 10000`` over the whole file, output included.

The bound: the chunked run stays within the floor plus 150 MB, whatever the
file's size (its memory follows ``--chunk-rows``), and below the baseline.

    python benchmarks/bench_chunked_memory.py            # 200,000 rows
    python benchmarks/bench_chunked_memory.py --quick    # 5,000 rows, in seconds

Prints a markdown table; exits 1 if the chunked run breaks its bound.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROWS, QUICK_ROWS = 200_000, 5_000
PROFILES, QUICK_PROFILES = 5_000, 200
CHUNK_ROWS, QUICK_CHUNK_ROWS = 10_000, 1_000
#: What the chunked run may use above the floor, in MB.
BOUND_MB = 150
NOTE = "Met at the trade fair; asked for a follow-up about pricing and the Q3 rollout. " * 4

SCRIPT = Path(sys.executable).parent / "sfy-pandas"
FLOOR = "import sfy_pandas, pandas, httpx"
READ_WHOLE = "import sys, pandas as pd; pd.read_csv(sys.argv[1], dtype=str)"


@dataclass
class Measure:
    name: str
    peak_mb: float
    seconds: float


def write_leads(path: Path, rows: int, profiles: int) -> None:
    """A lead list with every profile turning up rows/profiles times, spelled several ways."""
    spellings = (
        "https://www.linkedin.com/in/{}",
        "linkedin.com/in/{}/",
        "http://uk.linkedin.com/in/{}?trk=public_profile",
        "LinkedIn.com/IN/{}",
    )
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["lead_id", "first_name", "company", "linkedin_url", "notes"])
        for row in range(rows):
            person = (row * 7919) % profiles  # a fixed shuffle: repeats spread over chunks
            url = spellings[row % len(spellings)].format(f"lead-{person:06d}")
            writer.writerow([f"L{row:07d}", f"Name{person}", f"Company {person % 97}", url, NOTE])


def peak_of(command: Sequence[str], env: dict[str, str] | None = None) -> Measure:
    """Run ``command``; its peak RSS from the kernel's accounting of that one child."""
    started = time.monotonic()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)  # already reaped here
        seconds = time.monotonic() - started
        if process.returncode not in (0, 1):  # 1: some rows failed, a normal outcome
            errors.seek(0)
            raise SystemExit(f"{command[0]} failed:\n{errors.read().decode()[-2000:]}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    return Measure(" ".join(command), usage.ru_maxrss * scale / 2**20, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 rows: a smoke test")
    args = parser.parse_args(argv)
    rows = QUICK_ROWS if args.quick else ROWS
    profiles = QUICK_PROFILES if args.quick else PROFILES
    chunk_rows = QUICK_CHUNK_ROWS if args.quick else CHUNK_ROWS

    from sfy_pandas.simulator import serve_in_thread

    with (
        tempfile.TemporaryDirectory(prefix="sfy-bench-") as scratch,
        serve_in_thread(
            pending_seconds=0.0,
            resolve_seconds=0.02,
            resolve_spread=0.0,
            completed_rate=0.7,
            not_found_rate=0.3,
            failed_rate=0.0,
            balance=10**9,
        ) as server,
    ):
        source, out = Path(scratch) / "leads.csv", Path(scratch) / "leads_enriched.csv"
        write_leads(source, rows, profiles)
        size_mb = source.stat().st_size / 2**20
        env = {k: v for k, v in os.environ.items() if not k.startswith("SALESFINITY_")}
        env["SALESFINITY_API_KEY"] = server.api_key

        floor = peak_of([sys.executable, "-c", FLOOR])
        whole = peak_of([sys.executable, "-c", READ_WHOLE, str(source)])
        chunked = peak_of(
            [
                str(SCRIPT), "enrich", str(source), "--column", "linkedin_url",
                "--out", str(out), "--chunk-rows", str(chunk_rows), "--quiet",
                "--base-url", server.base_url, "--journal", str(Path(scratch) / "journal"),
                "--poll-interval", "0.05",
            ],
            env=env,
        )  # fmt: skip
        with out.open(encoding="utf-8") as file:
            written = sum(1 for _ in csv.reader(file)) - 1
        created = server.ledger.lookups_created

    bound = floor.peak_mb + BOUND_MB
    within = chunked.peak_mb <= bound and (args.quick or chunked.peak_mb < whole.peak_mb)
    print(f"Peak RSS of a child process; CSV of {rows:,} rows ({size_mb:,.0f} MB),")
    print(f"{profiles:,} distinct profiles; chunks of {chunk_rows:,} rows.\n")
    print("| process | peak RSS (MB) | wall time (s) |")
    print("|---|---:|---:|")
    print(f"| floor: Python + sfy_pandas imported | {floor.peak_mb:,.0f} | {floor.seconds:.1f} |")
    print(f"| baseline: read_csv of the whole file | {whole.peak_mb:,.0f} | {whole.seconds:.1f} |")
    print(f"| sfy-pandas enrich, chunked | {chunked.peak_mb:,.0f} | {chunked.seconds:.1f} |")
    print(f"\nBound: floor + {BOUND_MB} MB = {bound:,.0f} MB (and below the baseline, full run).")
    print(f"Rows written: {written:,}; lookups created: {created:,}.")
    print("Within the bound." if within and written == rows else "BOUND BROKEN.")
    return 0 if within and written == rows and created == profiles else 1


if __name__ == "__main__":
    sys.exit(main())
