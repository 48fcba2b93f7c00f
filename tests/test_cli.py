"""``sfy-pandas enrich`` and ``status`` in-process, with click's CliRunner, against a simulator."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from sfy_pandas._sample import messy_leads
from sfy_pandas.cli._commands import cli
from sfy_pandas.simulator import ServerHandle, serve_in_thread
from tests.conftest import assert_each_profile_created_once, assert_rows_match_ground_truth

Serve = Callable[..., ServerHandle]
#: Lookups that always end cleanly (completed or not-found), so a run can exit 0.
CLEAN = {"completed_rate": 0.7, "not_found_rate": 0.3, "failed_rate": 0.0}
#: Quicker than conftest's FAST: a chunked file makes one run per chunk.
QUICK = {"pending_seconds": 0.02, "resolve_seconds": 0.1, "resolve_spread": 0.3}


@pytest.fixture
def serve(serve: Serve) -> Serve:
    """conftest's simulator, with lookups that resolve in about 0.1 s."""
    return lambda **knobs: serve(**{**QUICK, **knobs})


@pytest.fixture(scope="module")
def idle() -> Iterator[ServerHandle]:
    """One simulator for the tests that must not reach it (bad arguments)."""
    with serve_in_thread() as server:
        yield server


def run(*args: str, server: ServerHandle | None = None, **env: str | None) -> Result:
    """``sfy-pandas ARGS`` with the key in the environment and quick polling."""
    environment: dict[str, str | None] = {
        "SALESFINITY_API_KEY": server.api_key if server else None,
        "SALESFINITY_BASE_URL": server.base_url if server else None,
        "SALESFINITY_JOURNAL": None,
        **env,
    }
    extra = ["--poll-interval", "0.05"] if args and args[0] in ("enrich", "status") else []
    return CliRunner().invoke(cli, [*args, *extra], env=environment)


def leads_csv(tmp_path: Path, rows: int = 80, seed: int = 11, name: str = "leads.csv") -> Path:
    path = tmp_path / name
    messy_leads(rows, seed=seed).to_csv(path, index=False)
    return path


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_excel(path, keep_default_na=False, na_values=[""])


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# -- help ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("enrich", ["--column", "--type", "--out", "--external-id", "--max-credits", "--dry-run",
                    "--journal", "--base-url", "--chunk-rows", "--max-wait", "--quiet",
                    "SALESFINITY_API_KEY", "Exit codes", "sfy-pandas enrich leads.csv"]),
        ("status", ["--out", "--base-url", "--max-wait", "sfy-pandas status leads_enriched.csv"]),
        ("demo", ["--rows", "--out", "FAKE".lower(), "sfy-pandas demo"]),
        ("simulate", ["--port", "sfy-pandas simulate --port"]),
    ],
)  # fmt: skip
def test_every_command_has_help_with_an_example(command: str, expected: list[str]) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output
    for text in expected:
        assert text in result.output


def test_the_group_lists_every_command_and_hides_the_poll_interval() -> None:
    result = run("--help")
    for command in ("demo", "enrich", "status", "simulate"):
        assert command in result.output
    assert "--poll-interval" not in run("enrich", "--help").output
    assert "--api-key" not in run("enrich", "--help").output  # the key never on a command line


# -- enrich ----------------------------------------------------------------------------


def test_enrich_writes_every_row_as_the_api_answered_and_exits_0(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path)
    result = run(
        "enrich", str(source), "--column", "linkedin_url", "--journal", "off", server=server
    )

    assert result.exit_code == 0, result.output
    out = tmp_path / "leads_enriched.csv"
    assert f"Wrote 80 rows to {out}" in result.stdout
    frame = read(out)
    assert len(frame) == 80
    assert list(frame.columns[:6]) == list(messy_leads(1).columns)
    assert_rows_match_ground_truth(frame, server)
    assert_each_profile_created_once(frame, server)
    assert "completed" in result.stdout
    assert "credits used" in result.stdout
    assert "Salesfinity" in result.stderr  # the progress line


def test_rows_the_api_answered_failed_are_final_answers_and_exit_0(
    serve: Serve, tmp_path: Path
) -> None:
    # failed and timeout are the API's final answers, not failures of the tool.
    server = serve(completed_rate=0.5, not_found_rate=0.0, failed_rate=0.5)
    source = leads_csv(tmp_path, rows=30)
    result = run("enrich", str(source), "-c", "linkedin_url", "--journal", "off", server=server)
    assert result.exit_code == 0, result.output
    assert "failed" in result.stdout


