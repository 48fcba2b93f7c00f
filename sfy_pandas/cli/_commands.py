"""The ``sfy-pandas`` command: a thin click layer, one library call per command.

Exit codes of ``enrich`` and ``status``: 0 every row has its final answer
(``completed``, ``not-found``, ``failed``, ``timeout`` or ``invalid``); 1 some
rows are still running, were held back (``not-sent``) or refused (``error``),
or the run failed; 130 interrupted (the output holds the rows reached); 2 bad
arguments.
Any other failure is one ``Error:`` line and exit 1, never a traceback.
The API key is read from ``SALESFINITY_API_KEY`` only, and never printed.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NoReturn

import click

from .._config import JOURNAL_ENV
from .._version import __version__
from ..frame._destination import check_writable
from ..frame._files import (
    ChunkWriter,
    check_destination,
    file_format,
    read_chunks,
)
from ..run import RunOptions
from ..simulator._command import simulate
from ._chunks import DiscardingWriter, Totals, enrich_chunks, refresh_chunks
from ._datasets import DatasetPath, dataset_out, enrich_dataset, is_dataset
from ._options import CONTEXT, WholeHelpGroup, base_url_option, run_options
from ._report import summary_table
from ._support import (
    BadArgument,
    one_line_errors,
    open_enrichment,
    warnings_as_lines,
)

__all__ = ["cli", "main"]


@click.group(cls=WholeHelpGroup, context_settings=CONTEXT)
@click.version_option(__version__, prog_name="sfy-pandas")
def cli() -> None:
    """Enrich leads with emails from the Salesfinity API.

    \b
    Example:
      sfy-pandas demo
      export SALESFINITY_API_KEY=...
      sfy-pandas enrich leads.csv --column linkedin_url
    """


cli.add_command(simulate)


def main() -> None:
    """Entry point of the console script."""
    cli()


# -- enrich --------------------------------------------------------------------------


@cli.command("enrich", context_settings=CONTEXT)
@click.argument("input_path", metavar="INPUT", type=DatasetPath())
@click.option("--column", "-c", required=True, metavar="COL", help="Column of LinkedIn URLs.")
@click.option(
    "--type",
    "kind",
    type=click.Choice(["work", "personal"]),
    multiple=True,
    help="Which email to look up; give it twice (--type work --type personal) for both, "
    "each in its own salesfinity_<type>_* columns.  [default: work]",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the enriched file; its extension picks the format. "
    "[default: INPUT_enriched.<ext>, beside INPUT]",
)
@click.option(
    "--external-id", metavar="COL", help="Column of your own ids, sent along and echoed back."
)
@click.option(
    "--max-credits",
    type=click.IntRange(min=0),
    metavar="N",
    help="Never start a lookup that could be charged beyond N credits for the whole file.",
)
@click.option(
    "--dry-run", is_flag=True, help="Count profiles and the most it could cost; send nothing."
)
@click.option(
    "--journal",
    metavar="PATH",
    envvar=JOURNAL_ENV,
    show_envvar=True,
    help="SQLite file that makes a rerun resume instead of re-sending; 'off' for none. "
    "[default: journal.sqlite3 in your user cache directory]",
)
@base_url_option("The API to use; 'simulator' starts the bundled simulator (fake emails).")
@run_options
def enrich(
    *,
    input_path: Path,
    column: str,
    kind: tuple[str, ...],
    out: Path | None,
    external_id: str | None,
    max_credits: int | None,
    dry_run: bool,
    journal: str | None,
    base_url: str | None,
    max_wait: float | None,
    chunk_rows: int,
    quiet: bool,
    poll_interval: float,
) -> None:
    """Find an email for every row of a CSV, Parquet or Excel file of leads.

    Reads INPUT a chunk at a time (Excel: whole, the format cannot be
    streamed), sends each LinkedIn profile once however often it appears, and
    writes INPUT's columns plus salesfinity_status, salesfinity_email,
    salesfinity_email_type, salesfinity_id and salesfinity_error (with --type given
    twice, or on a file holding the other type's answers: salesfinity_<type>_status,
    _email, _id and _error for each type, none erased). CSV and Excel
    output is made safe to open in a spreadsheet: a cell that would start a
    formula (=, +, -, @) gets a leading '. The API key comes from
    SALESFINITY_API_KEY. Interrupted or crashed? Run the same command again: the
    journal resumes it without re-sending.

    \b
    Exit codes:
      0    every row has a final answer: completed, not-found, failed,
           timeout or invalid (failed and timeout are the API's answers)
      1    rows still running, not-sent or error, or the run failed
      130  interrupted (the rows reached are written)
      2    bad arguments

    \b
    Example:
      export SALESFINITY_API_KEY=...
      sfy-pandas enrich leads.csv --column linkedin_url --external-id lead_id
      sfy-pandas enrich leads.xlsx -c linkedin_url --out leads.parquet --max-credits 500
      sfy-pandas enrich leads.csv -c linkedin_url --base-url simulator   # fake emails
    """
    with one_line_errors():
        types = _types(kind)
        if is_dataset(input_path):  # a Parquet folder or glob: through Dask, to a folder
            out = out or dataset_out(input_path)
            options = RunOptions(
                type=types, max_credits=max_credits, dry_run=dry_run, base_url=base_url,
                journal=journal, poll_interval=poll_interval, max_wait=max_wait,
            )  # fmt: skip
            totals = enrich_dataset(
                input_path, out, column, options, external_id=external_id,
                progress=None if quiet else "text",
            )  # fmt: skip
            _finish(totals, out, requests=None, simulated=base_url == "simulator")
        given_out = out
        out = out or input_path.with_name(f"{input_path.stem}_enriched{input_path.suffix}")
        file_format(input_path)
        check_destination(out)
        if out.resolve() == input_path.resolve():
            raise BadArgument(
                "--out must not be INPUT: an interrupted run would lose the rows not reached "
                "(to refresh an enriched file in place, use sfy-pandas status)"
            )
        check_writable(out)
        options = RunOptions(
            type=types,
            max_credits=max_credits,
            dry_run=dry_run,
            base_url=base_url,
            journal=journal,
            poll_interval=poll_interval,
            max_wait=max_wait,
        )
        # A dry run only prints its estimate, unless --out asks for the file.
        write = not dry_run or given_out is not None
        with open_enrichment(options) as (enrichment, requests_seen):
            with _writer(out if write else None) as writer, warnings_as_lines():
                try:
                    totals = enrich_chunks(
                        read_chunks(input_path, chunk_rows),
                        writer,
                        column,
                        enrichment,
                        external_id=external_id,
                        progress=None if quiet else "text",
                        on_chunk=None if quiet else _chunk_line,
                    )
                    writer.commit()
                except OSError as exc:  # a full disk, say: say where the answers are kept
                    _commit_reached(writer, out)
                    raise _write_failed(exc, out, enrichment.journal_path) from None
                except Exception:
                    _commit_reached(writer, out)
                    raise
            requests = None if requests_seen is None else requests_seen()
    _finish(totals, out if write else None, requests=requests, simulated=requests_seen is not None)


def _types(given: tuple[str, ...]) -> str | tuple[str, ...]:
    """The --type values as RunOptions takes them: work when none, each once."""
    if not given:
        return "work"
    twice = [kind for kind in given if given.count(kind) > 1]
    if twice:
        raise BadArgument(f"--type names {twice[0]!r} twice; give each type once")
    return given[0] if len(given) == 1 else given


# -- status --------------------------------------------------------------------------


@cli.command("status", context_settings=CONTEXT)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the refreshed file here. [default: FILE, in place]",
)
@base_url_option("The API the file was enriched with.")
@run_options
def status(
    *,
    file: Path,
    out: Path | None,
    base_url: str | None,
    max_wait: float | None,
    chunk_rows: int,
    quiet: bool,
    poll_interval: float,
) -> None:
    """Refresh the rows of an enriched FILE whose lookups were still running.

    Reads the lookup ids from FILE's salesfinity_id column, polls the rows
    whose salesfinity_status is pending or processing until they are final,
    and writes the file back (in place unless --out). Nothing is created, so
    nothing is charged that was not already. If interrupted, the rows not yet
    refreshed are written as they were. Exit codes as for enrich, over all the
    file's rows.

    \b
    Example:
      sfy-pandas enrich leads.csv -c linkedin_url --max-wait 600
      sfy-pandas status leads_enriched.csv
    """
    with one_line_errors():
        out = out or file
        file_format(file)
        check_destination(out)
        check_writable(out)
        options = RunOptions(
            base_url=base_url, journal="off", poll_interval=poll_interval, max_wait=max_wait
        )
        with (
            open_enrichment(options) as (enrichment, _),
            ChunkWriter(out) as writer,
            warnings_as_lines(),
        ):
            totals = refresh_chunks(
                read_chunks(file, chunk_rows),
                writer,
                enrichment,
                progress=None if quiet else "text",
                on_chunk=None if quiet else _chunk_line,
            )
            writer.commit()
    _finish(totals, out, requests=None, simulated=False)


# -- demo ----------------------------------------------------------------------------


@cli.command("demo", context_settings=CONTEXT)
@click.option(
    "--rows",
    type=click.IntRange(min=1),
    default=600,
    show_default=True,
    metavar="N",
    help="How many sample leads to enrich; above 600 more are generated.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("sample_leads_enriched.csv"),
    show_default=True,
    help="Where to write the enriched leads (.csv, .parquet or .xlsx).",
)
def demo(rows: int, out: Path) -> None:
    """Enrich a sample of messy leads against the bundled simulator: no key needed.

    Starts a simulator of the Salesfinity API on this machine, enriches the
    bundled sample lead list (each profile sent once, however it is spelled),
    prints a summary and writes the enriched file. The emails are fake: the
    simulator makes them up.

    \b
    Example:
      sfy-pandas demo
      sfy-pandas demo --rows 5000 --out demo.csv
    """
    from ._demo import run_demo

    with one_line_errors():
        check_destination(out)
        click.echo("Demo: a local simulator stands in for the Salesfinity API.")
        click.echo("The emails it returns are FAKE, made up for the demo.\n")
        with warnings_as_lines():
            result = run_demo(rows, out)
    totals = result.totals
    click.echo("")
    click.echo(summary_table(totals, requests=result.requests))
    if len(result.examples):
        click.echo("\nA few of the rows (fake emails):")
        for record in result.examples.itertuples(index=False):
            first, last, company, email = record
            click.echo(f"  {first} {last} ({company}): {email}")
    click.echo(f"\nWrote {totals.rows:,} enriched rows to {out.resolve()}")
    click.echo(
        "Next: export SALESFINITY_API_KEY=... and "
        "sfy-pandas enrich your_leads.csv --column linkedin_url"
    )
    if totals.interrupted:
        click.get_current_context().exit(totals.exit_code)


# -- helpers -------------------------------------------------------------------------


def _chunk_line(first: int, last: int) -> None:
    click.echo(f"Rows {first:,} to {last:,}:", err=True)


def _writer(out: Path | None) -> ChunkWriter | DiscardingWriter:
    return DiscardingWriter() if out is None else ChunkWriter(out)


def _commit_reached(writer: ChunkWriter | DiscardingWriter, out: Path) -> None:
    """Keep the rows written before a failure; a failing commit must not hide the cause."""
    with contextlib.suppress(OSError):
        writer.commit()
        if writer.started:
            click.echo(f"{writer.rows:,} rows were written to {out} before the error.", err=True)


def _write_failed(exc: OSError, out: Path, journal: Path | None) -> click.ClickException:
    reason = exc.strerror or str(exc)
    if journal is None:
        kept = "the journal is off, so the answers of the rows not written are lost"
    else:
        kept = (
            f"every answer received is kept in the journal {journal}: run the same command "
            "again (with another --out) and nothing is sent or paid again"
        )
    return click.ClickException(f"could not write {out} ({reason}); {kept}")


def _finish(totals: Totals, out: Path | None, *, requests: int | None, simulated: bool) -> NoReturn:
    """Print the summary and what was written; exit with the run's code."""
    click.echo(summary_table(totals, requests=requests))
    if out is None:
        click.echo("\nDry run: nothing written (--out writes the rows with their estimate).")
    else:
        verb = "Dry run: wrote" if totals.dry_run else "Wrote"
        fake = " (fake emails)" if simulated else ""
        click.echo(f"\n{verb} {totals.rows:,} rows to {out}{fake}")
    if totals.interrupted:
        click.echo(
            "Interrupted. Run the same command again to finish: lookups already created "
            "are polled, not sent again.",
            err=True,
        )
    elif totals.running and not totals.dry_run:
        click.echo(
            f"{totals.running:,} rows are still running: sfy-pandas status {out} "
            "refreshes them later.",
            err=True,
        )
    click.get_current_context().exit(totals.exit_code)
