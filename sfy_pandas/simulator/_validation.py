"""Request bodies checked exactly as API.md sections 1 and 3 say; a refusal is a 400.

The rules for ``type``, ``external_id`` and ``callback_url`` are the package's
own (:mod:`sfy_pandas._rules`), the same the client checks its arguments with;
only the reading of ``linkedin_url`` is the simulator's (see ``_profile_url``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .._contract import MAX_BATCH
from .._rules import callback_url_problem, external_id_problem, type_problem
from ._profile_url import profile_handle

__all__ = ["CreateRequest", "InvalidRequestError", "parse_batch", "parse_create"]


class InvalidRequestError(ValueError):
    """The body breaks the contract; the message goes back in the 400."""


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A valid create body, with the profile handle the simulator files it under."""

    linkedin_url: str
    handle: str
    type: str
    external_id: str | None
    callback_url: str | None


def parse_create(raw: bytes) -> CreateRequest:
    """Read and check a create body; raises :class:`InvalidRequestError`."""
    body = _json_object(raw)
    linkedin_url = body.get("linkedin_url")
    if not isinstance(linkedin_url, str):
        raise InvalidRequestError("linkedin_url is required and must be a string")
    try:
        handle = profile_handle(linkedin_url)
    except ValueError as exc:
        raise InvalidRequestError(str(exc)) from None
    email_type, external_id, callback_url = (
        body.get("type"),
        body.get("external_id"),
        body.get("callback_url"),
    )
    problem = (
        type_problem(email_type)
        or external_id_problem(external_id)
        or callback_url_problem(callback_url)
    )
    if problem is not None:
        raise InvalidRequestError(problem)
    # The checks above leave only these types; narrowed for the reader and mypy.
    assert isinstance(email_type, str)
    assert external_id is None or isinstance(external_id, str)
    assert callback_url is None or isinstance(callback_url, str)
    return CreateRequest(linkedin_url, handle, email_type, external_id, callback_url)


def parse_batch(raw: bytes) -> list[str]:
    """Read and check a batch query body; the ids in request order."""
    body = _json_object(raw)
    tasks = body.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise InvalidRequestError("tasks must be a non-empty array")
    if len(tasks) > MAX_BATCH:
        raise InvalidRequestError(f"at most {MAX_BATCH} tasks per batch, got {len(tasks)}")
    ids = []
    for task in tasks:
        task_id = task.get("id") if isinstance(task, dict) else None
        if not isinstance(task_id, str) or not task_id:
            raise InvalidRequestError('each task in tasks must be an object with a string "id"')
        ids.append(task_id)
    return ids


def _json_object(raw: bytes) -> dict[str, object]:
    try:
        body = json.loads(raw)
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; a body nested
    # thousands deep makes the decoder recurse too far.
    except (ValueError, RecursionError):
        raise InvalidRequestError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("the body must be a JSON object")
    return body