def test_rows_left_running_make_the_exit_code_1(serve: Serve, tmp_path: Path) -> None:
    server = serve(pending_seconds=30.0, resolve_seconds=30.0)
    source = leads_csv(tmp_path, rows=20)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--journal", "off", "--max-wait", "0.3",
        server=server,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "still running" in result.output


def test_the_help_documents_every_exit_code() -> None:
    result = CliRunner().invoke(cli, ["enrich", "--help"])
    codes = [line.split()[0] for line in result.output.splitlines() if line.startswith("    ")]
    assert {"0", "1", "130", "2"} <= set(codes)
    assert "timeout or invalid" in result.output


def test_the_command_list_never_cuts_a_description_short() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1]
    assert "..." not in commands
    assert "against the bundled simulator: no key needed" in " ".join(result.output.split())


def test_personal_emails_are_asked_for_with_type_personal(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=30)
    out = tmp_path / "personal.csv"
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--type", "personal", "--out", str(out),
        "--journal", "off", server=server,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = read(out)
    assert_rows_match_ground_truth(frame, server, kind="personal")
    assert {kind for _, kind in server.ledger.created} == {"personal"}


def _type_matches(frame: pd.DataFrame, server: ServerHandle, kind: str) -> None:
    """The ``kind`` columns of a file holding several types hold that type's ground truth."""
    plain = frame.rename(
        columns={
            f"salesfinity_{kind}_status": "salesfinity_status",
            f"salesfinity_{kind}_email": "salesfinity_email",
        }
    )
    assert_rows_match_ground_truth(plain, server, kind=kind)


def test_type_given_twice_fills_both_types_in_every_chunk(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=50)
    out = tmp_path / "both.csv"
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--type", "work", "--type", "personal",
        "--chunk-rows", "20", "--out", str(out), "--journal", "off", server=server,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = read(out)
    assert "salesfinity_email_type" not in frame.columns
    for kind in ("work", "personal"):
        _type_matches(frame, server, kind)
    assert {kind for _, kind in server.ledger.created} == {"work", "personal"}


