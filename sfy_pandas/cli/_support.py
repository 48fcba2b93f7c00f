"""What every ``sfy-pandas`` file command shares: errors as one line, the API, warnings.

Kept apart from the commands so ``_cli.py`` reads as the list of commands.
"""

from __future__ import annotations

import contextlib
import dataclasses
import sqlite3
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from .._config import API_KEY_ENV, resolve_api_key, resolve_base_url
from .._errors import SalesfinityError
from ._file_run import Api

if TYPE_CHECKING:
    from ..simulator import ServerHandle

__all__ = [
    "SIMULATOR",
    "BadArgument",
    "RunOptions",
    "one_line_errors",
    "open_api",
    "warnings_as_lines",
]

#: The ``--base-url`` that starts the bundled simulator.
SIMULATOR = "simulator"
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


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """The options every file command shares, turned into an :class:`Api`."""

    poll_interval: float
    max_wait: float | None
    quiet: bool

    def api(self, base_url: str, api_key: str, journal: str | None) -> Api:
        return Api(
            base_url,
            api_key,
            journal,
            poll_interval=self.poll_interval,
            max_wait=self.max_wait,
            progress=None if self.quiet else "text",
        )


@contextlib.contextmanager
def open_api(
    base_url: str | None, journal: str | None, run: RunOptions, *, dry_run: bool
) -> Iterator[tuple[Api, ServerHandle | None]]:
    """The API to talk to: the real one (key from the environment), or a simulator.

    A simulator gets a temporary journal unless one is given: its ids die with it.
    """
    if base_url == SIMULATOR:
        from ..simulator import serve_in_thread

        with contextlib.ExitStack() as stack:
            server = stack.enter_context(serve_in_thread())
            if journal is None:
                scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="sfy-"))
                journal = str(Path(scratch) / "journal.sqlite3")
            click.echo("Using the bundled simulator: the emails are FAKE.", err=True)
            yield run.api(server.base_url, server.api_key, journal), server
        return
    url = resolve_base_url(base_url)
    key = resolve_api_key(None)
    if key is None:
        if not dry_run:
            _no_key()
        key = _DRY_RUN_KEY
    yield run.api(url, key, journal), None


def _no_key() -> NoReturn:
    raise BadArgument(
        f"no API key: set it in the environment (export {API_KEY_ENV}=...); "
        "it is never taken on the command line, where shell history would keep it. "
        "To try without a key: --base-url simulator (fake emails)"
    )


@contextlib.contextmanager
def warnings_as_lines() -> Iterator[None]:
    """Show library warnings (a low balance, say) as one ``Warning:`` line on stderr."""
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning  # restored when catch_warnings exits
        yield


def _show_warning(message: Warning | str, *args: object, **kwargs: object) -> None:
    click.echo(f"Warning: {message}", err=True)
