"""Where a run's memory goes: tracemalloc, snapshotted near the peak, summed by module.

A thread checks the traced total every 0.2 s and takes a snapshot whenever it
passes the last one by a quarter, so the last snapshot is taken within a
quarter of the peak. Each block is put to the innermost ``sfy_pandas`` line on its traceback
(the library code that asked for it), or, when none is there, to the package
that allocated it.
"""

from __future__ import annotations

import threading
import tracemalloc
from typing import Any

FRAMES = 12
TOP = 12


class HeapWatch:
    """tracemalloc from ``start()`` to ``stop()``; ``stop()`` returns the summary."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._snapshot: tracemalloc.Snapshot | None = None
        self._snapshot_bytes = 0
        self._thread = threading.Thread(target=self._watch, name="bench-heap", daemon=True)

    def start(self) -> None:
        tracemalloc.start(FRAMES)
        self._thread.start()

    def stop(self) -> dict[str, Any]:
        self._done.set()
        self._thread.join()
        _current, peak = tracemalloc.get_traced_memory()
        snapshot = self._snapshot or tracemalloc.take_snapshot()
        tracemalloc.stop()
        return {
            "peak_mb": peak / 1e6,
            "snapshot_mb": self._snapshot_bytes / 1e6,
            "by_line": top_allocators(snapshot, by_line=True),
            "by_module": top_allocators(snapshot, by_line=False),
        }

    def _watch(self) -> None:
        while not self._done.wait(0.2):
            current, _peak = tracemalloc.get_traced_memory()
            if current > self._snapshot_bytes * 1.25:
                self._snapshot = tracemalloc.take_snapshot()
                self._snapshot_bytes = current


def top_allocators(snapshot: tracemalloc.Snapshot, by_line: bool) -> list[list[Any]]:
    """``[place, MB, blocks]``, largest first: sfy_pandas lines (or modules), else packages."""
    sizes: dict[str, list[float]] = {}
    for stat in snapshot.statistics("traceback"):
        place = _place(stat.traceback, by_line)
        total = sizes.setdefault(place, [0.0, 0])
        total[0] += stat.size / 1e6
        total[1] += stat.count
    ranked = sorted(sizes.items(), key=lambda item: -item[1][0])[:TOP]
    return [[place, round(mb, 1), int(blocks)] for place, (mb, blocks) in ranked]


def _place(traceback: tracemalloc.Traceback, by_line: bool) -> str:
    # Tracebacks run oldest call first: the innermost library frame is the last one.
    for frame in reversed(traceback):
        name = frame.filename
        if "sfy_pandas/" in name and "/benchmarks/" not in name:
            module = "sfy_pandas/" + name.rsplit("sfy_pandas/", 1)[1]
            return f"{module}:{frame.lineno}" if by_line else module
    return _package(traceback[-1].filename if len(traceback) else "?")


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    return filename.rsplit("/", 1)[-1]
