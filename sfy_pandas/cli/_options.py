"""The options and the help layout that the ``sfy-pandas`` commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from .._config import BASE_URL_ENV
from ..frame._files import DEFAULT_CHUNK_ROWS

__all__ = ["CONTEXT", "WholeHelpGroup", "base_url_option", "run_options"]

_F = TypeVar("_F", bound=Callable[..., Any])

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_SECONDS = click.FloatRange(min=0.0, min_open=True)


class WholeHelpGroup(click.Group):
    """A group whose command list shows each command's first sentence whole.

    click cuts it to fit one line and ends it with "..."; wrapped onto a second
    line, the sentence says all it means to.
    """

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def base_url_option(help: str) -> Callable[[_F], _F]:
    return click.option(
        "--base-url",
        metavar="URL",
        envvar=BASE_URL_ENV,
        show_envvar=True,
        help=f"{help} [default: the Salesfinity API]",
    )


def run_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--max-wait",
                type=_SECONDS,
                metavar="SECONDS",
                help="Stop polling after this long; rows still running keep their lookup id "
                "and 'sfy-pandas status' finishes them later. [default: wait until all are final]",
            ),
            click.option(
                "--chunk-rows",
                type=click.IntRange(min=1),
                default=DEFAULT_CHUNK_ROWS,
                show_default=True,
                metavar="N",
                help="Rows read, enriched and written at a time (CSV and Parquet); "
                "memory use follows it, not the file's size.",
            ),
            click.option("--quiet", "-q", is_flag=True, help="No progress line."),
            # Not in the help: the simulator answers in a second, the real API in ~45 s.
            click.option("--poll-interval", type=_SECONDS, default=1.0, hidden=True),
        ]
    ):
        func = option(func)
    return func