def test_personal_on_a_file_enriched_for_work_keeps_the_work_emails(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=30)
    work = tmp_path / "work.csv"
    both = tmp_path / "both.csv"
    for given, out, kind in ((source, work, "work"), (work, both, "personal")):
        result = run(
            "enrich", str(given), "-c", "linkedin_url", "--type", kind, "--out", str(out),
            "--journal", "off", server=server,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    before, after = read(work), read(both)
    assert after["salesfinity_work_email"].equals(
        before["salesfinity_email"].rename("salesfinity_work_email")
    )
    for kind in ("work", "personal"):
        _type_matches(after, server, kind)


def test_status_finishes_the_running_rows_of_both_types(serve: Serve, tmp_path: Path) -> None:
    server = serve(**{**CLEAN, "resolve_seconds": 2.0, "resolve_spread": 0.0})
    source = leads_csv(tmp_path, rows=20)
    out = tmp_path / "both.csv"
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--type", "work", "--type", "personal",
        "--max-wait", "0.8", "--out", str(out), "--journal", "off", server=server,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    running = ["pending", "processing"]
    for kind in ("work", "personal"):
        assert read(out)[f"salesfinity_{kind}_status"].isin(running).any()
    result = run("status", str(out), server=server)
    assert result.exit_code == 0, result.output
    for kind in ("work", "personal"):
        _type_matches(read(out), server, kind)


def test_the_external_id_column_travels_with_each_lookup(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=20)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--external-id", "lead_id",
        "--journal", "off", server=server,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = read(tmp_path / "leads_enriched.csv").dropna(subset=["salesfinity_id"])
    row = frame.iloc[0]
    answer = httpx.get(
        f"{server.base_url}/v1/api/enrichment/email/{row['salesfinity_id']}",
        headers={"x-api-key": server.api_key},
    ).json()
    assert answer["external_id"] == row["lead_id"]


def test_max_credits_is_a_budget_for_the_whole_file(serve: Serve, tmp_path: Path) -> None:
    server = serve(completed_rate=1.0, not_found_rate=0.0, failed_rate=0.0)
    source = leads_csv(tmp_path, rows=60)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--max-credits", "7", "--chunk-rows", "20",
        "--journal", "off", server=server,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert server.ledger.credits_charged == 7
    frame = read(tmp_path / "leads_enriched.csv")
    assert (frame["salesfinity_status"] == "not-sent").any()


def test_a_dry_run_sends_nothing_needs_no_key_and_exits_0(serve: Serve, tmp_path: Path) -> None:
    server = serve()
    source = leads_csv(tmp_path, rows=40)
    out = tmp_path / "estimate.csv"
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--dry-run", "--journal", "off",
        "--out", str(out), server=server, SALESFINITY_API_KEY=None,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert server.ledger.lookups_created == 0
    assert "credits at most" in result.stdout
    frame = read(out)
    assert set(frame["salesfinity_status"]) == {"not-sent", "invalid"}


def test_a_dry_run_without_out_leaves_the_enriched_file_as_it_was(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=30)
    first = run("enrich", str(source), "-c", "linkedin_url", "--journal", "off", server=server)
    assert first.exit_code == 0, first.output
    enriched = tmp_path / "leads_enriched.csv"
    before = enriched.read_bytes()

    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--dry-run", "--journal", "off",
        server=server,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "credits at most" in result.stdout
    assert "nothing written" in result.stdout
    assert enriched.read_bytes() == before


@pytest.mark.parametrize(
    "destination",
    [
        pytest.param(lambda tmp: Path("/proc/out.csv"), id="proc"),
        pytest.param(lambda tmp: _read_only_file(tmp / "taken.csv"), id="read-only-file"),
        pytest.param(lambda tmp: tmp, id="a-folder"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_anything_is_sent(
    serve: Serve, tmp_path: Path, destination: Callable[[Path], Path]
) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=10)
    out = destination(tmp_path)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--journal", "off", "--out", str(out),
        server=server,
    )  # fmt: skip
    assert result.exit_code != 0
    assert str(out) in result.output
    assert sum(server.ledger.requests.values()) == 0
    no_traceback(result)


def _read_only_file(path: Path) -> Path:
    path.write_text("someone's file\n")
    path.chmod(0o444)
    return path


def test_without_a_key_it_says_where_the_key_goes_and_exits_2(tmp_path: Path) -> None:
    source = leads_csv(tmp_path, rows=5)
    result = run("enrich", str(source), "-c", "linkedin_url")
    assert result.exit_code == 2
    assert "export SALESFINITY_API_KEY" in result.output
    assert len(result.output.strip().splitlines()) == 1
    no_traceback(result)


def test_a_rerun_with_the_journal_reuses_every_answer(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=50)
    journal = str(tmp_path / "journal.sqlite3")
    first = run("enrich", str(source), "-c", "linkedin_url", "--journal", journal, server=server)
    created = server.ledger.lookups_created
    second = run("enrich", str(source), "-c", "linkedin_url", "--journal", journal, server=server)

    assert first.exit_code == second.exit_code == 0, second.output
    assert server.ledger.lookups_created == created
    assert "answers reused" in second.stdout
    assert_rows_match_ground_truth(read(tmp_path / "leads_enriched.csv"), server)


def test_the_journal_can_come_from_the_environment(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=10)
    journal = tmp_path / "env-journal.sqlite3"
    result = run(
        "enrich", str(source), "-c", "linkedin_url", server=server, SALESFINITY_JOURNAL=str(journal)
    )
    assert result.exit_code == 0, result.output
    assert journal.exists()


def test_base_url_simulator_needs_no_key_and_says_the_emails_are_fake(tmp_path: Path) -> None:
    source = leads_csv(tmp_path, rows=20)
    result = run("enrich", str(source), "-c", "linkedin_url", "--base-url", "simulator", "-q")
    assert result.exit_code in (0, 1), result.output
    assert "FAKE" in result.output
    assert "requests sent" in result.stdout
    assert len(read(tmp_path / "leads_enriched.csv")) == 20


def test_quiet_leaves_out_the_progress_line(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=10)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "-q", "--journal", "off", server=server
    )
    assert result.exit_code == 0
    assert result.stderr == ""


@pytest.mark.parametrize(
    ("source_ext", "out_ext"), [(".csv", ".parquet"), (".parquet", ".xlsx"), (".xlsx", ".csv")]
)
def test_files_convert_between_csv_parquet_and_excel(
    serve: Serve, tmp_path: Path, source_ext: str, out_ext: str
) -> None:
    server = serve(**CLEAN)
    leads = messy_leads(45, seed=5).astype({"linkedin_url": "str"})
    source = tmp_path / f"leads{source_ext}"
    if source_ext == ".parquet":
        leads.to_parquet(source)
    elif source_ext == ".xlsx":
        leads.to_excel(source, index=False)
    else:
        leads.to_csv(source, index=False)
    out = tmp_path / f"out{out_ext}"
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "-o", str(out), "--chunk-rows", "20",
        "--journal", "off", server=server,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = read(out)
    assert len(frame) == 45
    assert frame["lead_id"].tolist() == leads["lead_id"].tolist()
    assert_rows_match_ground_truth(frame, server)


def test_parquet_keeps_the_column_types_it_was_given(serve: Serve, tmp_path: Path) -> None:
    server = serve(**CLEAN)
    leads = messy_leads(30, seed=2).astype({"linkedin_url": "str"})
    leads["score"] = range(30)
    leads["signed_up"] = pd.Timestamp("2026-01-02") + pd.to_timedelta(range(30), unit="D")
    source = tmp_path / "leads.parquet"
    leads.to_parquet(source)
    result = run(
        "enrich",
        str(source),
        "-c",
        "linkedin_url",
        "--chunk-rows",
        "7",
        "--journal",
        "off",
        server=server,
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(tmp_path / "leads_enriched.parquet")
    assert frame["score"].tolist() == list(range(30))
    assert frame["signed_up"].tolist() == leads["signed_up"].tolist()


# -- wrong calls: one line, a non-zero exit, never a traceback ---------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "nope"], "'nope' is not in the file"),
        (["-c", "linkedin_url", "--external-id", "nope"], "'nope' is not in the file"),
        (["-c", "linkedin_url", "--out", "out.json"], "unknown file type '.json'"),
        (["-c", "linkedin_url", "--out", "{source}"], "--out must not be INPUT"),
        (["-c", "linkedin_url", "--out", "{tmp}/nowhere/x.csv"], "there is no folder"),
        (["-c", "linkedin_url", "--base-url", "http://api.example.com"], "plain http://"),
        (["-c", "linkedin_url", "--type", "home"], "'home' is not one of"),
        (["-c", "linkedin_url", "--type", "work", "--type", "work"], "'work' twice"),
        (["-c", "linkedin_url", "--max-credits", "-1"], "-1 is not in the range"),
    ],
)
def test_bad_arguments_exit_2_with_one_clear_line(
    idle: ServerHandle, tmp_path: Path, args: list[str], message: str
) -> None:
    server = idle
    source = leads_csv(tmp_path, rows=5)
    args = [arg.format(source=source, tmp=tmp_path) for arg in args]
    result = run("enrich", str(source), *args, "--journal", "off", server=server)
    assert result.exit_code == 2, result.output
    assert message in result.output
    no_traceback(result)
    assert server.ledger.lookups_created == 0


