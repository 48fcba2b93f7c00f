"""The API key never leaks: not in output or logs, errors, reprs, the journal or any export.

Every test uses one distinctive key and greps for it. The runs go through the
paths that write the most: DEBUG logging of ``sfy_pandas``, ``httpx`` and
``httpcore``, retries on 5xx and 429, lost answers, warnings, errors, a
saved notebook.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import traceback
import zipfile
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import sfy_pandas
from sfy_pandas._sample import messy_leads
from sfy_pandas.journal._journal import Journal
from sfy_pandas.simulator import ServerHandle
from tests.conftest import enrich_kwargs

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "quickstart.ipynb"
KEY = "sk-live-Zq8rT3xW9vKp2LmN7bYc"
#: The bundled simulator's key: a saved notebook shows neither.
SIMULATOR_KEY = "sfy-simulator-key"
# A limit low enough that even a loaded machine goes over it, so retries of 429s are logged too.
TROUBLE = {"fault_rate": 0.05, "lost_response_rate": 0.05, "rate_limit": 40, "burst": 2}


def _leaks(data: str | bytes) -> bool:
    if isinstance(data, str):
        return KEY in data
    return KEY.encode() in data or KEY.encode("utf-16-le") in data


def _xlsx_text(path: Path) -> bytes:
    """Every part of an Excel file, uncompressed (the file itself is a zip)."""
    with zipfile.ZipFile(path) as book:
        return b"".join(book.read(name) for name in book.namelist())


SCRIPT = textwrap.dedent(
    """
    import asyncio, logging, sys, traceback
    import pandas as pd
    import sfy_pandas
    from sfy_pandas._sample import messy_leads

    logging.basicConfig(level=logging.DEBUG, stream=sys.stderr,
                        format="%(name)s %(levelname)s %(message)s")
    for name in ("sfy_pandas", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    base_url, journal, refused_url, down_url, out = sys.argv[1:6]

    frame = messy_leads(300, seed=61)
    run = frame.salesfinity.enrich("linkedin_url", base_url=base_url, journal=journal,
                                   progress="text", poll_interval=0.2)
    print(repr(run), repr(run.stats), repr(frame.salesfinity), sep="\\n")
    frame.salesfinity.status(base_url=base_url, progress="text")
    frame.to_csv(out + ".csv", index=False)
    frame.to_excel(out + ".xlsx", index=False)
    sfy_pandas.safe_for_spreadsheet(frame).to_csv(out + ".safe.csv", index=False)

    async def client_calls():
        async with sfy_pandas.AsyncSalesfinity(base_url=base_url) as client:
            print(repr(client), client.stats)
            lookup = await client.create("https://www.linkedin.com/in/secret-test")
            print(repr(lookup), await client.query([lookup.id]), await client.credits())
    asyncio.run(client_calls())

    try:  # a server that refuses this key
        messy_leads(20, seed=62).salesfinity.enrich(
            "linkedin_url", base_url=refused_url, journal="off", progress="text")
    except sfy_pandas.AuthenticationError as exc:
        traceback.print_exc()
        print(repr(exc), exc.body)

    async def unreachable():  # no server at all (no waits between the retries)
        policy = sfy_pandas.RetryPolicy(wait_scale=0)
        async with sfy_pandas.AsyncSalesfinity(base_url=down_url, retry=policy) as client:
            await client.create("https://www.linkedin.com/in/secret-test")
    try:
        asyncio.run(unreachable())
    except sfy_pandas.APIConnectionError:
        traceback.print_exc()
    print("DONE")
    """
)


def test_nothing_a_run_prints_or_logs_at_debug_level_holds_the_key(serve, tmp_path):
    server = serve(seed=61, api_key=KEY, **TROUBLE)
    refusing = serve(api_key="some-other-key")
    journal = tmp_path / "journal.sqlite3"
    out = tmp_path / "leads"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            server.base_url,
            str(journal),
            refusing.base_url,
            "http://127.0.0.1:9",  # the discard port: nothing listens
            str(out),
        ],
        cwd=ROOT,
        env={**_clean_env(), "SALESFINITY_API_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "DONE" in result.stdout
    # Logging really was at DEBUG for all three, retries and errors happened:
    assert "httpx INFO HTTP Request: POST" in result.stderr
    assert "httpcore.http11 DEBUG send_request_headers" in result.stderr
    assert "AuthenticationError" in result.stderr
    assert "APIConnectionError" in result.stderr
    assert server.ledger.rate_limited > 0
    assert server.ledger.lost_responses > 0
    assert sum(server.ledger.faults.values()) > 0

    assert not _leaks(result.stdout)
    assert not _leaks(result.stderr)
    assert "x-api-key" not in result.stderr.lower()
    for path in tmp_path.iterdir():  # the journal and its WAL files, the exports
        data = _xlsx_text(path) if path.suffix == ".xlsx" else path.read_bytes()
        assert not _leaks(data), path.name
    assert {p.name for p in tmp_path.iterdir()} >= {
        "journal.sqlite3",
        "leads.csv",
        "leads.xlsx",
        "leads.safe.csv",
    }


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("SALESFINITY_")}


def test_no_repr_or_error_in_the_process_holds_the_key(serve, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server = serve(seed=63, api_key=KEY, fault_rate=0.05)
    frame = messy_leads(100, seed=63)
    run = frame.salesfinity.enrich(
        "linkedin_url", **{**enrich_kwargs(server, str(tmp_path / "j.sqlite3")), "api_key": KEY}
    )
    journal = Journal(tmp_path / "j.sqlite3", base_url=server.base_url)
    client = sfy_pandas.AsyncSalesfinity(KEY, base_url=server.base_url)
    shown = [
        repr(run),
        str(run),
        repr(run.stats),
        repr(journal),
        repr(frame.salesfinity),
        repr(client),
        str(client.stats),
        repr(server.simulator),
        repr(server.simulator.config),
        repr(server),
        frame.to_string(),
    ]
    journal.close()
    asyncio.run(client.aclose())
    assert not [text for text in shown if _leaks(text)]
    assert not _leaks(caplog.text)
    assert "HTTP Request" in caplog.text  # httpx did log every request


@pytest.mark.parametrize(
    "call",
    [
        pytest.param({"api_key": KEY + " x"}, id="a-key-with-a-space"),
        pytest.param({"api_key": "\u00a0" + KEY + "\u00e9"}, id="a-key-with-non-ascii"),
        pytest.param({"base_url": "http://api.example.com"}, id="plain-http"),
        pytest.param({"base_url": "ftp://api.example.com"}, id="not-http"),
        pytest.param({"type": "home"}, id="bad-type"),
        pytest.param({"max_credits": -1}, id="bad-budget"),
    ],
)
def test_an_error_about_the_call_never_quotes_the_key(call):
    frame = messy_leads(5)
    # Nothing listens on the discard port, should a call get that far.
    kwargs = {"api_key": KEY, "base_url": "http://127.0.0.1:9", "journal": "off", **call}
    with pytest.raises((ValueError, TypeError)) as caught:
        frame.salesfinity.enrich("linkedin_url", progress=None, **kwargs)
    text = "".join(traceback.format_exception(caught.value))
    assert not _leaks(text), text


def test_a_wrong_key_gives_one_clear_message_that_never_quotes_either_key(serve, capsys):
    server = serve(api_key=KEY)
    wrong = KEY[::-1]
    frame = messy_leads(40, seed=64)
    kwargs = {**enrich_kwargs(server), "api_key": wrong}
    with pytest.raises(sfy_pandas.AuthenticationError) as caught:
        frame.salesfinity.enrich("linkedin_url", **kwargs)
    error = caught.value
    text = "".join(traceback.format_exception(error))
    assert str(error) == (
        "The API key was refused (401 Unauthorized). "
        "Check SALESFINITY_API_KEY or the api_key argument."
    )
    assert error.status_code == 401
    assert KEY not in text
    assert wrong not in text
    assert wrong not in error.body
    printed = capsys.readouterr()
    assert KEY not in printed.out + printed.err
    assert wrong not in printed.out + printed.err
    # One message: the run does not add a stop-and-rerun hint that would not help.
    assert "run the same enrich() again" not in printed.err
    # Every row says it was not sent, and why, in the same words.
    valid = frame["salesfinity_status"] != "invalid"
    assert (frame.loc[valid, "salesfinity_status"] == "not-sent").all()
    assert frame.loc[valid, "salesfinity_error"].str.contains("401 Unauthorized").all()
    assert server.ledger.lookups_created == 0


def test_the_saved_quickstart_notebook_holds_no_key():
    data = NOTEBOOK.read_bytes()
    assert SIMULATOR_KEY.encode() not in data
    assert b"x-api-key" not in data.lower()
    assert not _leaks(data)


def test_a_notebook_run_with_a_real_key_from_the_environment_saves_no_trace_of_it(
    serve, tmp_path, monkeypatch
):
    server: ServerHandle = serve(seed=65, api_key=KEY)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            # The notebook's own switch to the real API: BASE_URL = None reads the environment.
            cell.source = cell.source.replace('BASE_URL = "simulator"', "BASE_URL = None")
    assert any("BASE_URL = None" in cell.source for cell in notebook.cells)
    monkeypatch.setenv("SALESFINITY_API_KEY", KEY)
    monkeypatch.setenv("SALESFINITY_BASE_URL", server.base_url)
    monkeypatch.setenv("SALESFINITY_JOURNAL", str(tmp_path / "journal.sqlite3"))
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        store_widget_state=True,
    ).execute()
    saved = tmp_path / "saved.ipynb"
    nbformat.write(notebook, saved)

    assert server.ledger.lookups_created > 0  # the notebook really used the key
    # The notebook exports into output/, beside itself.
    assert (tmp_path / "output" / "leads_enriched.xlsx").exists()
    for path in tmp_path.rglob("*"):
        if path.is_dir():
            continue
        data = _xlsx_text(path) if path.suffix == ".xlsx" else path.read_bytes()
        assert not _leaks(data), path.name
    exported = pd.read_csv(tmp_path / "output" / "leads_enriched.csv")
    assert "completed" in set(exported["salesfinity_status"])
