"""The README's Quickstart is what CI runs, so it must stay in shape."""

from __future__ import annotations

import re
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


def _sample_repr() -> str:
    """The repr the README shows after ``run``, in its "In a notebook" example."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## In a notebook\s*$(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert section is not None, "README.md has no '## In a notebook' section"
    shown = re.search(r"^run\s+#\s*(.+)$", section.group(1), re.M)
    assert shown is not None, "the example shows no repr after `run`"
    return shown.group(1).strip()


def _as_pattern(sample: str) -> re.Pattern[str]:
    """The sample with its numbers free and its trailing ``...`` standing for the rest."""
    pattern = ""
    for piece in re.split(r"(\d[\d,]*|\.\.\.)", sample):
        if piece == "...":
            pattern += ".*"
        elif piece[:1].isdigit():
            pattern += r"\d[\d,]*"
        else:
            pattern += re.escape(piece)
    return re.compile(pattern)


def test_the_readme_s_sample_repr_is_the_one_a_run_shows(tmp_path: Path) -> None:
    import pandas as pd

    import sfy_pandas
    from sfy_pandas.simulator import serve_in_thread

    frame = pd.read_csv(sfy_pandas.sample_leads_path())
    with serve_in_thread(seed=0) as server:  # any API but the bundled one: no [simulator] tag
        run = frame.salesfinity.enrich(
            "linkedin_url",
            base_url=server.base_url,
            api_key=server.api_key,
            progress=None,
            journal=tmp_path / "journal.sqlite3",
        )

    sample = _sample_repr()
    assert _as_pattern(sample).fullmatch(repr(run)), f"README: {sample}\nreal:   {run!r}"
