"""``sfy-pandas demo`` works on its own: a simulator, the sample leads, a summary, a file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from sfy_pandas._sample import sample_leads_path
from sfy_pandas.cli._commands import cli
from sfy_pandas.cli._demo import demo_leads

SCRIPT = Path(sys.executable).parent / "sfy-pandas"


def test_the_demo_command_runs_in_its_own_process_and_writes_its_file(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESFINITY_")}
    done = subprocess.run(
        [str(SCRIPT), "demo", "--rows", "40"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    out = tmp_path / "sample_leads_enriched.csv"
    assert f"Wrote 40 enriched rows to {out}" in done.stdout
    assert "FAKE" in done.stdout
    for line in ("status", "total", "credits used", "requests sent", "wall time"):
        assert line in done.stdout
    requests = next(line for line in done.stdout.splitlines() if "requests sent" in line)
    assert int(requests.split()[-1].replace(",", "")) > 0
    assert "Salesfinity" in done.stderr  # the text progress line
    frame = pd.read_csv(out, dtype=str, keep_default_na=False, na_values=[""])
    assert len(frame) == 40
    assert frame["salesfinity_status"].notna().all()
    assert frame["salesfinity_email"].notna().any()


def test_the_demo_refuses_an_unknown_file_type_before_starting() -> None:
    result = CliRunner().invoke(cli, ["demo", "--out", "demo.json"])
    assert result.exit_code == 2
    assert "unknown file type '.json'" in result.output


def test_the_sample_is_the_bundled_file_and_grows_with_the_same_generator() -> None:
    bundled = pd.read_csv(sample_leads_path(), dtype=str, keep_default_na=False, na_values=[""])
    assert len(bundled) >= 500
    assert demo_leads(100).equals(bundled.head(100))
    larger = demo_leads(700)
    assert len(larger) == 700
    assert larger.head(600).fillna("").astype(str).equals(bundled.fillna("").astype(str))
