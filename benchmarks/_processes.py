"""The benchmark's processes: a simulator on one core, each measurement in a fresh client.

``serve(**knobs)`` starts ``_server.py`` pinned to one core; ``scenario(name, ...)``
runs one of ``_scenarios.py``'s measurements in a new process pinned to the
other and returns its figures. ``machine()`` and ``load()`` say where and under
what load the figures were taken.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def fetch_ledger(base_url: str) -> dict[str, Any]:
    """What the bench server saw (``_server.py``), as JSON."""
    with urllib.request.urlopen(base_url + "/_bench/ledger", timeout=60) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    base_url: str = field(init=False)

    def __post_init__(self) -> None:
        self.base_url = f"http://127.0.0.1:{self.port}"

    def ledger(self) -> dict[str, Any]:
        return fetch_ledger(self.base_url)

    def stop(self) -> None:
        self.process.send_signal(2)  # SIGINT: uvicorn shuts down cleanly
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ThreadServer:
    """A bench simulator served by a thread of this process: for quick runs, no process start."""

    def __init__(self, knobs: dict[str, Any]) -> None:
        import threading

        from _server import Tally

        from sfy_pandas.simulator import Simulator
        from sfy_pandas.simulator._server import base_url_of, bind_socket, make_server

        knobs = dict(knobs)
        trace = bool(knobs.pop("trace", False))
        simulator = Simulator(**knobs)
        self._server = make_server(simulator)
        self._server.config.app = Tally(simulator, trace)
        self._sock = bind_socket("127.0.0.1", 0)
        self.base_url = base_url_of(self._sock)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the simulator did not start; see its error above")
            self._thread.join(0.005)

    def ledger(self) -> dict[str, Any]:
        return fetch_ledger(self.base_url)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> ThreadServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


#: Quick runs serve their simulators and run their scenarios in the benchmark's
#: own process: starting a Python with pandas for each would take most of the time.
_IN_PROCESS = [False]


def in_process() -> None:
    """From now on, ``serve()`` and ``scenario()`` stay in this process (a quick run)."""
    _IN_PROCESS[0] = True


def serve(**knobs: Any) -> Server | ThreadServer:
    """A simulator with these knobs, in its own process on its own core."""
    if _IN_PROCESS[0]:
        return ThreadServer(knobs)
    process = subprocess.Popen(
        [sys.executable, str(HERE / "_server.py"), json.dumps(knobs)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip():
        process.wait(10)
        raise RuntimeError("the simulator did not start; see its error above")
    return Server(process, int(line))


def scenario(name: str, **params: Any) -> dict[str, Any]:
    """Run one client-side measurement in a fresh process; its figures as a dict."""
    if _IN_PROCESS[0]:
        import _scenarios

        # Each run its own key: runs in one process share the pace learned per key.
        params = {**params, "in_process": True, "api_key": f"bench-key-{uuid.uuid4().hex}"}
        return json.loads(json.dumps(_scenarios.SCENARIOS[name](params)))  # type: ignore[no-any-return]
    result = subprocess.run(
        [sys.executable, str(HERE / "_scenarios.py"), name, json.dumps(params)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"scenario {name} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def machine() -> str:
    """Cores, CPU model, system and the versions that matter, in one line."""
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    system = platform.platform(terse=True)
    try:
        with open("/etc/os-release") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    name = line.split("=", 1)[1].strip().strip('"')
                    system = f"{name}, Linux {platform.release()}"
    except OSError:
        pass
    import httpx
    import pandas

    return (
        f"{os.cpu_count()} cores ({model}), {system}, Python {platform.python_version()}, "
        f"pandas {pandas.__version__}, httpx {httpx.__version__}"
    )


def load() -> str:
    """The machine's load averages (1, 5, 15 min), as ``uptime`` shows them."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f}, {five:.2f}, {fifteen:.2f}"
