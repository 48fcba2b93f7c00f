"""The key only travels encrypted: plain http is for loopback only, and TLS is verified.

The TLS tests serve HTTPS on loopback with a self-signed certificate made for
the test: the client must refuse it (and say why) before sending a single
request, and accept the same server once told to trust that certificate.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import sfy_pandas
from sfy_pandas._config import resolve_base_url
from sfy_pandas._sample import messy_leads

KEY = "sk-live-TlsOnlyKey-4f9a"
PACKAGE = Path(sfy_pandas.__file__).resolve().parent
NO_WAITS = sfy_pandas.RetryPolicy(wait_scale=0)


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com",
        "http://client-api.salesfinity.co",
        "HTTP://CLIENT-API.SALESFINITY.CO",
        "http://10.0.0.5:8080",
        "http://192.168.1.10",
        "http://[2001:db8::1]",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
        "http://localhost@evil.example.com",
        "http://evil.example.com#@127.0.0.1",
    ],
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused_everywhere(url, monkeypatch):
    with pytest.raises(ValueError, match="https://"):
        resolve_base_url(url)
    with pytest.raises(ValueError, match="https://"):
        sfy_pandas.AsyncSalesfinity(KEY, base_url=url)
    with pytest.raises(ValueError, match="https://"):
        messy_leads(3).salesfinity.enrich("linkedin_url", api_key=KEY, base_url=url, journal="off")
    monkeypatch.setenv("SALESFINITY_BASE_URL", url)
    with pytest.raises(ValueError, match="https://"):
        messy_leads(3).salesfinity.enrich("linkedin_url", api_key=KEY, journal="off")


@pytest.mark.parametrize(
    "url",
    [
        "https://client-api.salesfinity.co",
        "https://api.example.com:8443/",
        "http://127.0.0.1:8765",
        "http://127.5.6.7",
        "http://localhost:8765",
        "http://[::1]:8765",
    ],
)
def test_https_anywhere_and_plain_http_to_loopback_are_accepted(url):
    assert resolve_base_url(url) == url.rstrip("/")
    assert sfy_pandas.AsyncSalesfinity(KEY, base_url=url).base_url == url.rstrip("/")


def test_the_client_verifies_certificates_and_host_names_and_never_follows_redirects():
    client = sfy_pandas.AsyncSalesfinity(KEY, base_url="https://client-api.salesfinity.co")
    try:
        http = client._http
        context = http._transport._pool._ssl_context  # type: ignore[attr-defined]
        assert context.verify_mode is ssl.CERT_REQUIRED
        assert context.check_hostname is True
        # A redirect could carry the key header to another host, or to plain http.
        assert http.follow_redirects is False
    finally:
        asyncio.run(client.aclose())


def test_no_code_in_the_package_turns_verification_off():
    offending = []
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for needle in ("verify=False", "CERT_NONE", "check_hostname = False", "_create_unverified"):
            if needle in text:
                offending.append(f"{path.relative_to(PACKAGE)}: {needle}")
    assert not offending


# --- a real HTTPS server on loopback, with a certificate nobody trusts --------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers the credits call; remembers every request that got through TLS."""

    seen: list[dict[str, str]]

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers))
        body = json.dumps({"balance": 5}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # quiet
        return None


@pytest.fixture
def https_server(certificate: tuple[Path, Path]) -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, certificate))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


async def _balance(base_url: str, **options: object) -> int:
    async with sfy_pandas.AsyncSalesfinity(KEY, base_url=base_url, **options) as client:
        return await client.credits()


def test_a_self_signed_certificate_is_refused_with_a_message_that_says_so_and_no_key_is_sent(
    https_server,
):
    base_url, seen = https_server
    with pytest.raises(sfy_pandas.APIConnectionError) as caught:
        asyncio.run(_balance(base_url, retry=NO_WAITS))
    message = str(caught.value)
    assert "CERTIFICATE_VERIFY_FAILED" in message
    assert "self-signed certificate" in message
    assert KEY not in message
    assert seen == []  # the handshake failed before any request, so before the key


def test_the_same_server_is_reached_once_its_certificate_is_trusted(https_server, certificate):
    # The control: the refusal above is the certificate's doing, not a broken server.
    base_url, seen = https_server
    trusted = ssl.create_default_context(cafile=str(certificate[0]))

    async def balance() -> int:
        async with httpx.AsyncClient(verify=trusted) as http:
            return await _balance(base_url, http_client=http)

    assert asyncio.run(balance()) == 5
    assert [headers["x-api-key"] for headers in seen] == [KEY]


def test_environment_switches_that_turn_verification_off_elsewhere_do_not_here(
    https_server, monkeypatch
):
    base_url, seen = https_server
    monkeypatch.setenv("PYTHONHTTPSVERIFY", "0")  # Python's own legacy switch
    monkeypatch.setenv("CURL_CA_BUNDLE", "")  # requests reads an empty one as "verify nothing"
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "")
    with pytest.raises(sfy_pandas.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        asyncio.run(_balance(base_url, retry=NO_WAITS))
    assert seen == []


def test_a_certificate_failure_is_not_retried(https_server):
    async def attempts() -> int:
        async with sfy_pandas.AsyncSalesfinity(KEY, base_url=https_server[0], retry=NO_WAITS) as c:
            with pytest.raises(sfy_pandas.APIConnectionError):
                await c.credits()
            return c.stats.requests["credits"]

    assert asyncio.run(attempts()) == 1


def test_enrich_against_an_untrusted_server_fails_and_every_row_says_why(https_server, monkeypatch):
    base_url, seen = https_server
    monkeypatch.setenv("SALESFINITY_API_KEY", KEY)
    # An untrusted certificate is final: no retry, so no wait to take away.
    frame = messy_leads(20, seed=71)
    with pytest.raises(sfy_pandas.APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        frame.salesfinity.enrich("linkedin_url", base_url=base_url, journal="off", progress=None)
    valid = frame["salesfinity_status"] != "invalid"
    assert (frame.loc[valid, "salesfinity_status"] == "not-sent").all()
    assert frame.loc[valid, "salesfinity_error"].str.contains("CERTIFICATE_VERIFY_FAILED").all()
    assert seen == []
