"""The reliability table's script runs every scenario in its quick mode, and nothing is lost."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "reliability_table.py"
ROW = re.compile(
    r"^\| (?P<fault>[^|]+) \| (?P<rows>[\d,]+) \| (?P<dup>\d+)[^|]* \| (?P<lost>\d+) \| "
    r"(?P<charged>\d+) / (?P<completed>\d+)"
)


@pytest.mark.slow
def test_the_quick_table_has_every_scenario_and_no_lost_row():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        check=True,
    )
    rows = [match.groupdict() for match in map(ROW.match, result.stdout.splitlines()) if match]
    faults = [row["fault"].strip() for row in rows]
    assert len(faults) == 17, result.stdout
    assert faults[0] == "no fault"
    assert sum("SIGKILL" in fault for fault in faults) == 5
    assert all(row["lost"] == "0" for row in rows), result.stdout
    # Extra lookups only where an answer was lost: a lost create answer, or a kill.
    for row in rows:
        extra, overpaid = int(row["dup"]), int(row["charged"]) - int(row["completed"])
        assert 0 <= overpaid <= extra, row  # only re-sent lookups are paid beyond the answers
        if extra:
            assert "lost" in row["fault"] or "SIGKILL" in row["fault"], row
        if "SIGKILL" in row["fault"]:
            assert extra <= 8, row  # at most the creates in flight at the kill
    assert "Traceback" not in result.stderr
