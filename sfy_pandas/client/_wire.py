"""The client's requests and answers on the wire, as plain functions. No I/O.

Checking arguments, building request bodies, reading answers (tolerant of missing
optional and unknown extra fields; anything else off-contract is an
:class:`InvalidResponseError`) and turning a failed request into the exception an
analyst reads. ``AsyncSalesfinity`` in ``_client.py`` only sends.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import httpx

from .._contract import MAX_BATCH, MAX_EXTERNAL_ID_CHARS
from .._errors import (
    BODY_EXCERPT_CHARS,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    InvalidResponseError,
    NotFoundError,
    RateLimitError,
    SalesfinityError,
    ServerError,
)
from .._models import EmailType, Lookup
from ._answer import Answer, AnswerTimeoutError, AnswerTooLargeError

__all__ = [
    "BATCH_QUERY_PATH",
    "CREATE_PATH",
    "CREDITS_PATH",
    "GET_PATH",
    "api_message",
    "check_lookup_id",
    "check_lookup_ids",
    "create_payload",
    "parse_balance",
    "parse_lookup",
    "parse_lookups",
    "query_payload",
    "status_error",
    "transport_error",
]

CREATE_PATH = "/v1/api/enrichment/email"
GET_PATH = "/v1/api/enrichment/email/{id}"
BATCH_QUERY_PATH = "/v1/api/enrichment/email/batch/query"
CREDITS_PATH = "/v1/api/enrichment/credits"

# Ids go into a URL path: refuse anything that could change the path.
_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")


def _type_name(value: object) -> str:
    return type(value).__name__


# --- arguments and request bodies ---------------------------------------------


def create_payload(
    linkedin_url: str,
    type: EmailType | str = EmailType.WORK,
    external_id: str | None = None,
    callback_url: str | None = None,
) -> dict[str, str]:
    """The JSON body of a create, after checking each argument (API.md section 1)."""
    if not isinstance(linkedin_url, str) or not linkedin_url.strip():
        raise ValueError(f"linkedin_url must be a non-empty string, got {linkedin_url!r}")
    try:
        email_type = EmailType(type)
    except ValueError:
        raise ValueError(f"type must be 'work' or 'personal', got {type!r}") from None
    payload = {"linkedin_url": linkedin_url.strip(), "type": email_type.value}
    if external_id is not None:
        if not isinstance(external_id, str):
            raise TypeError(f"external_id must be a string, not {_type_name(external_id)}")
        if len(external_id) > MAX_EXTERNAL_ID_CHARS:
            raise ValueError(
                f"external_id is {len(external_id)} characters; the API takes at most "
                f"{MAX_EXTERNAL_ID_CHARS}"
            )
        payload["external_id"] = external_id
    if callback_url is not None:
        if not isinstance(callback_url, str) or not callback_url.startswith(
            ("http://", "https://")
        ):
            raise ValueError(f"callback_url must be an http(s) URL, got {callback_url!r}")
        payload["callback_url"] = callback_url
    return payload


def check_lookup_id(lookup_id: object, name: str = "id") -> str:
    """A lookup id safe to put in a URL path, or ValueError naming ``name``."""
    if not isinstance(lookup_id, str) or not _ID_RE.fullmatch(lookup_id):
        raise ValueError(
            f"{name} must be a lookup id (the '_id' a create returned), got {lookup_id!r}"
        )
    return lookup_id


def check_lookup_ids(ids: Iterable[str]) -> list[str]:
    """1 to MAX_BATCH distinct lookup ids, in the order given (repeats dropped)."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
        raise TypeError(f"ids must be a list of lookup ids, not {_type_name(ids)}")
    unique = list(dict.fromkeys(check_lookup_id(i, "every item of ids") for i in ids))
    if not 1 <= len(unique) <= MAX_BATCH:
        raise ValueError(
            f"ids must hold 1 to {MAX_BATCH} lookup ids per query, got {len(unique)}; "
            f"split larger sets into chunks of {MAX_BATCH}"
        )
    return unique


def query_payload(ids: Iterable[str]) -> dict[str, list[dict[str, str]]]:
    """The JSON body of a batch status query (API.md section 3)."""
    return {"tasks": [{"id": lookup_id} for lookup_id in ids]}


# --- reading answers -------------------------------------------------------------


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(response: Answer) -> str:
    return f"{response.request.method} {response.request.url.path}"


def _json(response: Answer) -> Any:
    try:
        return response.json()
    # JSONDecodeError and UnicodeDecodeError are ValueErrors; nesting thousands
    # deep exhausts the decoder's recursion.
    except (ValueError, RecursionError):
        raise InvalidResponseError(
            f"{_where(response)} answered {response.status_code} with a body that is "
            f"not JSON: {_excerpt(response.text)!r}"
        ) from None


def parse_lookup(response: Answer, expected_id: str | None = None) -> Lookup:
    """One lookup from a create or get answer; for a get, it must be the one asked for."""
    data = _json(response)
    try:
        lookup = Lookup.from_api(data)
    except InvalidResponseError as exc:
        raise InvalidResponseError(f"{_where(response)}: {exc}") from None
    if expected_id is not None and lookup.id != expected_id:
        raise InvalidResponseError(
            f"{_where(response)} answered about lookup {_excerpt(lookup.id, 40)!r}, not the "
            f"{expected_id!r} asked for; the answer was not used. If this repeats, report it "
            "to Salesfinity (or check base_url)."
        )
    return lookup


