"""Which API a run talks to: the real one, another URL, or the bundled simulator.

The URL is worked out before the key, so a typo such as ``base_url="simulater"``
is told it is not a URL instead of being asked for a key it does not need.

The bundled simulator keeps its lookups in a state file across processes, on a
port that changes every time: its journal entries are kept under the name
``simulator``, not its URL, so a new kernel polls or reuses what an earlier one
created, as it would with the real API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .._config import SIMULATOR, require_api_key, resolve_base_url

if TYPE_CHECKING:
    from ..simulator import ServerHandle

__all__ = ["Target", "bundled_simulator", "resolve_target"]


@dataclass(frozen=True)
class Target:
    """An API root, its key (never in a repr) and how the run is labelled."""

    base_url: str
    api_key: str = field(repr=False)
    #: "simulator" for the bundled simulator, else empty.
    note: str = ""

    @property
    def journal_key(self) -> str:
        """The name the journal keeps this API's lookups under."""
        return SIMULATOR if self.note == SIMULATOR else self.base_url


def resolve_target(api_key: str | None, base_url: str | None) -> Target:
    """The API of ``api_key``/``base_url`` (else the environment, else the real API)."""
    if base_url is not None and isinstance(base_url, str) and base_url.strip() == SIMULATOR:
        server = bundled_simulator()
        return Target(server.base_url, server.api_key, SIMULATOR)
    return Target(resolve_base_url(base_url), require_api_key(api_key))


def bundled_simulator() -> ServerHandle:
    """The process's bundled simulator (its state is kept in a file across processes)."""
    from ..simulator import bundled

    return bundled()
