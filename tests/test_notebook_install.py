"""The quickstart notebook runs after exactly the install the README gives for it.

A fresh virtual environment gets ``pip install ".[notebook]"`` and nothing else;
the notebook then runs top to bottom in that environment's own kernel, from a
folder outside the source tree, so every import comes from what the extra
installed. Creating the environment takes minutes, so it is kept between runs
in the temp dir under a name keyed on pyproject.toml: the dependencies are
installed again only when pyproject.toml changes, and the package itself is
reinstalled from the source tree on every run.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
#: Seconds for the whole install of the extra (a cold cache downloads JupyterLab).
INSTALL_LIMIT = 1200

RUN_NOTEBOOK = """
import sys
import nbformat
from nbclient import NotebookClient

notebook = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
nbformat.write(notebook, sys.argv[2])
"""

#: The install alone can outlast the suite's 300 s per test on a cold cache.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(INSTALL_LIMIT + 600)]


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what points Python at the source tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.pop("SALESFINITY_API_KEY", None)  # the notebook must run without a key
    return {**env, **extra}


def _pip(python: Path, *args: str) -> None:
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *args],
        capture_output=True,
        text=True,
        env=_clean_env(),
        timeout=INSTALL_LIMIT,
        check=False,
    )
    if done.returncode:
        pytest.fail(f"pip install {' '.join(args)} failed:\n{done.stderr[-3000:]}")


@pytest.fixture(scope="session")
def notebook_python() -> Path:
    """The Python of a venv made with ``pip install ".[notebook]"`` from this tree."""
    text = PYPROJECT.read_text(encoding="utf-8")
    assert re.search(r"^notebook\s*=", text, re.M), "pyproject.toml has no [notebook] extra"
    key = hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()[:16]
    home = Path(tempfile.gettempdir()) / f"sfy-pandas-notebook-venv-{key}"
    python = home / "bin" / "python"
    ready = home / ".installed"
    if not ready.exists():
        venv.EnvBuilder(clear=True, with_pip=True).create(home)
        _pip(python, f"{ROOT}[notebook]")
        ready.touch()
    else:  # the dependencies are there: bring the package itself up to date
        _pip(python, "--no-deps", "--force-reinstall", str(ROOT))
    return python


def test_the_quickstart_runs_in_a_kernel_of_the_notebook_extra(
    notebook_python: Path, tmp_path: Path
) -> None:
    workdir = tmp_path / "analyst"
    workdir.mkdir()
    source, executed = workdir / NOTEBOOK.name, workdir / "executed.ipynb"
    source.write_bytes(NOTEBOOK.read_bytes())
    env = _clean_env(
        SALESFINITY_JOURNAL=str(tmp_path / "journal.sqlite3"),
        SALESFINITY_SIMULATOR_STATE=str(tmp_path / "simulator.sqlite3"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
        # The kernel must be the venv's own, not one registered by the machine.
        JUPYTER_PATH=str(notebook_python.parent.parent / "share" / "jupyter"),
        PATH=f"{notebook_python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )

    done = subprocess.run(
        [str(notebook_python), "-c", RUN_NOTEBOOK, str(source), str(executed)],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    notebook = nbformat.read(executed, as_version=4)
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert (workdir / "output" / "leads_enriched.xlsx").stat().st_size > 0
    where = subprocess.run(
        [str(notebook_python), "-c", "import sfy_pandas; print(sfy_pandas.__file__)"],
        cwd=workdir,
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert str(ROOT) not in where  # the installed package ran, not the source tree
    assert sys.prefix not in where
