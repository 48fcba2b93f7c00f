"""The API's paths (API.md sections 1 to 4), shared by the gate and the routes."""

from __future__ import annotations

__all__ = ["BATCH_PATH", "CREATE_PATH", "CREDITS_PATH", "LOOKUP_PREFIX"]

CREATE_PATH = "/v1/api/enrichment/email"
LOOKUP_PREFIX = CREATE_PATH + "/"
BATCH_PATH = "/v1/api/enrichment/email/batch/query"
CREDITS_PATH = "/v1/api/enrichment/credits"
