"""The quickstart in a real JupyterLab, driven by a headless Chromium: Run All, then read the page.

JupyterLab is served on loopback from a temporary copy of the notebook (outputs
cleared, so everything read comes from this run); Playwright drives Debian's
chromium through the Run menu's "Run All Cells", waits until the kernel is idle
and the last cell has printed, and then reads what an analyst sees: the progress
widget as the browser drew it, the summary line printed under it, and the table
of status counts the notebook computes from the frame. The three must agree.
The screenshot is kept in ``test-artifacts/``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
#: How the browser is started here: headless, and without the background
#: networking this machine's closed network refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Seconds for JupyterLab to answer, and for Run All to finish.
SERVER_START_LIMIT = 30
RUN_ALL_LIMIT = 60

#: The statuses the widget draws and the summary line names (the row counts by status).
COUNT = re.compile(r"([a-z][a-z-]*) ([\d,]+)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _quiet_settings(settings: Path) -> None:
    """No news or update checks: nothing leaves loopback, and no toast covers the page."""
    folder = settings / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True)
    (folder / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )


def _cleared_copy(root: Path) -> None:
    """The notebook without its saved outputs, so every output read comes from this run."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.write(notebook, root / NOTEBOOK.name)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """JupyterLab on loopback serving a copy of the notebook; yields (base URL + token, root)."""
    root = tmp_path / "notebooks"
    root.mkdir()
    _cleared_copy(root)
    _quiet_settings(tmp_path / "settings")
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "SALESFINITY_JOURNAL": str(tmp_path / "journal.sqlite3"),
        "SALESFINITY_SIMULATOR_STATE": str(tmp_path / "simulator.sqlite3"),
    }
    env.pop("SALESFINITY_API_KEY", None)  # the notebook must run without a key
    log_path = tmp_path / "jupyter-lab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "lab",
                "--no-browser",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={root}",
                "--ServerApp.allow_root=True",  # CI runs as root
                f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
                f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
                "--LabApp.news_url=None",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root,
            start_new_session=True,  # its kernels go with it when the group is stopped
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_status(base, token, server, log_path)
        yield f"{base}/lab/tree/{NOTEBOOK.name}?token={token}", root
    finally:
        _stop(server)


def _wait_for_status(base: str, token: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_LIMIT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        request = urllib.request.Request(
            f"{base}/api/status", headers={"Authorization": f"token {token}"}
        )
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(request, timeout=2) as response,  # loopback only
        ):
            if response.status == 200:
                return
        time.sleep(0.2)
    pytest.fail(f"jupyter lab did not answer in {SERVER_START_LIMIT}s:\n{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets the server shut its kernels down; the group is killed if it lingers."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # a kernel left behind by the server


def _counts(text: str) -> dict[str, int]:
    return {name: int(number.replace(",", "")) for name, number in COUNT.findall(text)}


#: The commands that install Debian's chromium (as root, or through passwordless sudo).
APT_INSTALL = (
    ["apt-get", "update", "-qq"],
    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
)


def ensure_chromium(
    path: Path = CHROMIUM,
    *,
    run: Callable[[list[str]], object] | None = None,
    is_root: bool | None = None,
    has_sudo: bool | None = None,
) -> Path:
    """Debian's chromium at ``path``, installed with apt-get first when it is missing.

    The test suite must pass on a fresh machine after the README's install alone,
    so a missing browser is installed, never skipped: as root directly, else with
    ``sudo -n``. Where neither can install it the test fails, saying what to run.
    """
    if path.exists():
        return path
    root = (os.geteuid() == 0) if is_root is None else is_root
    sudo = (shutil.which("sudo") is not None) if has_sudo is None else has_sudo
    if not root and not sudo:
        pytest.fail(
            f"Debian's chromium is missing ({path}) and this user cannot install it: "
            "run `sudo apt-get install -y chromium`, then the tests again"
        )
    prefix = [] if root else ["sudo", "-n"]
    runner = run or _run_apt
    for command in APT_INSTALL:
        runner(prefix + command)
    if not path.exists():
        pytest.fail(f"apt-get installed chromium, but {path} is still missing")
    return path


def _run_apt(command: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        pytest.fail(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed by apt-get when missing (see :func:`ensure_chromium`)."""
    return ensure_chromium()


