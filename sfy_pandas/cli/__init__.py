"""The ``sfy-pandas`` command line."""

from ._commands import cli, main

__all__ = ["cli", "main"]
