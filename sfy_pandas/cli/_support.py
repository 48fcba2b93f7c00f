"""What every ``sfy-pandas`` file command shares: errors as one line, the run, warnings.

Kept apart from the commands so ``_commands.py`` reads as the list of commands.
"""

from __future__ import annotations

import contextlib
import sqlite3
import warnings
from collections.abc import Callable, Iterator

import click

from .._config import SIMULATOR, resolve_api_key, resolve_base_url
from .._errors import SalesfinityError
from ..run import Enrichment, RunOptions
from ..run._target import Target, bundled_simulator

__all__ = [
    "SIMULATOR",
    "BadArgument",
    "one_line_errors",
    "open_enrichment",
    "warnings_as_lines",
]

_DRY_RUN_KEY = "dry-run"  # a dry run sends nothing, so it needs no real key


class BadArgument(click.ClickException):
    """A library error caused by the arguments: one line, exit code 2."""

    exit_code = 2


@contextlib.contextmanager
def one_line_errors() -> Iterator[None]:
    """Library errors as one ``Error:`` line: bad arguments exit 2, the rest exit 1."""
    try:
        yield
    except (click.ClickException, click.exceptions.Exit):
        raise
    except SalesfinityError as exc:
        raise click.ClickException(_message(exc)) from None
    except KeyError as exc:
        raise BadArgument(_message(exc)) from None
    except (ValueError, TypeError) as exc:
        raise BadArgument(_message(exc)) from None
    except ImportError as exc:
        raise click.ClickException(_message(exc)) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        raise click.ClickException(f"{exc.strerror or exc}{where}") from None
    except (RuntimeError, sqlite3.Error) as exc:  # a simulator that did not start, a journal
        raise click.ClickException(_message(exc)) from None


def _message(exc: BaseException) -> str:
    """The first line of the error's own words (a KeyError's, not its repr)."""
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__


@contextlib.contextmanager
def open_enrichment(
    options: RunOptions,
) -> Iterator[tuple[Enrichment, Callable[[], int] | None]]:
    """The run every chunk of a file goes through, and, when simulated, a count of the
    requests the simulator has received since.

    The key comes from the environment only. A dry run sends nothing, so it needs no key.
    """
    requests = None
    if options.base_url == SIMULATOR:
        click.echo("Using the bundled simulator: the emails are FAKE.", err=True)
        server = bundled_simulator()
        before = sum(server.ledger.requests.values())

        def requests() -> int:
            return sum(server.ledger.requests.values()) - before

        target = None
    else:
        url = resolve_base_url(options.base_url)
        key = resolve_api_key(None)
        target = Target(url, key or _DRY_RUN_KEY) if key or options.dry_run else None
    with Enrichment(options, target=target) as enrichment:
        yield enrichment, requests


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Show library warnings (a low balance, say) as one ``Warning:`` line on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning  # restored when catch_warnings exits
        yield


def _show_warning(message: Warning | str, *args: object, **kwargs: object) -> None:
    click.echo(f"Warning: {message}", err=True)
