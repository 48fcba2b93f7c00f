"""Resuming: what the journal already knows, and profiles another process is creating."""

from __future__ import annotations

import time
from collections.abc import Sequence

from .._errors import JournalError
from ..journal._journal import State, owner_is_alive
from ._book import RunBook, Running
from ._creating import Creator
from ._types import Job, Update

__all__ = ["RESUME_CHUNK", "check_waiting", "resume_from_journal"]


#: Profiles looked up and answered at a time: a rerun over a million profiles
#: never holds more than this many entries and updates at once.
RESUME_CHUNK = 20_000


def resume_from_journal(book: RunBook, jobs: Sequence[Job], *, refresh: bool) -> list[Job]:
    """Reuse what the journal knows; return the jobs that need a create.

    The jobs are read a chunk at a time, and each chunk's answers go out
    before the next is read. A journal that cannot be read raises
    :class:`~sfy_pandas.JournalError` here, before anything is sent.
    """
    to_create: list[Job] = []
    for start in range(0, len(jobs), RESUME_CHUNK):
        to_create += _resume_chunk(book, jobs[start : start + RESUME_CHUNK], refresh)
    return to_create


def _resume_chunk(book: RunBook, jobs: Sequence[Job], refresh: bool) -> list[Job]:
    entries = book.journal.entries([job.key for job in jobs])
    updates: list[Update] = []
    to_create: list[Job] = []
    for job in jobs:
        entry = entries.get(job.key)
        lookup = entry.as_lookup() if entry is not None else None
        if entry is None or lookup is None:
            to_create.append(job)
        elif entry.state is State.CREATED:
            book.add_running(lookup, Running(job.key, None, None))
            book.stats.resumed += 1
            updates.append(Update.of(job.key, lookup))
        elif entry.state is State.RESOLVED and not refresh:
            book.stats.reused += 1
            updates.append(Update.reused(job.key, lookup))
        else:
            to_create.append(job)
    del entries  # before the updates go out
    book.publish(updates)
    # Now, not at the next tick: the chunks are read without a pause, so waiting
    # for the loop would hold every chunk's updates at once.
    book.flush()
    return to_create


def check_waiting(book: RunBook, creator: Creator) -> bool:
    """Profiles another process was creating: take its id, or take over if it died.

    Returns True when any left the waiting room.
    """
    waiting = creator.waiting
    if not waiting:
        return False
    try:
        entries = book.journal.entries(waiting)
    except JournalError:
        book.stats.journal_failures += 1
        return False  # asked again next round
    now = time.time()
    taken_over: list[Job] = []
    for key, job in list(waiting.items()):
        entry = entries.get(key)
        if (
            entry is not None
            and entry.state is State.SENDING
            and owner_is_alive(entry.owner, entry.claimed_at, now)
        ):
            continue  # the other process is still sending it
        del waiting[key]
        if entry is not None and entry.state is not State.SENDING:
            lookup = entry.as_lookup()
            if lookup is not None and lookup.status.is_running:
                book.add_running(lookup, Running(key, None, None))
                book.stats.resumed += 1
                book.publish([Update.of(key, lookup)])
            elif lookup is not None:
                book.stats.reused += 1
                book.publish([Update.reused(key, lookup)])
        else:
            taken_over.append(job)  # its owner died unanswered: the claim says so
    if taken_over:
        creator.submit(taken_over)
    return True
