"""The simulator's optional dependencies, and the hint shown when they are missing."""

from __future__ import annotations

import importlib

__all__ = ["INSTALL_HINT", "require"]

INSTALL_HINT = 'pip install "sfy-pandas[simulator]"'


def require(*modules: str) -> None:
    """Import ``modules`` or raise ``ImportError`` that says how to install them."""
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:
            raise ImportError(
                f"the Salesfinity simulator needs {name!r}, which is not installed; "
                f"install the simulator extra: {INSTALL_HINT}"
            ) from exc
