"""Errors raised when the Salesfinity API (or the way to it) fails.

The tree::

    SalesfinityError
    ├── APIStatusError              the API answered with an error status
    │   ├── BadRequestError         400: the request was refused as invalid
    │   ├── AuthenticationError     401: missing or wrong API key
    │   ├── InsufficientCreditsError 402: no enrichment credits left
    │   ├── NotFoundError           404: no lookup with that id
    │   ├── RateLimitError          429: still rate limited after retries
    │   └── ServerError             5xx: still failing after retries
    ├── APIConnectionError          the API could not be reached
    │   └── APITimeoutError         it did not answer in time
    ├── InvalidResponseError        it answered something that is not the contract
    └── JournalError                the journal file cannot be read or written

Misuse of the library (a bad argument) raises a plain ``ValueError``/``TypeError``.
No message ever contains the API key: messages are built from status codes,
paths and response bodies only, never from request headers.
"""

from __future__ import annotations

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "JournalError",
    "NotFoundError",
    "RateLimitError",
    "SalesfinityError",
    "ServerError",
]

#: How much of a response body an error keeps: enough to read the reason.
BODY_EXCERPT_CHARS = 300


class SalesfinityError(Exception):
    """Root of every error this library raises about the API."""


class APIStatusError(SalesfinityError):
    """The API answered with an error status code."""

    status_code: int
    body: str
    request_id: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body[:BODY_EXCERPT_CHARS]
        self.request_id = request_id


class BadRequestError(APIStatusError):
    """400: the API refused the request as invalid; sending it again will not help."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing or wrong."""


class InsufficientCreditsError(APIStatusError):
    """402: the account has no enrichment credits left."""


class NotFoundError(APIStatusError):
    """404: no lookup with that id."""


class RateLimitError(APIStatusError):
    """429: the API kept rate limiting after every retry."""


class ServerError(APIStatusError):
    """5xx: the API kept failing after every retry."""


class APIConnectionError(SalesfinityError):
    """The API could not be reached (DNS, refused or dropped connection, TLS)."""


class APITimeoutError(APIConnectionError):
    """The API did not answer in time."""


class InvalidResponseError(SalesfinityError):
    """The API answered, but not in the shape the contract describes."""


class JournalError(SalesfinityError):
    """The journal file cannot be read or written; the message names the file and what to do.

    A run that cannot record a create never sends it: paying for a lookup whose id
    could be lost is the one thing the journal exists to prevent.
    """