def test_a_missing_input_file_exits_2(tmp_path: Path) -> None:
    result = run("enrich", str(tmp_path / "missing.csv"), "-c", "linkedin_url")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_an_unreadable_file_is_one_line(idle: ServerHandle, tmp_path: Path) -> None:
    source = tmp_path / "broken.parquet"
    source.write_bytes(b"not parquet at all")
    result = run("enrich", str(source), "-c", "linkedin_url", server=idle)
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: cannot read {source}")
    assert len(result.output.strip().splitlines()) == 1
    no_traceback(result)


def test_a_wrong_key_is_refused_in_one_line_that_never_shows_the_key(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(api_key="the-right-key")
    source = leads_csv(tmp_path, rows=10)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--journal", "off", server=server,
        SALESFINITY_API_KEY="a-wrong-secret-key",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "401" in result.output
    assert "a-wrong-secret-key" not in result.output
    no_traceback(result)
    assert not (tmp_path / "leads_enriched.csv").exists()


def test_a_missing_optional_dependency_names_the_extra(
    idle: ServerHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    source = leads_csv(tmp_path, rows=5)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "-o", str(tmp_path / "x.xlsx"), server=idle
    )
    assert result.exit_code == 1
    assert 'pip install "sfy-pandas[excel]"' in result.output
    no_traceback(result)


def test_a_low_balance_is_one_warning_line_not_an_exception(serve: Serve, tmp_path: Path) -> None:
    server = serve(balance=3, **CLEAN)
    source = leads_csv(tmp_path, rows=40)
    result = run("enrich", str(source), "-c", "linkedin_url", "--journal", "off", server=server)
    assert "Warning: Your balance is 3 credits" in result.stderr
    assert result.stderr.count("Warning:") == 1
    no_traceback(result)


# -- status ------------------------------------------------------------------------------


def test_max_wait_leaves_rows_running_and_status_finishes_them_in_place(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**CLEAN, pending_seconds=0.1, resolve_seconds=1.0, resolve_spread=0.0)
    source = leads_csv(tmp_path, rows=40)
    out = tmp_path / "leads_enriched.csv"
    first = run(
        "enrich", str(source), "-c", "linkedin_url", "--max-wait", "0.2", "--journal", "off",
        server=server,
    )  # fmt: skip
    assert first.exit_code == 1, first.output
    assert f"sfy-pandas status {out}" in first.stderr
    assert read(out)["salesfinity_status"].isin(["pending", "processing"]).any()
    created = server.ledger.lookups_created

    second = run("status", str(out), "--chunk-rows", "15", server=server)
    assert second.exit_code == 0, second.output
    assert server.ledger.lookups_created == created  # polled, never created again
    frame = read(out)
    assert_rows_match_ground_truth(frame, server)
    assert "Wrote 40 rows" in second.stdout


def test_status_can_write_elsewhere_and_leaves_a_final_file_alone(
    serve: Serve, tmp_path: Path
) -> None:
    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=20)
    enriched = tmp_path / "leads_enriched.csv"
    assert (
        run(
            "enrich", str(source), "-c", "linkedin_url", "--journal", "off", server=server
        ).exit_code
        == 0
    )
    before = enriched.read_bytes()
    requests = sum(server.ledger.requests.values())

    result = run("status", str(enriched), "--out", str(tmp_path / "copy.xlsx"), server=server)
    assert result.exit_code == 0, result.output
    assert sum(server.ledger.requests.values()) == requests  # nothing was running: no request
    assert enriched.read_bytes() == before
    assert (
        read(tmp_path / "copy.xlsx")["salesfinity_status"].tolist()
        == read(enriched)["salesfinity_status"].tolist()
    )


