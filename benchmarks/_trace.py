"""What the simulator's answers said about each lookup: when made, when read, how often.

The bench server (``_server.py``) hands every answer of the three lookup routes to
:class:`LookupTrace`, which reads the bodies it sends: a 201 names a new lookup,
a GET or a batch query answers for lookups in some status. From that and the
simulator's ground truth (``expected_outcome``: each lookup's resolve time) the
ledger can say, per lookup, when it became final and when the client first saw
it final.
"""

from __future__ import annotations

import json
from typing import Any

from sfy_pandas.simulator import expected_outcome

RUNNING = {"pending", "processing"}


class LookupTrace:
    """Per lookup: creation time, reads, the first answer that showed it final."""

    def __init__(self, config: Any) -> None:
        self._config = config
        self.created: dict[str, tuple[float, str, str]] = {}  # id: (time, url, type)
        self.reads: dict[str, int] = {}
        self.final_read: dict[str, float] = {}

    def answered(self, route: str, status: int, body: bytes, now: float) -> None:
        """Note one answer sent at ``now`` on ``route`` (create, get or batch)."""
        if route == "create":
            if status == 201:
                lookup = json.loads(body)
                self.created[lookup["_id"]] = (now, lookup["linkedin_url"], "work")
            return
        if status != 200:
            return
        answer = json.loads(body)
        for lookup in answer if isinstance(answer, list) else [answer]:
            lookup_id = lookup["_id"]
            self.reads[lookup_id] = self.reads.get(lookup_id, 0) + 1
            if lookup["status"] not in RUNNING and lookup_id not in self.final_read:
                self.final_read[lookup_id] = now

    def lookups(self) -> list[list[Any]]:
        """``[created, resolve_seconds, first final read or None, reads]`` per lookup."""
        rows = []
        for lookup_id, (created, url, type) in self.created.items():
            resolve = expected_outcome(url, type, self._config).resolve_seconds
            final = self.final_read.get(lookup_id)
            rows.append([created, resolve, final, self.reads.get(lookup_id, 0)])
        return rows