def test_a_missing_chromium_is_installed_with_apt_get(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    ran: list[list[str]] = []

    def fake_apt(command: list[str]) -> None:
        ran.append(command)
        if command[-1] == "chromium":
            browser.touch()

    assert ensure_chromium(browser, run=fake_apt, is_root=True) == browser
    assert ran == [list(c) for c in APT_INSTALL]


def test_without_root_chromium_is_installed_through_sudo(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    ran: list[list[str]] = []

    def fake_apt(command: list[str]) -> None:
        ran.append(command)
        browser.touch()

    ensure_chromium(browser, run=fake_apt, is_root=False, has_sudo=True)

    assert all(command[:2] == ["sudo", "-n"] for command in ran)


def test_a_chromium_already_there_is_used_as_it_is(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.touch()

    def fail(command: list[str]) -> None:
        raise AssertionError(f"nothing should be installed, ran {command}")

    assert ensure_chromium(browser, run=fail, is_root=True) == browser


def test_run_all_in_jupyterlab_draws_the_widget_with_the_frames_counts(chromium, lab):
    from playwright.sync_api import expect, sync_playwright

    wait = RUN_ALL_LIMIT * 1000  # ms; expect() alone waits only 5 s

    url, root = lab
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "browser-quickstart.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(root.parent / "chromium-profile"),  # a fresh, empty profile
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(wait)
            page.goto(url)
            # The kernel is up once the status bar names it as idle (before that the
            # toolbar's indicator already says idle, and Run All would ask for a kernel).
            kernel_idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")
            expect(page.locator(".jp-StatusBar-Widget")).to_contain_text(
                re.compile(r"Python 3 \(ipykernel\) \| Idle"), timeout=wait
            )
            expect(kernel_idle).to_have_count(1, timeout=wait)

            # Run > Run All Cells, as an analyst would.
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
            page.locator(".lm-Menu-item", has_text=re.compile(r"^Run All Cells")).click()

            code_cells = page.locator(".jp-CodeCell")
            last = code_cells.last.locator(".jp-OutputArea-output")
            expect(last).to_contain_text("Wrote leads_enriched.xlsx", timeout=wait)
            expect(kernel_idle).to_have_count(1, timeout=wait)
            prompts = [p.strip() for p in code_cells.locator(".jp-InputPrompt").all_text_contents()]
            assert prompts == [f"[{n}]:" for n in range(1, len(prompts) + 1)], prompts
            errors = page.locator(".jp-OutputArea-output[data-mime-type*='stderr']")
            assert errors.count() == 0, errors.all_text_contents()

            enrich = code_cells.filter(has=page.locator(".cm-content", has_text=".enrich("))
            widget = enrich.locator(".widget-html-content")
            expect(widget).to_have_count(1, timeout=wait)
            widget.scroll_into_view_if_needed()
            page.mouse.move(0, 0)
            page.screenshot(path=str(screenshot))
            widget.screenshot(path=str(ARTIFACTS / "browser-quickstart-widget.png"))

            lines = widget.locator(":scope > div > div")
            header, drawn_counts = lines.nth(0).text_content(), lines.nth(1).text_content()
            bar = widget.locator("[role=progressbar]")
            bar_fill = bar.locator("div")
            fill_colour = bar_fill.evaluate("e => getComputedStyle(e).backgroundColor")
            track_colour = bar.evaluate("e => getComputedStyle(e).backgroundColor")
            bar_width = bar.bounding_box()["width"]
            fill_width = bar_fill.bounding_box()["width"]
            summary = enrich.locator(".jp-OutputArea-output[data-mime-type*='stdout']")
            summary_line = summary.text_content().strip()

            table = code_cells.filter(
                has=page.locator(".cm-content", has_text="value_counts()")
            ).locator("table.dataframe tbody tr")
            frame_counts = {
                row.locator("th").text_content().strip(): int(row.locator("td").text_content())
                for row in table.all()
            }
        finally:
            browser.close()

    total = sum(frame_counts.values())
    assert total == 600, frame_counts
    # The bar: full, filled in a colour of its own, labelled with the simulator.
    assert f"{total} / {total} (100%)" in header
    assert "simulator" in header
    assert fill_width == pytest.approx(bar_width, abs=1)
    assert fill_colour not in (track_colour, "rgba(0, 0, 0, 0)")
    # The widget's counts are the frame's: every status the frame has, and 0 for the rest.
    widget_counts = _counts(drawn_counts)
    assert set(frame_counts) <= set(widget_counts), (drawn_counts, frame_counts)
    expected = {status: frame_counts.get(status, 0) for status in widget_counts}
    assert widget_counts == expected, f"widget drew {drawn_counts!r}; the frame has {frame_counts}"
    # The printed end line names the same numbers, and what went wrong by name.
    assert f"{total}/{total}" in summary_line, summary_line
    named = _counts(summary_line.split("|")[1])
    assert named == {status: frame_counts[status] for status in named}, summary_line
    if frame_counts.get("failed"):
        assert f"{frame_counts['failed']} failed" in summary_line, summary_line
    if frame_counts.get("timeout"):
        assert f"{frame_counts['timeout']} timed out" in summary_line, summary_line
