"""Which API a run talks to: the real one, another URL, or the bundled simulator.

The URL is worked out before the key, so a typo such as ``base_url="simulater"``
is told it is not a URL instead of being asked for a key it does not need.
"""

from __future__ import annotations

import threading
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


def resolve_target(api_key: str | None, base_url: str | None) -> Target:
    """The API of ``api_key``/``base_url`` (else the environment, else the real API)."""
    if base_url is not None and isinstance(base_url, str) and base_url.strip() == SIMULATOR:
        server = bundled_simulator()
        return Target(server.base_url, server.api_key, SIMULATOR)
    url = resolve_base_url(base_url)
    if url == bundled_url():
        server = bundled_simulator()  # a frame enriched with the simulator, asked again
        return Target(server.base_url, server.api_key, SIMULATOR)
    return Target(url, require_api_key(api_key))


_lock = threading.Lock()
_simulator: ServerHandle | None = None


def bundled_simulator() -> ServerHandle:
    """The process's one bundled simulator, so ``status()`` finds ``enrich()``'s lookups."""
    global _simulator  # noqa: PLW0603 - one simulator per process is the point
    with _lock:
        if _simulator is None or not _simulator.running:
            from ..simulator import start

            _simulator = start()
        return _simulator


def bundled_url() -> str | None:
    """The URL of the bundled simulator if it is running in this process."""
    server = _simulator
    return server.base_url if server is not None and server.running else None
