"""The benchmark of the README runs in its quick mode and prints a table of sane figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def table() -> tuple[str, list[list[str]]]:
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick"],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in result.stdout.splitlines()
        if re.match(r"^\| \d \|", line)
    ]
    return result.stdout, rows


def bold(cell: str) -> float:
    found = re.search(r"\*\*([\d,.]+)", cell)
    assert found, cell
    return float(found.group(1).replace(",", ""))


def test_the_table_has_every_row_of_the_issue_and_names_the_machine(table):
    output, rows = table
    assert [row[0] for row in rows] == [
        "1",
        "1",
        "2",
        "2",
        "3",
        "3",
        "3",
        "3",
        "3",
        "4",
        "4",
        "4",
        "5",
        "5",
    ]
    assert all(len(row) == 5 for row in rows)
    assert re.search(r"^Machine: \d+ cores \(.+\), .+, Python 3\.\d+", output, re.MULTILINE)


def test_every_result_holds_positive_figures(table):
    _, rows = table
    for row in rows:
        figures = [float(n.replace(",", "")) for n in NUMBER.findall(row[2])]
        assert figures, row
        assert all(n >= 0 for n in figures), row
    for row in rows[:2] + rows[3:6]:
        assert bold(row[2]) > 0, row


def test_each_profile_was_created_once_and_polled_in_full_batches(table):
    _, rows = table
    creates, calls = rows[9], rows[10]
    assert creates[1].startswith("creates per distinct profile")
    assert bold(creates[2]) == 1.0
    assert creates[4] == "yes"
    assert calls[1] == "status calls per polling round"
    assert calls[4] == "yes"
