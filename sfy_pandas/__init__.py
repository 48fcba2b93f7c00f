"""Enrich a pandas DataFrame of leads with emails from the Salesfinity API.

``import sfy_pandas`` registers the ``df.salesfinity`` accessor.
"""

import importlib.metadata as _metadata

from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InsufficientCreditsError,
    InvalidResponseError,
    JournalError,
    NotFoundError,
    RateLimitError,
    SalesfinityError,
    ServerError,
)
from ._models import EmailType, Lookup, Status
from ._sample import sample_leads_path
from .client._client import AsyncSalesfinity, ClientStats
from .client._retry import RetryPolicy
from .dask import _hook as _hook  # registers ddf.salesfinity when dask.dataframe is imported
from .frame._export import safe_for_spreadsheet

# Importing the accessor module registers df.salesfinity: that side effect is
# why `import sfy_pandas` is all a notebook needs.
from .pandas import _accessor as _accessor
from .run._handle import EnrichmentRun

try:
    __version__ = _metadata.version("sfy-pandas")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncSalesfinity",
    "AuthenticationError",
    "BadRequestError",
    "ClientStats",
    "EmailType",
    "EnrichmentRun",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "JournalError",
    "Lookup",
    "NotFoundError",
    "RateLimitError",
    "RetryPolicy",
    "SalesfinityError",
    "ServerError",
    "Status",
    "__version__",
    "safe_for_spreadsheet",
    "sample_leads_path",
]
