"""Distinct names (canonical URLs, lookup ids) found by number, without a dict of them all.

A run over a million profiles needs each answer's profile as a position in its
arrays. A dict of a million strings costs ~75 MB beyond the strings; the
sorted 64-bit hashes and their positions cost 16 MB, and a batch of answers is
found with one ``searchsorted``. Python's string hash is fixed within a
process, and an index never leaves the process that built it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

__all__ = ["NameIndex"]


class NameIndex:
    """The position of each of ``names`` (distinct), by its hash.

    Every name asked for must be one of the names indexed: the engine only
    reports profiles it was given. Two indexed names with one hash (about one
    chance in 10**7 for a million names) make the index fall back to a dict.
    """

    def __init__(self, names: Callable[[], Iterable[str]], count: int) -> None:
        """``names()`` gives the names in order; it is called again for the fallback."""
        hashes = np.fromiter(map(hash, names()), dtype=np.int64, count=count)
        self._positions = np.argsort(hashes, kind="stable")
        self._sorted = hashes[self._positions]
        self._fallback: dict[str, int] | None = None
        if len(hashes) > 1 and bool((self._sorted[1:] == self._sorted[:-1]).any()):
            self._fallback = {name: position for position, name in enumerate(names())}

    def find(self, names: Sequence[str]) -> np.ndarray:
        """The positions of these names; ``KeyError`` for a name not indexed."""
        if self._fallback is not None:
            fallback = self._fallback
            return np.fromiter((fallback[name] for name in names), np.intp, len(names))
        hashes = np.fromiter(map(hash, names), dtype=np.int64, count=len(names))
        at = np.searchsorted(self._sorted, hashes)
        found = at < len(self._sorted)
        found[found] = self._sorted[at[found]] == hashes[found]
        if not found.all():
            raise KeyError(names[int(np.argmin(found))])
        return np.asarray(self._positions[at], dtype=np.intp)
