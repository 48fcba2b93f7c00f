"""The quickstart notebook runs top to bottom in a real kernel, as Run All runs it.

JupyterLab's Run All sends every cell's execute_request at once and lets the
kernel work through the queue. A library that patches the kernel's event loop
(nest-asyncio) answers the first cell and leaves every cell queued behind it
without a reply; so this test queues them all the same way, and every reply must
arrive, ``ok``, within a time limit.
"""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import openpyxl
import pandas as pd
import pytest
from jupyter_client.manager import KernelManager

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"

#: Seconds from queueing the first cell until every reply must have arrived.
RUN_ALL_LIMIT = 60
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass
class CellRun:
    """What the kernel sent back for one cell."""

    source: str
    reply: dict[str, Any] | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    idle: bool = False

    @property
    def text(self) -> str:
        return "".join(o["content"]["text"] for o in self.outputs if o["msg_type"] == "stream")

    def displays(self) -> list[dict[str, Any]]:
        """Each display's data as the frontend ends up with it (updates applied)."""
        shown: list[dict[str, Any]] = []
        by_id: dict[str, dict[str, Any]] = {}
        for output in self.outputs:
            content = output["content"]
            display_id = content.get("transient", {}).get("display_id")
            if output["msg_type"] in ("display_data", "execute_result"):
                data = dict(content["data"])
                shown.append(data)
                if display_id:
                    by_id[display_id] = data
            elif output["msg_type"] == "update_display_data" and display_id in by_id:
                by_id[display_id].update(content["data"])
        return shown

    def widget_html(self, model_id: str) -> str:
        """The last HTML the kernel sent for a widget model (what the page draws)."""
        value = ""
        for output in self.outputs:
            content = output["content"]
            if output["msg_type"] in ("comm_open", "comm_msg") and content["comm_id"] == model_id:
                value = content["data"].get("state", {}).get("value", value)
        return value


def run_all(sources: list[str], cwd: Path, env: dict[str, str], limit: float) -> list[CellRun]:
    """Queue every cell at once, like Run All, then collect replies until ``limit``."""
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(cwd), env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        runs: dict[str, CellRun] = {}
        for source in sources:  # no waiting between cells: all queued at once
            runs[client.execute(source, store_history=True)] = CellRun(source)
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not all(
            run.reply is not None and run.idle for run in runs.values()
        ):
            _collect(client, runs)
        return list(runs.values())
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _collect(client: Any, runs: dict[str, CellRun]) -> None:
    try:
        reply = client.get_shell_msg(timeout=0.05)
    except queue.Empty:
        pass
    else:
        run = runs.get(reply["parent_header"].get("msg_id"))
        if run is not None:
            run.reply = reply["content"]
    while True:
        try:
            message = client.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            return
        run = runs.get(message["parent_header"].get("msg_id"))
        if run is None:
            continue
        if message["msg_type"] == "status":
            run.idle = run.idle or message["content"]["execution_state"] == "idle"
        elif message["msg_type"] in (
            "stream",
            "display_data",
            "execute_result",
            "update_display_data",
            "error",
            "comm_open",
            "comm_msg",
        ):
            run.outputs.append(message)


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[CellRun], Path, float]:
    """The quickstart, Run All in a fresh kernel whose working directory is a temp dir."""
    workdir = tmp_path_factory.mktemp("quickstart")
    shutil.copy(NOTEBOOK, workdir / NOTEBOOK.name)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    env = {
        **os.environ,
        "SALESFINITY_JOURNAL": str(workdir / "journal.sqlite3"),
        "SALESFINITY_SIMULATOR_STATE": str(workdir / "simulator.sqlite3"),
        "JUPYTER_RUNTIME_DIR": str(workdir / "runtime"),
    }
    env.pop("SALESFINITY_API_KEY", None)  # the notebook must run without a key
    started = time.monotonic()
    runs = run_all(sources, workdir, env, RUN_ALL_LIMIT)
    return runs, workdir, time.monotonic() - started


def _cell(runs: list[CellRun], needle: str) -> CellRun:
    found = [run for run in runs if needle in run.source]
    assert len(found) == 1, f"expected one cell containing {needle!r}, found {len(found)}"
    return found[0]


