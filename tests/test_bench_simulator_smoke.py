"""The simulator benchmark runs in its quick mode and reports positive throughput."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_simulator.py"


def test_the_quick_benchmark_prints_a_table_of_positive_figures() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rows = re.findall(r"^\| ([^|]+) \| ([\d,]+) \|", result.stdout, re.MULTILINE)
    names = [name.strip() for name, _ in rows]
    assert names == [
        "baseline: bare ASGI hello",
        "GET one lookup",
        "batch query of 200 ids",
        "POST create",
    ]
    assert all(int(rate.replace(",", "")) > 0 for _, rate in rows)
