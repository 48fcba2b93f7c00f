"""Enrich a pandas DataFrame of leads with emails from the Salesfinity API.

``import sfy_pandas`` registers the ``df.salesfinity`` accessor.
"""

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
from ._version import __version__
from .client._client import AsyncSalesfinity, ClientStats
from .client._retry import RetryPolicy
from .frame._export import safe_for_spreadsheet

# Importing the accessor module registers df.salesfinity: that side effect is
# why `import sfy_pandas` is all a notebook needs.
from .pandas import _accessor as _accessor
from .run._handle import EnrichmentRun
from .run._options import RunOptions

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
    "RunOptions",
    "SalesfinityError",
    "ServerError",
    "Status",
    "__version__",
    "safe_for_spreadsheet",
    "sample_leads_path",
]

# Public names say where to find them: reprs and tracebacks read
# ``sfy_pandas.EnrichmentRun``, not the private module that defines it.
for _name in __all__:
    _value = globals()[_name]
    if hasattr(_value, "__module__") and not isinstance(_value, str):
        _value.__module__ = "sfy_pandas"
del _name, _value