def test_status_of_a_file_never_enriched_exits_2(idle: ServerHandle, tmp_path: Path) -> None:
    source = leads_csv(tmp_path, rows=5)
    result = run("status", str(source), server=idle)
    assert result.exit_code == 2
    assert "never enriched" in result.output
    no_traceback(result)


def test_status_with_the_simulator_finishes_a_file_the_simulator_enriched(tmp_path: Path) -> None:
    # The bundled simulator keeps its lookups (a state file), as the real API does,
    # so the ids in a file it enriched are still known to it.
    source = leads_csv(tmp_path, rows=20)
    first = run(
        "enrich", str(source), "-c", "linkedin_url", "--base-url", "simulator", "-q",
        "--max-wait", "0.05",
    )  # fmt: skip
    assert first.exit_code in (0, 1), first.output
    enriched = tmp_path / "leads_enriched.csv"
    result = run("status", str(enriched), "--base-url", "simulator", "-q")
    assert result.exit_code == 0, result.output
    statuses = read(enriched)["salesfinity_status"]
    assert not statuses.isin(["pending", "processing"]).any()


def test_a_write_that_fails_at_the_end_says_where_the_answers_are_kept(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from sfy_pandas.frame._files import ChunkWriter

    server = serve(**CLEAN)
    source = leads_csv(tmp_path, rows=40)
    journal = tmp_path / "kept.sqlite3"
    written = ChunkWriter.write

    def fill_the_disk(self: ChunkWriter, frame: pd.DataFrame) -> None:
        if self.rows >= 20:
            raise OSError(errno.ENOSPC, "No space left on device")
        written(self, frame)

    monkeypatch.setattr(ChunkWriter, "write", fill_the_disk)
    result = run(
        "enrich", str(source), "-c", "linkedin_url", "--chunk-rows", "20",
        "--journal", str(journal), server=server,
    )  # fmt: skip
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    assert str(journal) in result.output
    no_traceback(result)
    created = server.ledger.lookups_created

    monkeypatch.setattr(ChunkWriter, "write", written)
    again = run(
        "enrich", str(source), "-c", "linkedin_url", "--chunk-rows", "20",
        "--journal", str(journal), "--out", str(tmp_path / "elsewhere.csv"), server=server,
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    assert server.ledger.lookups_created == created  # nothing sent again
    assert len(read(tmp_path / "elsewhere.csv")) == 40
