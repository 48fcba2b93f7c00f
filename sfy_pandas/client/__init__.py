"""The wire: the only code that speaks HTTP to the Salesfinity API.

``AsyncSalesfinity`` holds the configuration and the four calls; ``_sending``
sends, with retries (``_retry``), pacing (``_pacing``, and the pace learned per
API key in ``_pace``) and limits on answers (``_answer``); ``_wire`` builds
bodies and reads answers; ``_stats`` counts.
"""

from ._client import AsyncSalesfinity
from ._pace import Pace
from ._retry import RetryPolicy
from ._stats import ClientStats

__all__ = ["AsyncSalesfinity", "ClientStats", "Pace", "RetryPolicy"]
