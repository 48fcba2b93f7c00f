"""What a scenario measures about its own process: memory, CPU per thread, redraws.

Each scenario runs in a fresh process, so these figures are that run's alone.
"""

from __future__ import annotations

import contextlib
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any


def rss_mb() -> float:
    """Resident memory of this process right now, in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """The most resident memory this process has held so far, in MB."""
    # ru_maxrss counts kibibytes on Linux; rss_mb() counts MB of 10**6 bytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def cpu_wait() -> float:
    """Seconds this process's live threads have spent runnable but waiting for a CPU.

    The scheduler's own count (``/proc/<pid>/task/<tid>/schedstat``, second
    field): on a loaded machine it says how much of a run's wall time was the
    machine's, not the client's.
    """
    waited = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/schedstat") as stat:
                waited += int(stat.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return waited / 1e9


def thread_cpu(name: str) -> float:
    """CPU seconds used so far by this process's thread called ``name`` (0 if none)."""
    for thread in threading.enumerate():
        if thread.name == name and thread.native_id is not None:
            try:
                with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


class CommCounter:
    """Counts the messages the progress widget would send to the frontend.

    ipywidgets sends through ``comm.create_comm``, which a kernel replaces with
    its own; here it is replaced by a comm that only writes down when it sent.
    """

    def __init__(self) -> None:
        import comm

        self.times: list[float] = []
        counter = self

        class CountingComm(comm.DummyComm):
            def publish_msg(self, msg_type: str, data: Any = None, *args: Any, **kw: Any) -> None:
                if msg_type == "comm_msg":  # a redraw; not the widget's creation
                    counter.times.append(time.monotonic())

        comm.create_comm = CountingComm

    def figures(self, start: float, end: float) -> dict[str, float]:
        """Redraws sent between start and end: in all, per second, most in any second.

        ``busiest_running`` leaves out the last one: the final state, drawn when the
        run ends whatever the throttle says.
        """
        times = [t for t in self.times if start <= t <= end]
        return {
            "messages": len(times),
            "per_second": len(times) / max(end - start, 1e-9),
            "busiest_second": _busiest_second(times),
            "busiest_running": _busiest_second(times[:-1]),
        }


def _busiest_second(times: list[float]) -> int:
    busiest, left = 0, 0
    for right, now in enumerate(times):
        while now - times[left] >= 1.0:
            left += 1
        busiest = max(busiest, right - left + 1)
    return busiest


@contextlib.contextmanager
def stdout_to_stderr(redirect: bool = True) -> Iterator[None]:
    """Keep standard output for the one JSON line: the library's prints go to stderr.

    A scenario run inside a quick run's process (``redirect=False``) leaves the
    process's standard output alone: other threads print there.
    """
    if not redirect:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield
