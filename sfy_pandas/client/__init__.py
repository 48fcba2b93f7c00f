"""The wire: the only code that speaks HTTP to the Salesfinity API.

``AsyncSalesfinity`` sends; ``_wire`` builds bodies and reads answers; ``_retry``
decides what is worth sending again; ``_pacing`` keeps the client under the
API's rate limit.
"""

from ._client import AsyncSalesfinity, ClientStats
from ._retry import RetryPolicy

__all__ = ["AsyncSalesfinity", "ClientStats", "RetryPolicy"]
