"""The chunked-memory benchmark runs in its quick mode and keeps the chunked run in bounds."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_chunked_memory.py"


def test_the_quick_benchmark_prints_a_table_and_stays_within_its_bound() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = dict(re.findall(r"^\| ([^|]+?) \| ([\d,]+) \|", result.stdout, re.MULTILINE))
    assert list(rows) == [
        "floor: Python + sfy_pandas imported",
        "baseline: read_csv of the whole file",
        "sfy-pandas enrich, chunked",
    ]
    assert all(int(peak.replace(",", "")) > 0 for peak in rows.values())
    assert "Rows written: 5,000; lookups created: 200." in result.stdout
    assert "Within the bound." in result.stdout
