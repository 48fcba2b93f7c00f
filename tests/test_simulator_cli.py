"""``sfy-pandas simulate`` (here ``python -m sfy_pandas.simulator``) serves the simulator."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from click.testing import CliRunner

from sfy_pandas.simulator._command import simulate

OPTIONS = [
    "--host", "--port", "--seed", "--api-key", "--pending-seconds", "--resolve-seconds",
    "--timeout-seconds", "--rate-limit", "--burst", "--fault-rate", "--lost-response-rate",
    "--retry-after", "--no-batch", "--balance", "--profile", "--drop-rate", "--slow-rate",
    "--slow-seconds", "--callback-duplicate-rate", "--completed-rate", "--not-found-rate",
    "--failed-rate",
]  # fmt: skip


def test_help_explains_every_option_and_shows_an_example() -> None:
    result = CliRunner().invoke(simulate, ["--help"])
    assert result.exit_code == 0
    for option in OPTIONS:
        assert option in result.output
    assert "Example" in result.output
    assert "sfy-pandas simulate --port" in result.output
    assert "realistic" in result.output


def test_knobs_that_do_not_add_up_are_a_usage_error() -> None:
    result = CliRunner().invoke(simulate, ["--completed-rate", "0.9", "--not-found-rate", "0.5"])
    assert result.exit_code == 2
    assert "must not exceed 1" in result.output


def test_a_missing_simulator_extra_gives_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = CliRunner().invoke(simulate, ["--port", "0"])
    assert result.exit_code == 1
    assert 'pip install "sfy-pandas[simulator]"' in result.output
    assert "Traceback" not in result.output


def test_a_port_already_taken_is_reported_plainly() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(simulate, ["--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


class Running:
    """A ``python -m sfy_pandas.simulator`` process, with what it printed on start."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sfy_pandas.simulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.banner = [self.process.stdout.readline() for _ in range(3)]
        found = re.search(r"SALESFINITY_BASE_URL=(\S+)", self.banner[1])
        key = re.search(r"SALESFINITY_API_KEY=(\S+)", self.banner[2])
        assert found, self.banner
        assert key, self.banner
        self.base_url, self.api_key = found.group(1), key.group(1)

    def interrupt(self) -> tuple[int, str, str]:
        """Ctrl+C, as a user would; returns the exit code and the rest of the output."""
        self.process.send_signal(signal.SIGINT)
        out, err = self.process.communicate(timeout=15)
        return self.process.returncode, out, err

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for process in started:
        process.kill()


def test_the_command_serves_with_the_given_knobs_until_interrupted(
    running: list[Running],
) -> None:
    server = Running("--seed", "3", "--api-key", "s3cret", "--no-batch")
    running.append(server)
    assert server.base_url.startswith("http://127.0.0.1:")
    assert server.api_key == "s3cret"
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": "s3cret"}) as api:
        created = api.post(
            "/v1/api/enrichment/email",
            json={"linkedin_url": "https://www.linkedin.com/in/cli-person", "type": "work"},
        )
        assert created.status_code == 201
        batch = api.post("/v1/api/enrichment/email/batch/query", json={"tasks": [{"id": "x"}]})
        assert batch.status_code == 404
        wrong = api.get("/v1/api/enrichment/credits", headers={"x-api-key": "other"})
        assert wrong.status_code == 401
    code, out, err = server.interrupt()
    assert code == 0
    assert "Stopped after 3 requests: 1 lookups created" in out
    printed = "".join(server.banner) + out + err
    assert printed.count("s3cret") == 1  # only the start-up line names the key


def test_the_realistic_profile_with_rate_limit_zero_serves_without_a_limit(
    running: list[Running],
) -> None:
    server = Running("--profile", "realistic", "--rate-limit", "0", "--fault-rate", "0",
                     "--drop-rate", "0", "--slow-rate", "0")  # fmt: skip
    running.append(server)
    assert "profile realistic" in server.banner[0]
    assert "any non-empty key" in server.banner[2]
    with httpx.Client(base_url=server.base_url, headers={"x-api-key": server.api_key}) as api:
        statuses = {api.get("/v1/api/enrichment/credits").status_code for _ in range(40)}
    assert statuses == {200}
    code, _, _ = server.interrupt()
    assert code == 0


def test_the_package_and_command_import_without_the_simulator_extra() -> None:
    code = (
        "import sys; sys.modules['starlette'] = sys.modules['uvicorn'] = None\n"
        "from sfy_pandas.simulator import Simulator\n"
        "from sfy_pandas.simulator._command import simulate\n"
        "try:\n"
        "    Simulator()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert 'pip install "sfy-pandas[simulator]"' in result.stdout
