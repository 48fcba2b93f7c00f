"""The ``sfy-pandas`` command: a thin click layer, one library call per command."""

from __future__ import annotations

import click

from . import __version__

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sfy-pandas")
def cli() -> None:
    """Enrich leads with emails from the Salesfinity API.

    \b
    Example:
      sfy-pandas --version
    """


def main() -> None:
    """Entry point of the console script."""
    cli()
