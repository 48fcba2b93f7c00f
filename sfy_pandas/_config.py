"""Where settings come from, written down once.

Order: keyword argument > environment variable > the named default here.
The API key has no default: it comes from the caller or ``SALESFINITY_API_KEY``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "JOURNAL_ENV",
    "NO_KEY_MESSAGE",
    "SIMULATOR",
    "require_api_key",
    "resolve_api_key",
    "resolve_base_url",
]

DEFAULT_BASE_URL = "https://client-api.salesfinity.co"
API_KEY_ENV = "SALESFINITY_API_KEY"
BASE_URL_ENV = "SALESFINITY_BASE_URL"
JOURNAL_ENV = "SALESFINITY_JOURNAL"
#: The ``base_url`` (and ``--base-url``) that means the bundled simulator.
SIMULATOR = "simulator"


#: Per-request time-outs, in seconds: connecting should be quick, a read may be slow.
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0


#: The one answer to a missing key, whichever face asked for it.
NO_KEY_MESSAGE = (
    f"No Salesfinity API key. Set the {API_KEY_ENV} environment variable (in a shell: "
    f"export {API_KEY_ENV}=...; in a notebook: os.environ['{API_KEY_ENV}'] = '...'), or "
    "pass api_key='...' in Python; the command line never takes it, where shell history "
    "would keep it. To try sfy_pandas without a key, use the bundled simulator, which "
    "makes up fake emails: base_url='simulator' (on the command line: --base-url simulator)."
)

#: What an API key may hold: visible ASCII, the characters an HTTP header carries as is.
_KEY_RE = re.compile(r"[\x21-\x7e]+")


def resolve_api_key(api_key: str | None) -> str | None:
    """The key from the argument, else from ``SALESFINITY_API_KEY``, else None.

    A key that could not travel in an HTTP header is refused here, before any
    work starts, with a message that does not show it.
    """
    if api_key is not None:
        if not isinstance(api_key, str):
            raise TypeError(f"api_key must be a string, not {type(api_key).__name__}")
        key = api_key.strip()
        if not key:
            raise ValueError("api_key is empty; pass your Salesfinity API key or leave it unset")
    else:
        key = os.environ.get(API_KEY_ENV, "").strip()
        if not key:
            return None
    if not _KEY_RE.fullmatch(key):
        raise ValueError(
            "api_key holds spaces or characters that cannot travel in an HTTP header; "
            f"check the api_key argument or {API_KEY_ENV}"
        )
    return key


def resolve_base_url(base_url: str | None) -> str:
    """The base URL from the argument, else ``SALESFINITY_BASE_URL``, else the real API.

    Refuses plain ``http://`` except to a loopback host: the key travels in a
    header and must not cross a network in clear text.
    """
    if base_url is not None and not isinstance(base_url, str):
        raise TypeError(f"base_url must be a string, not {type(base_url).__name__}")
    url = (base_url or os.environ.get(BASE_URL_ENV, "") or DEFAULT_BASE_URL).strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            f"base_url {url!r} is not a URL: give an http(s) URL with a host, "
            f"or {SIMULATOR!r} for the bundled simulator"
        )
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(
            f"base_url {url!r} uses plain http:// to a host that is not loopback; "
            "the API key would cross the network unencrypted. Use https://."
        )
    return url.rstrip("/")


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def require_api_key(api_key: str | None) -> str:
    """The key as :func:`resolve_api_key` finds it; ``ValueError`` when there is none."""
    key = resolve_api_key(api_key)
    if key is None:
        raise ValueError(NO_KEY_MESSAGE)
    return key
