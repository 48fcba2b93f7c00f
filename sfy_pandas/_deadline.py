"""A deadline on the running task, for the waits the client and the engine make per request.

``asyncio.wait_for`` runs what it waits for in a task of its own, which is a
real share of a request's CPU at hundreds of requests a second;
``asyncio.timeout`` (Python 3.11) puts the deadline on the task already
running. Both raise ``asyncio.TimeoutError`` (the builtin ``TimeoutError``
from 3.11).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["within"]

_T = TypeVar("_T")

if sys.version_info >= (3, 11):

    async def within(awaitable: Awaitable[_T], seconds: float) -> _T:
        """``await awaitable``, cancelled after ``seconds``."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # pragma: no cover - Python 3.10 has no asyncio.timeout

    async def within(awaitable: Awaitable[_T], seconds: float) -> _T:
        """``await awaitable``, cancelled after ``seconds``."""
        return await asyncio.wait_for(awaitable, seconds)
