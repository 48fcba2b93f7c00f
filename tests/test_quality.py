"""The code stays lint-clean, formatted and strictly typed; the public face stays exact."""

from __future__ import annotations

import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import sfy_pandas

ROOT = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed; pip install -e '.[dev]'")
    return found


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "sfy_pandas", "tests", "benchmarks", ".ci"],
        ["ruff", "format", "--check", "sfy_pandas", "tests", "benchmarks", ".ci"],
        ["mypy", "sfy_pandas"],
        ["lint-imports"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict", "import-layers"],
)
def test_the_package_passes(command: list[str]):
    result = subprocess.run(
        [_tool(command[0]), *command[1:]], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_all_lists_exactly_the_public_names():
    public = {
        name
        for name, value in vars(sfy_pandas).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(sfy_pandas.__all__) == public | {"__version__"}
    assert sfy_pandas.__all__ == sorted(sfy_pandas.__all__)


def test_the_version_comes_from_the_installed_metadata():
    from importlib.metadata import version

    assert sfy_pandas.__version__ == version("sfy-pandas")
