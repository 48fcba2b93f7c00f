"""The benchmark of the README runs in its quick mode and prints tables of sane figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
#: A number as the table prints it, with its sign: a minus sign is caught, not dropped.
NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")
LOOKUP_ROWS = [
    "profiles, no batch query",
    "profiles, no batch query",
    "profiles, batch query on",
    "realistic limit 10/s, burst 20;",
    "tight limit 50/s, burst 10;",
]


@pytest.fixture(scope="module")
def output() -> str:
    result = subprocess.run(
        [sys.executable, str(RUN), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def numbers(cell: str) -> list[float]:
    return [float(n.replace(",", "")) for n in NUMBER.findall(cell)]


def bold(cell: str) -> float:
    found = re.search(r"\*\*(-?[\d,.]+)", cell)
    assert found, cell
    return float(found.group(1).replace(",", ""))


def lookup_rows(output: str) -> list[list[str]]:
    return [
        cells(line)
        for line in output.splitlines()
        if re.match(r"^\| \d[\d,]* profiles|^\| (realistic|tight) limit", line)
    ]


def numbered_rows(output: str) -> list[list[str]]:
    return [cells(line) for line in output.splitlines() if re.match(r"^\| \d \|", line)]


def test_the_number_pattern_keeps_a_minus_sign() -> None:
    assert numbers("added -2 MB, 3.5 s, 1,000 rows, load 0.50") == [-2.0, 3.5, 1000.0, 0.5]


def test_each_api_shape_is_set_beside_its_best_possible_run(output: str) -> None:
    rows = lookup_rows(output)
    assert len(rows) == len(LOOKUP_ROWS)
    for row, label in zip(rows, LOOKUP_ROWS, strict=True):
        assert label in row[0], row
        assert len(row) == 10, row
        wall, bound, ratio = numbers(row[1])[0], numbers(row[2])[0], bold(row[3])
        assert wall > 0, row
        assert bound > 0, row
        assert ratio == pytest.approx(wall / bound, rel=0.05), row
        assert row[5] in ("yes", "**no**"), row
        assert numbers(row[6])[0] >= 1.0, row  # every lookup was read at least once
        assert numbers(row[7])[0] >= 0, row  # 429s
        median, p90 = numbers(row[8])
        assert 0 <= median <= p90, row
        assert row[9].startswith("load "), row
    assert "lookups the client never saw final: 0." in output
    assert re.search(
        r"Creates per distinct profile, counted by the simulator: at most 1\.000;", output
    )


def test_the_table_has_every_row_and_names_the_machine(output: str) -> None:
    rows = numbered_rows(output)
    assert [row[0] for row in rows] == ["2"] * 2 + ["3"] * 6 + ["4"] * 3 + ["5"] * 2
    assert all(len(row) == 5 for row in rows)
    assert re.search(r"^Machine: \d+ cores \(.+\), .+, Python 3\.\d+", output, re.MULTILINE)


def test_every_result_holds_figures_none_negative(output: str) -> None:
    for row in numbered_rows(output):
        figures = numbers(row[2])
        assert figures, row
        assert all(n >= 0 for n in figures), row
        if "**" in row[2]:
            assert bold(row[2]) > 0 or row[1].startswith("memory"), row


def test_cpu_is_set_beside_bare_httpx_and_memory_against_its_target(output: str) -> None:
    rows = {row[1].split(",")[0]: row for row in numbered_rows(output)}
    memory = next(row for name, row in rows.items() if name.startswith("memory: rerun over"))
    assert memory[3] == "at most 400 MB"
    assert memory[4] in ("yes", "**no**")
    enrich = rows["client CPU per row: enrich()"]
    bare = next(row for name, row in rows.items() if name.startswith("client CPU per row: bare"))
    ratio = rows["client CPU"]
    assert bold(ratio[2]) == pytest.approx(bold(enrich[2]) / bold(bare[2]), rel=0.05, abs=0.01)
    assert ratio[3] == "at most 1.3x"


def test_each_profile_was_created_once_and_read_in_batches_of_at_most_200(output: str) -> None:
    rows = numbered_rows(output)
    creates, reads = rows[8], rows[9]
    assert creates[1].startswith("creates per distinct profile")
    assert bold(creates[2]) == 1.0
    assert creates[4] == "yes"
    assert reads[1].startswith("status reads")
    assert reads[4] == "yes"


def test_the_lookup_benchmark_runs_only_the_rows_asked_for_even_without_long_lookups():
    # Only rows of fixed lookups (run one at a time) left no rows for the pool of
    # long-lookup rows, and ThreadPoolExecutor(max_workers=0) raised.
    bench = RUN.parent / "bench_lookups.py"
    result = subprocess.run(
        [sys.executable, str(bench), "--quick", "--rows", "realistic,tight"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert [row[0].split(";")[0] for row in lookup_rows(result.stdout)] == [
        "realistic limit 10/s, burst 20",
        "tight limit 50/s, burst 10",
    ]
