"""Re-execute the notebooks here and save them with their outputs and widget state.

    python notebooks/build.py                  # every notebook in this folder
    python notebooks/build.py quickstart.ipynb

Each notebook runs top to bottom in a fresh kernel whose working directory is a
temporary folder, so the files it exports do not land in the repository, and
with a throwaway journal and simulator state, so answers remembered from an
earlier run do not change the numbers. The saved file keeps the outputs and the
widget state, so it reads well on a code host without being run. The simulator
is seeded, so the counts are the same on every build; only timings change.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

#: Seconds one cell may take before the build gives up.
CELL_TIMEOUT = 120


def clear_outputs(notebook: nbformat.NotebookNode) -> None:
    """Drop outputs, execution counts and saved widget state."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)


def build(path: Path) -> None:
    """Execute ``path`` in a fresh kernel and write it back with its outputs."""
    notebook = nbformat.read(path, as_version=4)
    clear_outputs(notebook)
    with tempfile.TemporaryDirectory(prefix="sfy-notebook-") as workdir:
        os.environ["SALESFINITY_JOURNAL"] = str(Path(workdir) / "journal.sqlite3")
        os.environ["SALESFINITY_SIMULATOR_STATE"] = str(Path(workdir) / "simulator.sqlite3")
        client = NotebookClient(
            notebook,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            resources={"metadata": {"path": workdir}},
            store_widget_state=True,
            record_timing=False,
        )
        client.execute()
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    print(f"built {path.relative_to(HERE.parent)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks in this folder (default: all)")
    args = parser.parse_args(argv)
    names = args.notebooks or sorted(p.name for p in HERE.glob("*.ipynb"))
    for name in names:
        build(HERE / Path(name).name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
