"""Ids missing from the API's answers: a real 404, or an answer the client could not use.

An id missing from ``missing_rounds`` answers in a row is checked once with a
``GET`` (when the client has one). Only a real 404 means the API no longer
knows the lookup: a journaled one is sent again, once, if the budget allows;
one made by this run is marked. A server that did answer, with something the
client could not use, gets a row saying so instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .._errors import AuthenticationError, NotFoundError, SalesfinityError
from .._models import Lookup
from ..journal._journal import ProfileKey
from ._book import Answers, RunBook, Running
from ._creating import Creator
from ._types import EngineOptions, Job, LookupAPI

if TYPE_CHECKING:
    from ._reading import Reader

__all__ = ["UnknownIds"]


class UnknownIds:
    """What to do with ids the API's answers leave out."""

    def __init__(
        self,
        client: LookupAPI,
        book: RunBook,
        creator: Creator,
        options: EngineOptions,
        job_for: Callable[[ProfileKey], Job],
    ) -> None:
        self._client = client
        self._book = book
        self._creator = creator
        self._options = options
        self._job_for = job_for
        self._sent_again: set[ProfileKey] = set()

    async def missing(self, lookup_ids: Sequence[str], now: float, reader: Reader) -> None:
        """Count a miss for each; check the ones missing too often."""
        if not lookup_ids:
            return
        running = self._book.running
        again: list[str] = []
        for lookup_id in lookup_ids:
            record = running.get(lookup_id)
            if record is None:
                continue
            record.missing += 1
            if record.missing < self._options.missing_rounds:
                again.append(lookup_id)
            else:
                await self._check(lookup_id, record, now, reader)
        reader.reread_soon(again, now)

    async def _check(self, lookup_id: str, record: Running, now: float, reader: Reader) -> None:
        get: Callable[[str], Any] | None = getattr(self._client, "get", None)
        if get is not None:
            try:
                lookup = await get(lookup_id)
            except NotFoundError:
                pass  # a real 404: the API no longer knows it
            except AuthenticationError:
                raise
            except SalesfinityError as exc:
                reader.drop(lookup_id)
                self._book.fail(
                    record.key,
                    f"the API answered for {lookup_id}, but not with a lookup the client "
                    f"could use: {exc}",
                    lookup_id,
                )
                return
            else:
                if isinstance(lookup, Lookup) and lookup.id == lookup_id:
                    out = Answers()
                    reader.take_answer(lookup_id, lookup, (now, now), out)
                    out.send(self._book)
                    return
                reader.drop(lookup_id)
                self._book.fail(
                    record.key, f"the API answered for {lookup_id} with another lookup", lookup_id
                )
                return
        self._gone(lookup_id, record, reader)

    def _gone(self, lookup_id: str, record: Running, reader: Reader) -> None:
        book = self._book
        reader.drop(lookup_id)
        book.forget(record.key)
        if record.resumed and record.key not in self._sent_again and not self._creator.stopped():
            # A journaled id from an earlier run (or another API): send it anew, once.
            self._sent_again.add(record.key)
            book.stats.recreated += 1
            self._creator.submit([self._job_for(record.key)])
            return
        book.stats.unknown_ids += 1
        book.fail(record.key, f"the API no longer knows {lookup_id}", lookup_id)
