"""A real HTTP server of the Salesfinity email-enrichment API, for demos and tests.

It follows the wire contract (API.md sections 1 to 5) and has every knob of its
section 6: timings, outcome mix, credits, rate limit, injected faults, the batch
query on or off, and callbacks. Outcomes derive from a seed, so a run repeats.

In process::

    sim = Simulator(seed=7)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim), base_url="http://sim")

Over HTTP on loopback::

    with serve_in_thread(seed=7, fault_rate=0.05) as server:
        ...  # talk to server.base_url with server.api_key
        assert not server.ledger.duplicates()

The one behind ``base_url="simulator"`` keeps its lookups in a state file and
takes its knobs from :func:`configure` (or ``SALESFINITY_SIMULATOR``)::

    import sfy_pandas.simulator as sim
    sim.configure(rate_limit=10, resolve_seconds=5)

From a shell: ``sfy-pandas simulate --port 8765`` (or ``python -m sfy_pandas.simulator``).
Importing this package needs no extra; building a simulator needs the
``simulator`` extra (``pip install "sfy-pandas[simulator]"``).
"""

from __future__ import annotations

from ._app import Simulator, create_app
from ._bundled import bundled, bundled_config, configure, reset, state_path
from ._config import SimulatorConfig
from ._faults import DroppedConnection
from ._ledger import Ledger
from ._outcomes import ExpectedOutcome, expected_outcome
from ._profile_url import canonical_profile
from ._server import ServerHandle, serve_in_thread, start

__all__ = [
    "DroppedConnection",
    "ExpectedOutcome",
    "Ledger",
    "ServerHandle",
    "Simulator",
    "SimulatorConfig",
    "bundled",
    "bundled_config",
    "canonical_profile",
    "configure",
    "create_app",
    "expected_outcome",
    "reset",
    "serve_in_thread",
    "start",
    "state_path",
]
