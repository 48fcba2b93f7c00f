"""The simulator behind ``base_url="simulator"``: one per process, its state kept in a file.

A trial must behave like the real API, which remembers every lookup: so the
bundled simulator keeps its lookups, ledger and balance in a state file
(``simulator.sqlite3`` in the user cache dir, or ``SALESFINITY_SIMULATOR_STATE``),
and a rerun in the same kernel, a new kernel or the CLI polls or reuses its
lookups instead of creating them again. Its balance (10,000,000 credits) is one
no trial exhausts.

Its knobs are reachable from a notebook::

    import sfy_pandas.simulator as sim
    sim.configure(rate_limit=10, resolve_seconds=5)   # or profile="realistic"
    df.salesfinity.enrich("linkedin_url", base_url="simulator")

or from the environment, for the CLI: ``SALESFINITY_SIMULATOR="rate_limit=10,
resolve_seconds=5"``. ``configure()`` with no knobs goes back to the defaults;
:func:`reset` forgets every lookup (a fresh balance).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from pathlib import Path
from typing import Any

from ._config import SimulatorConfig
from ._server import ServerHandle, start

__all__ = [
    "BUNDLED_BALANCE",
    "KNOBS_ENV",
    "STATE_ENV",
    "bundled",
    "bundled_config",
    "configure",
    "reset",
    "state_path",
]

#: Names a state file other than the one in the user cache dir (tests set it).
STATE_ENV = "SALESFINITY_SIMULATOR_STATE"
#: Knobs of the bundled simulator, ``name=value`` pairs separated by commas.
KNOBS_ENV = "SALESFINITY_SIMULATOR"
#: The bundled simulator's credits: far more than any trial spends.
BUNDLED_BALANCE = 10_000_000

_lock = threading.Lock()
_knobs: dict[str, Any] = {}
_handle: ServerHandle | None = None
_FIELDS = {f.name: f for f in dataclasses.fields(SimulatorConfig)}


def state_path() -> Path:
    """The bundled simulator's state file: ``SALESFINITY_SIMULATOR_STATE``, else the
    user cache dir's ``sfy-pandas/simulator.sqlite3``."""
    named = os.environ.get(STATE_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("sfy-pandas")) / "simulator.sqlite3"


def configure(*, profile: str | None = None, **knobs: Any) -> SimulatorConfig:
    """Set the bundled simulator's knobs (see :class:`SimulatorConfig`) for this process.

    Knobs not given keep their defaults; the lookups already made are kept (they
    live in the state file). A simulator already running is restarted with the new
    knobs on the next ``base_url="simulator"`` call. Returns the config it will use;
    a bad knob raises here, naming it.
    """
    global _knobs  # noqa: PLW0603 - one bundled simulator per process is the point
    new = dict(knobs)
    if profile is not None:
        new["profile"] = profile
    config = _config_from(new)
    with _lock:
        _knobs = new
        _stop_locked()
    return config


def bundled_config() -> SimulatorConfig:
    """The config the bundled simulator runs with: environment, then :func:`configure`."""
    with _lock:
        return _config_from(dict(_knobs))


def bundled() -> ServerHandle:
    """The process's bundled simulator, started on first use (and after :func:`configure`)."""
    global _handle  # noqa: PLW0603 - one bundled simulator per process is the point
    with _lock:
        if _handle is None or not _handle.running:
            _handle = start(_config_from(dict(_knobs)))
        return _handle


def reset() -> None:
    """Forget every lookup the bundled simulator made (a new state file, full balance)."""
    with _lock:
        _stop_locked()
        path = state_path()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _stop_locked() -> None:
    global _handle  # noqa: PLW0603 - one bundled simulator per process is the point
    if _handle is not None:
        _handle.stop()
        _handle.simulator.close()
        _handle = None


def _config_from(knobs: dict[str, Any]) -> SimulatorConfig:
    merged = {**_environment_knobs(), **knobs}
    profile = merged.pop("profile", "fast")
    merged.setdefault("balance", BUNDLED_BALANCE)
    merged.setdefault("state_file", str(state_path()))
    unknown = sorted(set(merged) - set(_FIELDS))
    if unknown:
        raise TypeError(f"unknown simulator knob {unknown[0]!r}; knobs: {', '.join(_FIELDS)}")
    return SimulatorConfig.from_profile(profile, **merged)


def _environment_knobs() -> dict[str, Any]:
    """``SALESFINITY_SIMULATOR="rate_limit=10,batch_enabled=false"`` as typed knobs."""
    raw = os.environ.get(KNOBS_ENV, "").strip()
    knobs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{KNOBS_ENV}: expected name=value pairs, got {item!r}")
        if name == "profile":
            knobs[name] = value.strip()
            continue
        if name not in _FIELDS:
            raise ValueError(f"{KNOBS_ENV}: unknown simulator knob {name!r}")
        knobs[name] = _typed(name, value.strip())
    return knobs


def _typed(name: str, value: str) -> Any:
    """The knob's value in its field's type (the config itself checks the range)."""
    default = _FIELDS[name].default
    if value.lower() == "none":
        return None
    if isinstance(default, bool):
        if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise ValueError(f"{KNOBS_ENV}: {name} must be true or false, not {value!r}")
        return value.lower() in ("true", "1", "yes")
    try:
        if isinstance(default, int) or name in ("seed", "burst", "callback_attempts"):
            return int(value)
        if isinstance(default, float) or name == "rate_limit":
            return float(value)
    except ValueError:
        raise ValueError(f"{KNOBS_ENV}: {name} must be a number, not {value!r}") from None
    return value
