"""Register ``ddf.salesfinity`` when ``dask.dataframe`` is imported, and cost nothing otherwise.

``import sfy_pandas`` imports this module (a side effect, on purpose). If
``dask.dataframe`` is already imported the accessor is registered now;
otherwise a finder waits on ``sys.meta_path`` for that one import and
registers the accessor right after it. Nothing of Dask is imported here, so
``import sfy_pandas`` stays fast, and works where Dask is not installed.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence

__all__ = ["install"]

_TARGET = "dask.dataframe"


def _register() -> None:
    from . import _accessor

    _accessor.register()


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the real loader of ``dask.dataframe`` to register after it."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _TARGET:
            return None
        spec = None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        _uninstall(self)
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            execute(module)
            _register()

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _uninstall(finder: importlib.abc.MetaPathFinder) -> None:
    if finder in sys.meta_path:
        sys.meta_path.remove(finder)


def install() -> None:
    """Register now if ``dask.dataframe`` is imported, else when it is."""
    if _TARGET in sys.modules:
        _register()
    elif not any(isinstance(f, _RegisterAfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterImport())


install()