def parse_lookups(response: Answer, asked: Collection[str]) -> tuple[list[Lookup], int]:
    """The lookups of a batch-query answer, in the order of ``asked``.

    Returns them and how many were dropped: lookups for ids never asked about,
    and repeats of one id (the first is kept), are never assigned to anything.
    """
    data = _json(response)
    if not isinstance(data, list):
        raise InvalidResponseError(
            f"{_where(response)}: expected a JSON array of lookups, got {_type_name(data)}"
        )
    try:
        lookups = [Lookup.from_api(item) for item in data]
    except InvalidResponseError as exc:
        raise InvalidResponseError(f"{_where(response)}: {exc}") from None
    rank = {lookup_id: i for i, lookup_id in enumerate(asked)}
    kept: dict[str, Lookup] = {}
    for lookup in lookups:
        if lookup.id in rank and lookup.id not in kept:
            kept[lookup.id] = lookup
    ordered = sorted(kept.values(), key=lambda lookup: rank[lookup.id])
    return ordered, len(lookups) - len(ordered)


def parse_balance(response: Answer) -> int:
    """The credit balance from a credits answer."""
    data = _json(response)
    balance = data.get("balance") if isinstance(data, Mapping) else None
    if isinstance(balance, float) and balance.is_integer():
        balance = int(balance)
    if not isinstance(balance, int) or isinstance(balance, bool):
        raise InvalidResponseError(
            f"{_where(response)}: expected {{'balance': <integer>}}, got {_excerpt(str(data))!r}"
        )
    return balance


def api_message(body: str) -> str:
    """The API's own words from an error body (``message``, ``detail``, ``error``)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return _excerpt(body)
    if isinstance(data, Mapping):
        for key in ("message", "detail", "error"):
            value = data.get(key)
            if isinstance(value, str) and value.strip():
                return _excerpt(value)
    return _excerpt(body)


# --- failures as exceptions ----------------------------------------------------------


def _after(attempts: int, elapsed: float) -> str:
    return f" after {attempts} attempts in {elapsed:.1f} s" if attempts > 1 else ""


def status_error(
    response: Answer,
    *,
    attempts: int = 1,
    elapsed: float = 0.0,
    redact: Callable[[str], str] = str,
) -> APIStatusError:
    """The exception for an error answer, in words an analyst can act on.

    Built from the status, the path and the body only (``redact`` scrubs the
    body), never from request headers.
    """
    code = response.status_code
    body = redact(response.text[:BODY_EXCERPT_CHARS])
    said = api_message(body)
    after = _after(attempts, elapsed)
    where = _where(response)
    info: dict[str, Any] = {
        "status_code": code,
        "body": body,
        "request_id": response.headers.get("x-request-id"),
    }
    if code == 400:
        return BadRequestError(f"The API refused the request (400 Bad Request): {said}", **info)
    if code == 401:
        return AuthenticationError(
            "The API key was refused (401 Unauthorized). "
            "Check SALESFINITY_API_KEY or the api_key argument.",
            **info,
        )
    if code == 402:
        return InsufficientCreditsError(
            "No enrichment credits left (402 Payment Required). Check the balance "
            "with `await client.credits()` and top up in your Salesfinity account.",
            **info,
        )
    if code == 404:
        return NotFoundError(
            f"Nothing found at {where} (404 Not Found): {said or 'no lookup with that id'}. "
            "Check the lookup id (and base_url / SALESFINITY_BASE_URL if every call fails).",
            **info,
        )
    if code == 429:
        return RateLimitError(
            f"Still rate limited (429 Too Many Requests){after}. "
            "Lower max_concurrency or set max_rate, or try again later.",
            **info,
        )
    if code >= 500:
        return ServerError(
            f"The API kept failing ({code} {response.reason_phrase}){after} on {where}: "
            f"{said}. Try again later.",
            **info,
        )
    return APIStatusError(
        f"{where} answered {code} {response.reason_phrase}{after}: {said}", **info
    )


def transport_error(
    exc: httpx.HTTPError,
    *,
    base_url: str,
    attempts: int = 1,
    elapsed: float = 0.0,
    redact: Callable[[str], str] = str,
) -> SalesfinityError:
    """The exception for a request that got no answer (never a raw httpx error)."""
    kind = _type_name(exc)
    detail = redact(str(exc)) or kind
    after = _after(attempts, elapsed)
    try:
        where = f"{exc.request.method} {exc.request.url.path}"
    except RuntimeError:  # an error raised before any request existed
        where = base_url
    if isinstance(exc, AnswerTooLargeError):
        return InvalidResponseError(
            f"{where} answered with more than {exc.limit:,} bytes, far more than any "
            "answer of the API; it was not read. If the API really sends such answers, "
            "raise max_answer_bytes."
        )
    if isinstance(exc, AnswerTimeoutError):
        return APITimeoutError(
            f"The Salesfinity API did not finish answering {where} within "
            f"{exc.seconds:g} s (answer_timeout){after}. Check your network; a slow "
            "API may need a larger answer_timeout."
        )
    if isinstance(exc, httpx.DecodingError):
        return InvalidResponseError(f"{where}: the body could not be decoded: {detail}")
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(
            f"The Salesfinity API did not answer {where} in time ({kind}){after}. "
            "Check your network; a slow API may need a larger timeout."
        )
    return APIConnectionError(
        f"Could not reach the Salesfinity API at {base_url} ({kind}: {detail}){after}. "
        "Check your network connection and base_url / SALESFINITY_BASE_URL."
    )
