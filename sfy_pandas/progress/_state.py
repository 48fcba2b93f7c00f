"""The state of a run as the views draw it, and how a finished run ended."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .._models import Status

__all__ = [
    "BAR_STYLES",
    "ETA_FROM_RATE",
    "NAMED_TROUBLE",
    "Outcome",
    "ProgressSnapshot",
    "next_step",
]

#: ``eta_seconds`` default: estimate the ETA from the rows made final per second.
ETA_FROM_RATE: Literal["rate"] = "rate"


@dataclass(frozen=True)
class ProgressSnapshot:
    """The state of one run at one moment, as the views draw it.

    ``counts`` holds rows per status and sums to ``total``. ``resumed`` is how many
    rows were already final when the run started (answers reused from the journal):
    they count as final but are left out of the rate, so a resumed run does not
    promise an ETA it cannot keep.

    ``eta_seconds`` is the run's own estimate of the time left, in seconds, or
    None while it cannot tell yet (the views then say "estimating"); by default the
    ETA comes from the rate so far. ``dry_run`` marks a run that sent nothing.
    """

    total: int
    counts: Mapping[Status, int]
    credits_used: int = 0
    elapsed: float = 0.0
    note: str = ""
    resumed: int = field(default=0, kw_only=True)
    eta_seconds: float | Literal["rate"] | None = field(default=ETA_FROM_RATE, kw_only=True)
    dry_run: bool = field(default=False, kw_only=True)

    def count(self, status: Status) -> int:
        """Rows currently in ``status`` (0 when absent)."""
        return int(self.counts.get(status, 0))

    @property
    def final(self) -> int:
        """Rows whose answer will not change during this run."""
        return sum(n for status, n in self.counts.items() if Status(status).is_final)

    @property
    def remaining(self) -> int:
        """Rows still waiting for an answer."""
        return max(self.total - self.final, 0)

    @property
    def problems(self) -> int:
        """Rows an analyst should look at (failed, timeout, error, invalid)."""
        return sum(n for status, n in self.counts.items() if Status(status).is_problem)

    @property
    def figures(self) -> tuple[object, ...]:
        """Everything a view shows except the clock: equal figures, nothing new to say."""
        counts = tuple(sorted((Status(s).value, n) for s, n in self.counts.items() if n))
        return (self.total, counts, self.credits_used, self.note, self.dry_run)

    @property
    def rate(self) -> float | None:
        """Rows made final per second by this run, or None before the first one."""
        done = self.final - self.resumed
        if done <= 0 or not self.elapsed > 0:
            return None
        return done / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds until every row is final; None while it cannot be estimated."""
        if self.remaining == 0:
            return 0.0
        if self.eta_seconds != ETA_FROM_RATE:
            given = self.eta_seconds
            return None if given is None or isinstance(given, str) else max(float(given), 0.0)
        rate = self.rate
        return None if rate is None else self.remaining / rate


#: The statuses an end line names when a run did not end cleanly, and how.
_TROUBLE: tuple[tuple[Status, str, str], ...] = (
    (Status.FAILED, "failed", "failed"),
    (Status.TIMEOUT, "timed out", "timed out"),
    (Status.ERROR, "error", "errors"),
    (Status.NOT_SENT, "not sent", "not sent"),
)
#: The statuses :meth:`Outcome.words` names on an end line of a run with problems.
NAMED_TROUBLE = frozenset(status for status, _, _ in _TROUBLE)


class Outcome(str, enum.Enum):
    """How a run ended; it picks the final colour, and :meth:`words` the end line's."""

    DONE = "done"
    PROBLEMS = "problems"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def of(cls, snapshot: ProgressSnapshot, *, stopped: bool = False) -> Outcome:
        """The outcome a finished run's snapshot deserves.

        ``stopped`` wins; rows still running, failed, timed out or in error make it
        ``problems``. Invalid cells alone do not (each row says what is wrong with
        it), and neither does a dry run, which sends nothing by design.
        """
        if stopped:
            return cls.STOPPED
        if snapshot.dry_run:
            return cls.DONE
        trouble = any(snapshot.count(status) for status, _, _ in _TROUBLE[:3])
        if snapshot.remaining or trouble:
            return cls.PROBLEMS
        return cls.DONE

    def words(self, snapshot: ProgressSnapshot, *, short: bool = False) -> str:
        """The outcome as the end line says it: what went wrong, not just "problems".

        ``done``, ``dry run``, ``stopped``; or what needs the analyst, e.g.
        ``1,545 still running; 3 failed, 1 error``. ``short`` leaves out what the
        counts beside it say: the failed rows when some are still running, and
        after a stop the running ones (the line under it names them).
        """
        if self is Outcome.DONE:
            return "dry run" if snapshot.dry_run else "done"
        said = [f"{snapshot.remaining:,} still running"] if snapshot.remaining else []
        if self is Outcome.STOPPED:
            return "; ".join(["stopped"] if short else ["stopped", *said])
        trouble = []
        for status, one, many in _TROUBLE:
            n = snapshot.count(status)
            if n:
                trouble.append(f"{n:,} {one if n == 1 else many}")
        if trouble and not (short and said):
            said.append(", ".join(trouble))
        return "; ".join(said) or "problems"


def next_step(snapshot: ProgressSnapshot) -> str:
    """The line under an end line with rows still running: how to finish them; else ``""``."""
    n = snapshot.remaining
    if not n:
        return ""
    rows = "1 row is" if n == 1 else f"{n:,} rows are"
    return f"{rows} still running: df.salesfinity.status() finishes them."


#: ipywidgets ``bar_style`` per state: running is ``None``.
BAR_STYLES: Mapping[Outcome | None, str] = {
    None: "info",
    Outcome.DONE: "success",
    Outcome.PROBLEMS: "warning",
    Outcome.STOPPED: "danger",
}
