"""Serving the simulator over real HTTP: on a background thread, or in the foreground.

uvicorn runs on a socket bound here, so port 0 gives a free port whose number is
known before the server starts. uvicorn picks ``httptools`` and ``uvloop`` when
they are installed (the ``simulator`` extra brings them): several times the
throughput of the pure-Python stack.
"""

from __future__ import annotations

import atexit
import logging
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from ._app import Simulator
from ._config import SimulatorConfig
from ._extras import require
from ._faults import DroppedConnection
from ._ledger import Ledger

if TYPE_CHECKING:
    import uvicorn

__all__ = [
    "ANY_KEY_HINT",
    "ServerHandle",
    "base_url_of",
    "bind_socket",
    "make_server",
    "serve_in_thread",
    "start",
]

#: The key handed to clients when the simulator accepts any non-empty key.
ANY_KEY_HINT = "sfy-simulator-key"

_STARTUP_SECONDS = 10.0


class ServerHandle:
    """A simulator served on loopback by a background thread; ``stop()`` ends it.

    Use it as a context manager, or call :meth:`stop`. ``base_url`` and ``api_key``
    are what a client needs; ``simulator`` holds the ledger and the ground truth.
    """

    def __init__(
        self,
        simulator: Simulator,
        server: uvicorn.Server,
        thread: threading.Thread,
        sock: socket.socket,
    ) -> None:
        self.simulator = simulator
        self._server = server
        self._thread = thread
        self._sock = sock
        self.host: str = sock.getsockname()[0]
        self.port: int = sock.getsockname()[1]
        self.base_url = base_url_of(sock)
        self.api_key = simulator.config.api_key or ANY_KEY_HINT

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerHandle {self.base_url} {state}>"

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True until the server has stopped."""
        return self._thread.is_alive()

    @property
    def ledger(self) -> Ledger:
        """The simulator's books right now (same as ``handle.simulator.ledger``)."""
        return self.simulator.ledger

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving: close connections, cancel pending callbacks, join the thread."""
        if self._thread.is_alive():
            self._server.should_exit = True
            self._thread.join(timeout)
        self._sock.close()


def serve_in_thread(
    app: Simulator | SimulatorConfig | None = None,
    /,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **knobs: Any,
) -> ServerHandle:
    """Serve a simulator over HTTP from a daemon thread; returns once it accepts requests.

    Pass a ready :class:`Simulator`, a :class:`SimulatorConfig`, or knobs as
    keywords. ``port=0`` picks a free port; the handle says which.
    """
    require("starlette", "uvicorn")
    if isinstance(app, Simulator):
        if knobs:
            raise TypeError("knobs cannot change a ready Simulator; pass a config instead")
        simulator = app
    else:
        simulator = Simulator(app, **knobs)
    sock = bind_socket(host, port)
    server = make_server(simulator)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"sfy-simulator-{sock.getsockname()[1]}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + _STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(_STARTUP_SECONDS)
            sock.close()
            raise RuntimeError("the simulator did not start; see the log for why")
        time.sleep(0.002)
    return ServerHandle(simulator, server, thread, sock)


_kept: list[ServerHandle] = []


def start(
    app: Simulator | SimulatorConfig | None = None,
    /,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **knobs: Any,
) -> ServerHandle:
    """Start a simulator for a notebook and keep it running until the process ends.

    Takes what :func:`serve_in_thread` takes. The returned handle has
    ``base_url``, ``api_key`` and ``simulator``; ``handle.stop()`` ends it early.
    """
    handle = serve_in_thread(app, host=host, port=port, **knobs)
    if not _kept:
        atexit.register(_stop_kept)
    _kept.append(handle)
    return handle


def _stop_kept() -> None:
    while _kept:
        _kept.pop().stop()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm
    # off only on accepted sockets whose proto says TCP, and with it on, every
    # keep-alive request waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # Listening now means a client that connects before uvicorn is up waits in
        # the backlog instead of being refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def base_url_of(sock: socket.socket) -> str:
    """The ``http://host:port`` a bound socket serves on (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def make_server(simulator: Simulator, *, access_log: bool = False) -> uvicorn.Server:
    """A uvicorn server for ``simulator`` that leaves the process's logging set-up alone."""
    import uvicorn

    _hide_deliberate_drops()
    config = uvicorn.Config(
        simulator,
        lifespan="on",
        # None: do not replace the logging configuration of the notebook or test
        # run that hosts the server.
        log_config=None,
        log_level="info" if access_log else "warning",
        access_log=access_log,
        timeout_graceful_shutdown=2,
    )
    return uvicorn.Server(config)


class _DeliberateDropFilter(logging.Filter):
    """Keeps injected dropped connections out of uvicorn's error log; real errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, DroppedConnection)


_DROP_FILTER = _DeliberateDropFilter()


def _hide_deliberate_drops() -> None:
    logger = logging.getLogger("uvicorn.error")
    if _DROP_FILTER not in logger.filters:
        logger.addFilter(_DROP_FILTER)
