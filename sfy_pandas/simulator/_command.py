"""``sfy-pandas simulate``: serve the simulated API until interrupted.

A thin click layer over :mod:`sfy_pandas.simulator`. starlette and uvicorn are
imported only when the command runs, so a missing ``simulator`` extra gives an
install hint instead of a traceback.
"""

from __future__ import annotations

from typing import Any

import click

from ._config import PROFILES, SimulatorConfig
from ._extras import INSTALL_HINT, require

__all__ = ["simulate"]

_FAST = SimulatorConfig()
_REALISTIC = SimulatorConfig.from_profile("realistic")


def _defaults(name: str, unit: str = "") -> str:
    """The help's note of a knob's default in each profile, read from the profiles."""
    fast, realistic = getattr(_FAST, name), getattr(_REALISTIC, name)
    if fast == realistic:
        return f"[default: {fast}{unit}]"
    return f"[fast: {fast}{unit}, realistic: {realistic}{unit}]"


_RATE = click.FloatRange(0.0, 1.0)
_SECONDS = click.FloatRange(min=0.0)


@click.command(
    "simulate",
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8765,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    default="fast",
    show_default=True,
    help="Starting values for every knob below: 'fast' resolves lookups in about a second; "
    "'realistic' has a median near 45 s, a tail of minutes, a rate limit and rare faults.",
)
@click.option("--seed", type=int, help="Seed of outcomes, emails and faults. [default: 0]")
@click.option(
    "--api-key",
    metavar="KEY",
    help="Accept only this x-api-key. [default: any non-empty key]",
)
@click.option(
    "--pending-seconds",
    type=_SECONDS,
    metavar="S",
    help=f"Typical time a lookup stays pending. {_defaults('pending_seconds', ' s')}",
)
@click.option(
    "--resolve-seconds",
    type=_SECONDS,
    metavar="S",
    help="Median time from creation until a lookup resolves. " + _defaults("resolve_seconds", " s"),
)
@click.option(
    "--resolve-spread",
    type=_SECONDS,
    metavar="X",
    help="Spread of resolve times: each is the median times exp(X*z), z normal; "
    f"0 gives every lookup the median. {_defaults('resolve_spread')}",
)
@click.option(
    "--timeout-seconds",
    type=click.FloatRange(min=0.0, min_open=True),
    metavar="S",
    help=f"Cap: a lookup still running this long ends in 'timeout'. "
    f"{_defaults('timeout_seconds', ' s')}",
)
@click.option(
    "--completed-rate",
    type=_RATE,
    metavar="F",
    help=f"Share of lookups that complete with an email. {_defaults('completed_rate')}",
)
@click.option(
    "--not-found-rate",
    type=_RATE,
    metavar="F",
    help=f"Share that end 'not-found'. {_defaults('not_found_rate')}",
)
@click.option(
    "--failed-rate",
    type=_RATE,
    metavar="F",
    help="Share that end 'failed'; what the three rates leave runs into the cap "
    f"('timeout'). {_defaults('failed_rate')}",
)
@click.option(
    "--balance",
    type=int,
    metavar="N",
    help=f"Starting credits; creates answer 402 once none are left. {_defaults('balance')}",
)
@click.option(
    "--rate-limit",
    type=_SECONDS,
    metavar="R",
    help="Requests per second refilled into the token bucket; 0 turns the limit off. "
    "[fast: off, realistic: 10]",
)
@click.option(
    "--burst",
    type=click.IntRange(min=1),
    metavar="B",
    help=f"Token-bucket size: requests allowed at once. {_defaults('burst')}",
)
@click.option(
    "--retry-after",
    type=click.Choice(["seconds", "date", "none"]),
    help="Form of a 429's Retry-After: seconds, an HTTP date, or no header. [default: seconds]",
)
@click.option(
    "--fault-rate",
    type=_RATE,
    metavar="F",
    help=f"Share of requests answered 500, 502 or 503. {_defaults('fault_rate')}",
)
@click.option(
    "--drop-rate",
    type=_RATE,
    metavar="F",
    help=f"Share of requests whose connection breaks mid-answer. {_defaults('drop_rate')}",
)
@click.option(
    "--slow-rate",
    type=_RATE,
    metavar="F",
    help=f"Share of requests delayed by --slow-seconds. {_defaults('slow_rate')}",
)
@click.option(
    "--slow-seconds",
    type=_SECONDS,
    metavar="S",
    help=f"Delay of a slow request. {_defaults('slow_seconds', ' s')}",
)
@click.option(
    "--lost-response-rate",
    type=_RATE,
    metavar="F",
    help="Share of creates that make the lookup but lose the answer (502 or broken "
    f"connection). {_defaults('lost_response_rate')}",
)
@click.option(
    "--batch/--no-batch",
    "batch_enabled",
    default=None,
    help="Serve the batch status query; --no-batch answers 404 there, like the public API. "
    "[default: --batch]",
)
@click.option(
    "--callback-duplicate-rate",
    type=_RATE,
    metavar="F",
    help=f"Share of callbacks delivered twice. {_defaults('callback_duplicate_rate')}",
)
@click.option(
    "--callback-attempts",
    type=click.IntRange(min=1),
    metavar="N",
    help=f"Attempts per callback before giving up. {_defaults('callback_attempts')}",
)
@click.option(
    "--callback-backoff-seconds",
    type=_SECONDS,
    metavar="S",
    help="Wait before a callback's second attempt, doubled after. "
    + _defaults("callback_backoff_seconds", " s"),
)
@click.option("--access-log", is_flag=True, help="Print one line per request served.")
def simulate(
    host: str, port: int, profile: str, access_log: bool, **knobs: Any
) -> None:  # fmt: skip
    """Serve a simulated Salesfinity email-enrichment API until interrupted.

    It speaks the real API's wire contract, so sfy_pandas (or curl) can run
    against it with no network and no credits. Outcomes are fixed by the seed.
    It prints the base URL and API key to use, then serves until Ctrl+C.

    \b
    Example:
      sfy-pandas simulate --port 8765 --seed 7 --fault-rate 0.05 --no-batch
      sfy-pandas simulate --profile realistic --rate-limit 5 --retry-after date
    """
    try:
        require("starlette", "uvicorn")
    except ImportError:
        raise click.ClickException(
            f"the simulator needs its optional dependencies: {INSTALL_HINT}"
        ) from None
    from ._app import Simulator
    from ._server import ANY_KEY_HINT, base_url_of, bind_socket, make_server

    # Options left out keep the profile's value; only the ones given override it.
    rate_limit = knobs.pop("rate_limit")
    chosen = {name: value for name, value in knobs.items() if value is not None}
    if rate_limit is not None:
        chosen["rate_limit"] = rate_limit or None  # 0 turns the limit off
    try:
        config = SimulatorConfig.from_profile(profile, **chosen)
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    simulator = Simulator(config)
    try:
        sock = bind_socket(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None

    key_note = "" if config.api_key else "   # any non-empty key is accepted"
    click.echo(
        f"Salesfinity API simulator (profile {profile}, seed {config.seed}); Ctrl+C stops it."
    )
    click.echo(f"  export SALESFINITY_BASE_URL={base_url_of(sock)}")
    click.echo(f"  export SALESFINITY_API_KEY={config.api_key or ANY_KEY_HINT}{key_note}")
    server = make_server(simulator, access_log=access_log)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # uvicorn re-raises the Ctrl+C it handled; the shutdown was clean
    finally:
        sock.close()
    ledger = simulator.ledger
    click.echo(
        f"Stopped after {sum(ledger.requests.values())} requests: "
        f"{ledger.lookups_created} lookups created, {ledger.credits_charged} credits charged."
    )
