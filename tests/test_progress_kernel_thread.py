"""A view redrawn from a background thread reaches the notebook while no cell runs.

With ``wait=False`` the engine's loop thread is the only one that sees answers
arrive: the widget must be drawn from there, and its comm messages must reach
the frontend although the kernel is idle. This drives the view the way a run
does, from a thread started by a cell that has already returned, and collects
the iopub messages that arrive after the kernel went idle.
"""

from __future__ import annotations

import queue
import time
from typing import Any

import pytest

CELL = """
import threading, time
from sfy_pandas._models import Status
from sfy_pandas.progress._snapshot import Outcome, ProgressSnapshot, make_progress

view = make_progress("auto", min_interval=0.1)

def loop_thread():
    rows, start = 200, time.monotonic()
    for done in range(1, rows + 1):
        time.sleep(0.01)
        counts = {Status.COMPLETED: done, Status.PENDING: rows - done}
        view.update(ProgressSnapshot(rows, counts, done, time.monotonic() - start))
    view.close(ProgressSnapshot(rows, {Status.COMPLETED: rows}, rows, 2.0), Outcome.DONE)

threading.Thread(target=loop_thread, daemon=True).start()
type(view).__name__
"""


def test_widget_redraws_from_a_background_thread_arrive_while_no_cell_runs() -> None:
    manager = pytest.importorskip("jupyter_client.manager")
    kernel, client = manager.start_new_kernel(kernel_name="python3")
    try:
        cell = client.execute(CELL)
        idle_at: float | None = None
        result = ""
        after_idle: list[dict[str, Any]] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                msg = client.get_iopub_msg(timeout=0.5)
            except queue.Empty:
                if idle_at is not None and time.monotonic() - idle_at > 5:
                    break
                continue
            kind = msg["msg_type"]
            if msg["parent_header"].get("msg_id") == cell:
                if kind == "execute_result":
                    result = msg["content"]["data"]["text/plain"]
                if kind == "status" and msg["content"]["execution_state"] == "idle":
                    idle_at = time.monotonic()
                    continue
            if idle_at is not None and kind in ("comm_msg", "stream"):
                after_idle.append(msg)
            if any("(done)" in m["content"].get("text", "") for m in after_idle):
                break
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)

    redraws = [
        m["content"]["data"]["state"]["value"]
        for m in after_idle
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update"
    ]
    printed = "".join(m["content"]["text"] for m in after_idle if m["msg_type"] == "stream")
    assert result == "'WidgetProgress'"
    assert idle_at is not None
    # The cell had long returned: these all came from the background thread.
    assert len(redraws) >= 5
    assert redraws[0] != redraws[-1]  # the counts moved
    assert "200 / 200 (100%)" in redraws[-1]
    assert "Salesfinity (done): 200/200 rows" in printed
