"""Before a run spends credits, make sure its output can be written.

``check_destination`` (in ``_files``) knows the formats; this adds what only
trying tells: that the folder takes a new file (a read-only or immutable
folder, ``/proc``, a full disk refusing even an empty file) and that an
existing file there may be replaced.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["check_writable"]


def check_writable(path: str | os.PathLike[str]) -> Path:
    """``path``, once a file can be made beside it and an existing one replaced.

    ``PermissionError``/``OSError`` name the path and say what is wrong.
    Touches nothing: the probe file is removed at once.
    """
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name to write to")
    if target.exists() and not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP):
        raise PermissionError(f"{target} is read-only; make it writable or choose another --out")
    folder = target.parent
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{target.name}.", suffix=".probe"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise PermissionError(
            f"cannot write {target}: its folder {folder} takes no new file ({reason}); "
            "choose another --out"
        ) from None
    return target
