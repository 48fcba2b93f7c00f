"""In a real kernel: a run started with ``wait=False`` stays in view while no cell runs.

The widget is redrawn from the loop thread, so its messages reach the frontend
between cells; the frame is written on the kernel's thread, before the next
cell runs (IPython's ``pre_run_cell``), so that cell reads it whole.
"""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parent.parent

START = """
import sfy_pandas
from sfy_pandas._sample import messy_leads
from sfy_pandas.simulator import start
sim = start(pending_seconds=0.5, resolve_seconds=3.0, resolve_spread=1.0, seed=5)
df = messy_leads(150, seed=5)
run = df.salesfinity.enrich(
    "linkedin_url", base_url=sim.base_url, api_key=sim.api_key, journal="off",
    wait=False, progress="widget", poll_interval=0.2,
)
"""

READ = """
print("unfilled", int(df["salesfinity_status"].isna().sum()), "done", run.done)
print("running", int(df["salesfinity_status"].isin(["pending", "processing"]).sum()))
"""


@pytest.fixture
def kernel(tmp_path: Path) -> Any:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SALESFINITY_JOURNAL": str(tmp_path / "journal.sqlite3"),
    }
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(tmp_path), env=env)
    client = manager.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    yield client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def _execute(client: Any, code: str, timeout: float = 60) -> list[dict[str, Any]]:
    """Run one cell; return its iopub messages up to the kernel going idle."""
    msg_id = client.execute(code)
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = client.get_iopub_msg(timeout=deadline - time.monotonic())
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        messages.append(message)
        state = message["content"].get("execution_state")
        if message["msg_type"] == "status" and state == "idle":
            return messages
    pytest.fail(f"the cell did not finish in {timeout} s")


def _between_cells(client: Any, seconds: float) -> list[dict[str, Any]]:
    """Every iopub message that arrives while no cell runs, for ``seconds``."""
    messages = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            messages.append(client.get_iopub_msg(timeout=left))
        except queue.Empty:
            break
    return messages


def _widget_values(messages: list[dict[str, Any]]) -> list[str]:
    values = []
    for message in messages:
        if message["msg_type"] == "comm_msg":
            value = message["content"]["data"].get("state", {}).get("value")
            if isinstance(value, str):
                values.append(value)
    return values


def _stdout(messages: list[dict[str, Any]]) -> str:
    return "".join(
        m["content"]["text"]
        for m in messages
        if m["msg_type"] == "stream" and m["content"]["name"] == "stdout"
    )


def test_the_widget_moves_between_cells_and_the_next_cell_reads_a_whole_frame(kernel):
    started = _execute(kernel, START)
    assert not [m for m in started if m["msg_type"] == "error"], started

    idle = _between_cells(kernel, 12.0)
    values = _widget_values(idle)
    # Redrawn while no cell ran, with figures that changed, up to the last answer.
    assert len(set(values)) >= 3, values
    assert "completed" in values[-1]

    read = _stdout(_execute(kernel, READ))
    assert "unfilled 0 done True" in read, read
    assert "running 0" in read, read
