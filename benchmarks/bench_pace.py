"""How close the learned pace comes to an unannounced limit: creates against a token bucket.

Starts the simulator in a subprocess (``_server.py``, pinned to one core; the
client takes the other) with a
token bucket of R requests/s holding B, and sends P distinct creates through one
``AsyncSalesfinity`` (``max_concurrency`` C). No client can do that faster than
the bound (P - B) / R. Then a second client with the same key sends P more: it
starts from the pace the first one learned, so it should meet almost no 429s.

    python benchmarks/bench_pace.py                 # the three limits, ~2 minutes
    python benchmarks/bench_pace.py --quick         # a smoke run
    python benchmarks/bench_pace.py --limit 50:10 --profiles 1000

Prints a markdown table: limit/burst, wall vs bound, 429s, the measured limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_simulator import LOAD_CORE, _pin  # noqa: E402

from sfy_pandas.client import AsyncSalesfinity  # noqa: E402

KEY = "sk-bench-pace"


@dataclass(frozen=True)
class Row:
    rate: float
    burst: int
    profiles: int
    wall: float
    bound: float
    rate_limited: int
    second_wall: float
    second_rate_limited: int
    estimate: float | None

    def markdown(self) -> str:
        estimate = "-" if self.estimate is None else f"{self.estimate:.1f}/s"
        return (
            f"| {self.rate:g}/s, burst {self.burst} | {self.profiles} | {self.wall:.2f} s | "
            f"{self.bound:.2f} s | {self.wall / self.bound:.3f}x | {self.rate_limited} | "
            f"{estimate} | {self.second_wall / self.bound:.3f}x | {self.second_rate_limited} |"
        )


HEADER = (
    "| limit | creates | wall | bound (P-B)/R | wall/bound | 429s | measured limit | "
    "second client wall/bound | second client 429s |\n|---|---|---|---|---|---|---|---|---|"
)


def start_server(rate: float, burst: int) -> tuple[subprocess.Popen[str], str]:
    knobs = {"rate_limit": rate, "burst": burst, "pending_seconds": 0.1, "resolve_seconds": 0.2}
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_server.py"), json.dumps(knobs)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, f"http://127.0.0.1:{port}"


async def send_creates(base_url: str, first: int, count: int, concurrency: int) -> Any:
    async with AsyncSalesfinity(KEY, base_url=base_url, max_concurrency=concurrency) as client:
        queue = list(range(first, first + count))

        async def worker() -> None:
            while queue:
                n = queue.pop()
                await client.create(f"https://www.linkedin.com/in/bench-pace-{n}")

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.monotonic() - started, client.stats


def measure(rate: float, burst: int, profiles: int, concurrency: int) -> Row:
    process, base_url = start_server(rate, burst)
    try:
        wall, stats = asyncio.run(send_creates(base_url, 0, profiles, concurrency))
        # Let the bucket fill again, as it would between two runs.
        time.sleep(burst / rate + 0.5)
        second_wall, second = asyncio.run(send_creates(base_url, profiles, profiles, concurrency))
    finally:
        process.send_signal(2)
        process.wait(10)
    return Row(
        rate=rate,
        burst=burst,
        profiles=profiles,
        wall=wall,
        bound=(profiles - burst) / rate,
        rate_limited=stats.rate_limited,
        second_wall=second_wall,
        second_rate_limited=second.rate_limited,
        estimate=stats.rate_estimate,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs, seconds")
    parser.add_argument("--limit", action="append", help="RATE:BURST, repeatable")
    parser.add_argument("--profiles", type=int, help="creates per run (default: 20 s of the limit)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    args = parser.parse_args()
    _pin(LOAD_CORE)  # the server has the other core
    limits = [(10.0, 20), (50.0, 10), (100.0, 10)]
    if args.limit:
        limits = [(float(r), int(b)) for r, b in (item.split(":") for item in args.limit)]
    print(HEADER)
    for rate, burst in limits:
        profiles = args.profiles or int(rate * (3 if args.quick else 20)) + burst
        print(measure(rate, burst, profiles, args.concurrency).markdown(), flush=True)


if __name__ == "__main__":
    main()