def test_every_queued_cell_replies_ok_within_the_limit(quickstart):
    runs, _, elapsed = quickstart
    missing = [run.source.splitlines()[0] for run in runs if run.reply is None]
    assert not missing, (
        f"no reply within {RUN_ALL_LIMIT}s for {len(missing)} of {len(runs)} cells "
        f"(the kernel is stuck), first: {missing[0]!r}"
    )
    failed = [
        (run.source.splitlines()[0], run.reply["ename"], run.reply["evalue"])
        for run in runs
        if run.reply is not None and run.reply["status"] != "ok"
    ]
    assert not failed, failed
    assert elapsed < RUN_ALL_LIMIT + 30  # kernel start and shutdown included


def test_no_cell_shows_an_error_or_a_warning(quickstart):
    runs, _, _ = quickstart
    errors = [o for run in runs for o in run.outputs if o["msg_type"] == "error"]
    stderr = [
        o["content"]["text"]
        for run in runs
        for o in run.outputs
        if o["msg_type"] == "stream" and o["content"]["name"] == "stderr"
    ]
    assert not errors
    assert not stderr


def test_the_enrich_cell_shows_the_widget_and_a_plain_text_summary(quickstart):
    runs, _, _ = quickstart
    enrich = _cell(runs, ".enrich(")
    widgets = [data for data in enrich.displays() if WIDGET_VIEW in data]
    assert len(widgets) == 1, enrich.outputs
    # What frontends without widgets (and the saved file) show: the final numbers.
    plain = widgets[0]["text/plain"]
    assert plain.startswith(("Salesfinity", "[simulator]")), plain
    assert "600/600" in plain
    assert "completed" in plain
    # The summary line printed once at the end, for exports and reopened files.
    printed = enrich.text.splitlines()
    assert len(printed) == 1
    assert printed[0] == plain


def test_the_widget_ends_on_every_row_and_names_the_simulator(quickstart):
    runs, _, _ = quickstart
    enrich = _cell(runs, ".enrich(")
    (view,) = [data[WIDGET_VIEW] for data in enrich.displays() if WIDGET_VIEW in data]
    html = enrich.widget_html(view["model_id"])
    assert "600 / 600 (100%)" in html
    assert ">simulator<" in html  # fake emails are never shown unlabelled


def test_the_exports_land_in_an_ignored_output_folder_with_every_lead(quickstart):
    _, workdir, _ = quickstart
    output = workdir / "output"
    csv, xlsx = output / "leads_enriched.csv", output / "leads_enriched.xlsx"
    assert csv.stat().st_size > 0
    assert xlsx.stat().st_size > 0
    exported = pd.read_csv(csv)
    assert len(exported) == 600
    statuses = set(exported["salesfinity_status"])
    assert not statuses & {"pending", "processing"}
    assert "completed" in statuses
    # Nothing lands beside the notebook, and the repository ignores the folder.
    assert not list(workdir.glob("leads_enriched.*"))
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "notebooks/output/leads_enriched.xlsx"],
        cwd=NOTEBOOK.parent.parent,
        check=False,
    )
    assert ignored.returncode == 0


def test_the_excel_export_holds_no_live_formula_and_says_what_it_quoted(quickstart):
    runs, workdir, _ = quickstart
    sheet = openpyxl.load_workbook(workdir / "output" / "leads_enriched.xlsx").active
    assert sheet is not None
    assert "f" not in {cell.data_type for row in sheet.iter_rows() for cell in row}
    printed = _cell(runs, "to_excel").text.splitlines()
    assert printed[0].startswith("Wrote leads_enriched.csv: quoted ")
    assert printed[1].startswith("Wrote leads_enriched.xlsx: quoted ")
    assert "a leading ' keeps them text" in printed[1]


def test_the_saved_notebook_reads_without_running():
    """Saved with its outputs and widget state, so a code host shows the numbers."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    outputs = [output for cell in code for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    views = [o.data[WIDGET_VIEW]["model_id"] for o in outputs if WIDGET_VIEW in o.get("data", {})]
    state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"]
    assert views
    assert set(views) <= set(state)
    assert all("Salesfinity" in state[model]["state"]["value"] for model in views)
    # Built in a temporary folder: no path of that place is kept.
    assert tempfile.gettempdir() + os.sep not in nbformat.writes(notebook)
