"""Request bodies checked exactly as API.md sections 1 and 3 say; a refusal is a 400."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit

from .._contract import MAX_BATCH, MAX_EXTERNAL_ID_CHARS
from ._profile_url import profile_handle

__all__ = ["CreateRequest", "InvalidRequestError", "parse_batch", "parse_create"]

_TYPES = frozenset({"work", "personal"})


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
    email_type = body.get("type")
    if email_type is None:
        raise InvalidRequestError("type is required: 'work' or 'personal'")
    if email_type not in _TYPES:
        raise InvalidRequestError("type must be 'work' or 'personal'")
    external_id = body.get("external_id")
    if external_id is not None:
        if not isinstance(external_id, str):
            raise InvalidRequestError("external_id must be a string")
        if len(external_id) > MAX_EXTERNAL_ID_CHARS:
            raise InvalidRequestError(
                f"external_id must be at most {MAX_EXTERNAL_ID_CHARS} characters"
            )
    callback_url = body.get("callback_url")
    if callback_url is not None and (
        not isinstance(callback_url, str) or not _is_http_url(callback_url)
    ):
        raise InvalidRequestError("callback_url must be an http(s) URL")
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
            raise InvalidRequestError('each task must be an object with a string "id"')
        ids.append(task_id)
    return ids


def _json_object(raw: bytes) -> dict[str, object]:
    try:
        body = json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both
        raise InvalidRequestError("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidRequestError("the body must be a JSON object")
    return body


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)
