"""Stream the distinct profiles through the session, batch by batch, and write the answers.

Only one batch of profiles is in the client's memory at a time; the progress
view counts both rows and distinct profiles, as the pandas view counts rows.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from .._models import Status
from ..engine._engine import Job, Update
from ..journal._journal import ProfileKey
from ..progress._snapshot import Outcome, ProgressSnapshot, ProgressView
from ._cells import EXTERNAL_ID, KEY, ROWS, objects
from ._results import RunFolder
from ._session import Batch, Session

__all__ = ["Tally", "stream_profiles"]


@dataclass
class Tally:
    """Rows and profiles per status, for the progress view and the run's summary."""

    rows: int
    profiles: int
    invalid_rows: int
    counts: Counter[Status] = field(default_factory=Counter)
    profiles_done: int = 0
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.counts[Status.PENDING] = self.rows - self.invalid_rows
        self.counts[Status.INVALID] = self.invalid_rows

    def move(self, rows: int, old: Status, new: Status) -> None:
        self.counts[old] -= rows
        self.counts[new] += rows

    def snapshot(self, credits_used: int) -> ProgressSnapshot:
        return ProgressSnapshot(
            total=self.rows,
            counts={status: n for status, n in self.counts.items() if n},
            credits_used=credits_used,
            elapsed=time.monotonic() - self.started,
            note=f"{_short(self.profiles_done)}/{_short(self.profiles)} prof.",
        )


def _short(n: int) -> str:
    """A count that fits the view's short note: 1834, 18k, 2.4M."""
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"


def stream_profiles(
    batches: Iterable[pd.DataFrame],
    session: Session,
    folder: RunFolder,
    tally: Tally,
    view: ProgressView,
) -> None:
    """Submit every batch of distinct profiles, write each batch's answers as it ends.

    The next batch is read only when the session has room for it, so the
    batches in flight bound what this process holds. An interrupt propagates
    once the batches have settled: what was sent is in the journal, and a
    rerun resumes from it.
    """
    kind = session.options.kind
    weight: dict[ProfileKey, int] = {}
    status: dict[ProfileKey, Status] = {}

    def seen(updates: list[Update]) -> None:
        for update in updates:
            old = status.get(update.key, Status.PENDING)
            status[update.key] = update.status
            tally.move(weight[update.key], old, update.status)
        view.update(tally.snapshot(session.charged))

    pending = iter(batches)
    in_flight: list[Batch] = []
    try:
        more = True
        while more or in_flight:
            while more and session.can_submit(in_flight):
                frame = next(pending, None)
                if frame is None:
                    more = False
                    break
                jobs = _jobs(frame, kind, weight)
                in_flight.append(session.submit(jobs))
            if not in_flight:
                break

            def room(more: bool = more) -> bool:
                return more and session.can_submit(in_flight)

            for batch in session.wait(in_flight, seen, until=room):
                in_flight.remove(batch)
                tally.profiles_done += len(batch.jobs)
                _fill_unanswered(batch, session)
                folder.write_answers(batch.answers)
                for job in batch.jobs:  # its profiles will not be seen again
                    weight.pop(job.key, None)
                    status.pop(job.key, None)
                view.update(tally.snapshot(session.charged), force=True)
    except BaseException:  # an interrupt, a refused key: the view says it stopped
        view.close(tally.snapshot(session.charged), Outcome.STOPPED)
        raise
    folder.ensure_results()
    snapshot = tally.snapshot(session.charged)
    view.close(snapshot, Outcome.of(snapshot))


def _jobs(frame: pd.DataFrame, kind: str, weight: dict[ProfileKey, int]) -> list[Job]:
    """One batch's jobs; ``weight`` learns how many rows each profile stands for."""
    keys = frame[KEY].to_numpy(dtype=object)
    rows = frame[ROWS].to_numpy()
    externals = objects(frame[EXTERNAL_ID])
    jobs = []
    for url, n, ext in zip(keys, rows, externals, strict=True):
        key = (url, kind)
        weight[key] = int(n)
        jobs.append(Job(key, ext))
    return jobs


def _fill_unanswered(batch: Batch, session: Session) -> None:
    """A profile the batch never answered (it ended early) is written as ``not-sent``."""
    reason = "not sent: the run ended before it was sent; run enrich() again to send it"
    if session.out_of_time:
        reason = "not sent: max_wait passed before it was sent"
    for job in batch.jobs:
        if job.key not in batch.answers:
            batch.answers[job.key] = Update(job.key, Status.NOT_SENT, message=reason)
