"""The options of a run: checked once, here, and then carried unchanged to their layer.

Every face (``df.salesfinity``, ``sfy-pandas``) builds one :class:`RunOptions`;
its checks run when it is built, before anything is sent, and each error names
the argument. ``EnrichKeywords`` is the one list of the keywords that
``enrich()`` and ``aenrich()`` take.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, Literal, TypedDict

import numpy as np

from .._models import EmailType
from .._rules import callback_url_problem, type_problem
from ..client._retry import RetryPolicy

__all__ = [
    "EnrichKeywords",
    "ProgressMode",
    "RunOptions",
    "RunnerName",
    "check_count",
    "check_flag",
    "check_progress",
    "check_runner",
    "check_seconds",
]

ProgressMode = Literal["auto", "widget", "text"] | None
RunnerName = Literal["thread", "nest-asyncio"]


class EnrichKeywords(TypedDict, total=False):
    """The keywords of ``enrich()`` and ``aenrich()`` (documented on ``enrich()``)."""

    type: EmailType | str | tuple[EmailType | str, ...] | list[EmailType | str]
    external_id: Any
    progress: ProgressMode
    max_credits: int | None
    dry_run: bool
    refresh: bool
    api_key: str | None
    base_url: str | None
    journal: str | os.PathLike[str] | None
    concurrency: int | None
    poll_interval: float
    max_wait: float | None
    callback_url: str | None
    timeout: float | None
    retry: RetryPolicy | None


@dataclass(frozen=True)
class RunOptions:
    """How a run behaves, checked when built; the key stays out of the repr.

    ``concurrency`` is how many creates are in flight (and the HTTP client's
    limit); ``timeout`` the read time-out of one request in seconds; ``retry``
    how hard one request tries. None means the library's default.

    ``type`` is one email type or several distinct ones (a tuple or list); it
    is kept as the type's string, or a tuple of them. ``types`` is always the
    tuple.
    """

    type: str | tuple[str, ...] = EmailType.WORK.value
    max_credits: int | None = None
    dry_run: bool = False
    refresh: bool = False
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    journal: str | os.PathLike[str] | None = None
    concurrency: int | None = None
    poll_interval: float = 1.0
    max_wait: float | None = None
    callback_url: str | None = None
    timeout: float | None = None
    retry: RetryPolicy | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "type", _check_types(self.type))
        check_count("max_credits", self.max_credits, minimum=0)
        check_flag("dry_run", self.dry_run)
        check_flag("refresh", self.refresh)
        if self.api_key is not None and not isinstance(self.api_key, str):
            raise TypeError(f"api_key must be a string, not {type(self.api_key).__name__}")
        if self.base_url is not None and not isinstance(self.base_url, str):
            raise TypeError(f"base_url must be a string, not {type(self.base_url).__name__}")
        if self.journal is not None and not isinstance(self.journal, (str, os.PathLike)):
            raise TypeError(f"journal must be a path or 'off', not {type(self.journal).__name__}")
        check_count("concurrency", self.concurrency, minimum=1)
        check_seconds("poll_interval", self.poll_interval, allow_none=False)
        check_seconds("max_wait", self.max_wait, allow_none=True)
        problem = callback_url_problem(self.callback_url)
        if problem is not None:
            raise (TypeError if not isinstance(self.callback_url, str) else ValueError)(
                f"{problem}, not {self.callback_url!r}"
            )
        check_seconds("timeout", self.timeout, allow_none=True)
        if self.retry is not None and not isinstance(self.retry, RetryPolicy):
            raise TypeError(
                f"retry must be a sfy_pandas.RetryPolicy, not {type(self.retry).__name__}"
            )

    @property
    def types(self) -> tuple[str, ...]:
        """The email types asked, one job per profile and type."""
        return (self.type,) if isinstance(self.type, str) else self.type

    @classmethod
    def names(cls) -> frozenset[str]:
        """The keywords a :class:`RunOptions` takes."""
        return frozenset(f.name for f in fields(cls))


def _check_types(value: object) -> str | tuple[str, ...]:
    """One type (kept as its string) or several distinct ones (kept as a tuple)."""
    given: list[object] = list(value) if isinstance(value, (tuple, list)) else [value]
    many = isinstance(value, (tuple, list))
    # Each an EmailType or its string; type_problem refuses anything else.
    found: list[object] = [getattr(each, "value", each) for each in given]
    if many and not found:
        raise ValueError("type must name at least one type: 'work' or 'personal', not ()")
    for kind in found:
        problem = type_problem(kind)
        if problem is not None:
            raise ValueError(f"{problem}, not {value!r}")
    kinds = [str(kind) for kind in found]
    if len(set(kinds)) < len(kinds):
        raise ValueError(f"type must name each type once, not {value!r}")
    return tuple(kinds) if many and len(kinds) > 1 else kinds[0]


def check_count(name: str, value: object, *, minimum: int) -> None:
    """A whole number of at least ``minimum``, or None."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a whole number or None, not {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {value}")


def check_seconds(name: str, value: object, *, allow_none: bool) -> None:
    """A positive number of seconds (or None where allowed)."""
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {value!r}")


def check_flag(name: str, value: object) -> None:
    """A yes/no argument must be a bool: ``refresh="false"`` would otherwise mean True."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, not {value!r}")


def check_progress(progress: object) -> None:
    """One of the progress views, or None for none."""
    if progress not in ("auto", "widget", "text", None):
        raise ValueError(f"progress must be 'auto', 'widget', 'text' or None, not {progress!r}")


def check_runner(runner: object) -> None:
    """How a synchronous call runs the loop: a background thread, or nest-asyncio."""
    if runner not in ("thread", "nest-asyncio"):
        raise ValueError(f"runner must be 'thread' or 'nest-asyncio', not {runner!r}")
