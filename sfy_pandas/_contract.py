"""The API's rules for what a request may hold (API.md sections 1 and 3), written once.

The client checks its arguments against these before sending, and the bundled
simulator refuses what breaks them with a 400, so the two can never disagree.
No I/O here.
"""

from __future__ import annotations

__all__ = ["EMAIL_TYPES", "MAX_BATCH", "MAX_EXTERNAL_ID_CHARS"]

#: The values of a create's ``type`` field (section 1).
EMAIL_TYPES: tuple[str, ...] = ("work", "personal")
#: The batch status query takes at most this many ids (section 3).
MAX_BATCH = 200
#: ``external_id`` is at most this long (section 1).
MAX_EXTERNAL_ID_CHARS = 256
