"""The retry rules, without any network: what is retried, and for how long."""

from __future__ import annotations

import httpx
import pytest

from sfy_pandas.client._retry import (
    RetryPolicy,
    classify_status,
    classify_transport_error,
    parse_retry_after,
)

# Wed, 21 Oct 2015 07:28:00 GMT as a Unix time.
OCT_21_2015 = 1445412480.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # already past: go now
        ("Wednesday, 21-Oct-15 07:29:00 GMT", 60.0),  # the obsolete RFC 850 form
    ],
)
def test_retry_after_is_read_as_seconds_or_as_an_http_date(header: str, seconds: float) -> None:
    assert parse_retry_after(header, now=OCT_21_2015) == seconds


@pytest.mark.parametrize("header", [None, "", "soon", "-5", "nan", "inf", "Wed, 99 Foo"])
def test_a_missing_or_unreadable_retry_after_is_none(header: str | None) -> None:
    assert parse_retry_after(header, now=OCT_21_2015) is None


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(wait_initial=1.0, wait_max=8.0)
    for attempt, base in [(1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (60, 8.0)]:
        waits = [policy.backoff(attempt) for _ in range(200)]
        assert all(base / 2 <= w <= base for w in waits)
        assert len(set(waits)) > 1  # jittered, so clients do not retry in step


def test_the_servers_retry_after_wins_over_backoff_up_to_the_cap() -> None:
    policy = RetryPolicy(retry_after_max=60)
    assert policy.wait(1, 12.0) == 12.0
    assert policy.wait(1, 3600.0) == 60.0
    assert 0.25 <= policy.wait(1, None) <= 0.5


@pytest.mark.parametrize(
    "kwargs",
    [{"attempts": 0}, {"timeout": -1}, {"wait_scale": float("nan")}, {"wait_max": float("inf")}],
)
def test_a_nonsensical_policy_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("status", "retry", "ambiguous", "rate_limited"),
    [
        (200, False, False, False),
        (201, False, False, False),
        (400, False, False, False),
        (401, False, False, False),
        (402, False, False, False),
        (404, False, False, False),
        (405, False, False, False),
        (408, True, False, False),
        (429, True, False, True),
        (500, True, True, False),
        (502, True, True, False),
        (503, True, False, False),
        (504, True, True, False),
    ],
)
def test_each_status_gets_its_verdict(
    status: int, retry: bool, ambiguous: bool, rate_limited: bool
) -> None:
    verdict = classify_status(status)
    assert (verdict.retry, verdict.ambiguous, verdict.rate_limited) == (
        retry,
        ambiguous,
        rate_limited,
    )


REQUEST = httpx.Request("POST", "https://client-api.salesfinity.co/v1/api/enrichment/email")


@pytest.mark.parametrize(
    ("exc_type", "retry", "ambiguous"),
    [
        (httpx.ConnectError, True, False),
        (httpx.ConnectTimeout, True, False),
        (httpx.PoolTimeout, True, False),
        (httpx.WriteError, True, False),
        (httpx.WriteTimeout, True, False),
        (httpx.ReadError, True, True),
        (httpx.ReadTimeout, True, True),
        (httpx.RemoteProtocolError, True, True),
        (httpx.LocalProtocolError, False, False),
        (httpx.UnsupportedProtocol, False, False),
        (httpx.ProxyError, False, False),
    ],
)
def test_each_transport_failure_gets_its_verdict(
    exc_type: type[httpx.TransportError], retry: bool, ambiguous: bool
) -> None:
    verdict = classify_transport_error(exc_type("x", request=REQUEST))
    assert (verdict.retry, verdict.ambiguous) == (retry, ambiguous)
