"""The README's Quickstart is what CI runs, so it must stay in shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _block(which: int) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "quickstart.py"), str(which)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def test_the_first_quickstart_block_installs_and_runs_the_demo():
    lines = _block(1).strip().splitlines()
    assert lines[0].startswith("pip install")
    assert lines[-1].startswith("sfy-pandas demo")


def test_the_second_quickstart_block_installs_dev_and_runs_pytest():
    lines = _block(2).strip().splitlines()
    assert lines[0] == 'pip install -e ".[dev]"'
    assert lines[-1] == "python -m pytest"
