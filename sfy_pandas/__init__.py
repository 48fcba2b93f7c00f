"""Enrich a pandas DataFrame of leads with emails from the Salesfinity API.

``import sfy_pandas`` registers the ``df.salesfinity`` accessor.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ._errors import (
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
from ._models import EmailType, Lookup, Status

try:
    __version__ = version("sfy-pandas")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "EmailType",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "Lookup",
    "NotFoundError",
    "RateLimitError",
    "SalesfinityError",
    "ServerError",
    "Status",
    "__version__",
]
