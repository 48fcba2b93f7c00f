"""Run coroutines from synchronous code (a notebook cell, a script) safely.

The default runner is one daemon thread that owns its own event loop, shared by
every run of the process. The calling thread only waits, applies updates and
redraws progress. This matters in Jupyter: measured with nest-asyncio 1.6.0 on
ipykernel 7.4, a cell that patches the kernel's loop (``nest_asyncio.apply()``)
and calls ``asyncio.run()`` completes but leaves every cell queued behind it (as
Run All queues them) without a reply, while the same work on a background loop
thread lets them all run. So the kernel's loop is never patched by default.

``runner="nest-asyncio"`` is an opt-in for hosts that cannot start threads: it
patches the current loop and runs the coroutine on it, with the caveat above.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

__all__ = ["RunnerName", "loop_thread", "run_nested", "submit"]

T = TypeVar("T")
RunnerName = Literal["thread", "nest-asyncio"]

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def loop_thread() -> asyncio.AbstractEventLoop:
    """The process's background event loop, started on first use."""
    global _loop  # noqa: PLW0603 - one loop per process is the point
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            threading.Thread(target=serve, name="sfy-pandas-loop", daemon=True).start()
            ready.wait()
            _loop = loop
        return _loop


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Start ``coro`` on the background loop; the future is safe to wait on from any thread."""
    return asyncio.run_coroutine_threadsafe(coro, loop_thread())


def call_soon(callback: Any, *args: Any) -> None:
    """Run a plain callable on the background loop (e.g. to ask a run to stop)."""
    loop_thread().call_soon_threadsafe(callback, *args)


def run_nested(coro: Coroutine[Any, Any, T]) -> T:
    """The opt-in ``nest-asyncio`` runner: patch the running loop and run on it.

    With no loop running there is nothing to nest into, and ``asyncio.run`` does.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import nest_asyncio

    nest_asyncio.apply(loop)
    return loop.run_until_complete(coro)
