"""How close a run comes to the best possible, for the API's shapes: issue 12's rows.

Each row serves a simulator with its knobs (``_server.py``, tracing every lookup
answer), enriches distinct profiles in a fresh client process, and sets the
run's wall time beside the best possible for the very profiles sent
(``_bound.py``: creates as fast as the bucket allows, each lookup read once,
when final). Per row: wall, best possible, their ratio, reads per lookup, 429s,
and the delay from a lookup becoming final to the client reading it.

    python benchmarks/bench_lookups.py             # the five rows, side by side: ~6 min
    python benchmarks/bench_lookups.py --long      # 5,000 profiles, no batch: ~20 min
    python benchmarks/bench_lookups.py --rows tight,batch
    python benchmarks/bench_lookups.py --quick     # tiny versions, in seconds

Rows run at the same time, each against its own simulator (they wait on their
rate limits, not on the CPU); ``--one-by-one`` runs them in turn.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _bound import Reads, best_possible, reads
from _processes import in_process, load, machine, scenario, serve

#: The shape measured in issue 12: lognormal lookups around 10 s, a tail to the
#: 120 s cap (the 5% drawn to time out end there), 10 requests/s, a burst of 20.
LOGNORMAL = {
    "pending_seconds": 2.0,
    "resolve_seconds": 10.0,
    "resolve_spread": 0.9,
    "timeout_seconds": 120.0,
    "rate_limit": 10.0,
    "burst": 20,
}
#: Every lookup takes exactly 2 s and none times out: the limit alone sets the pace.
FIXED = {
    "pending_seconds": 0.5,
    "resolve_seconds": 2.0,
    "resolve_spread": 0.0,
    "timeout_seconds": 30.0,
    "completed_rate": 0.6,
    "not_found_rate": 0.35,
    "failed_rate": 0.05,
}
NO_BATCH = {"batch_enabled": False}


@dataclass(frozen=True)
class Row:
    key: str
    #: What the row is, with ``{}`` for its number of profiles.
    label: str
    profiles: int
    knobs: dict[str, Any]
    target: float
    #: Most status reads per lookup (no batch query: GETs), when the issue sets one.
    reads_target: float | None = None

    @property
    def name(self) -> str:
        return self.label.format(self.profiles)

    @property
    def batch(self) -> bool:
        return bool(self.knobs.get("batch_enabled", True))


ROWS = (
    Row(
        "nobatch-1000", "{:,} profiles, no batch query", 1_000, {**LOGNORMAL, **NO_BATCH}, 1.10, 1.3
    ),
    Row("nobatch-300", "{:,} profiles, no batch query", 300, {**LOGNORMAL, **NO_BATCH}, 1.10, 1.3),
    Row("batch", "{:,} profiles, batch query on", 300, LOGNORMAL, 1.05),
    Row(
        "realistic",
        "realistic limit 10/s, burst 20; {:,} profiles, fixed lookups, batch on",
        400,
        {**FIXED, "rate_limit": 10.0, "burst": 20},
        1.05,
    ),
    Row(
        "tight",
        "tight limit 50/s, burst 10; {:,} profiles, fixed lookups, batch on",
        1_000,
        {**FIXED, "rate_limit": 50.0, "burst": 10},
        1.10,
    ),
)
LONG = Row(
    "nobatch-5000", "{:,} profiles, no batch query", 5_000, {**LOGNORMAL, **NO_BATCH}, 1.10, 1.3
)


def quick(row: Row) -> Row:
    """The same row, tiny: a few dozen profiles, lookups well under a second."""
    knobs = {**row.knobs, "pending_seconds": 0.05, "resolve_seconds": 0.2, "timeout_seconds": 1.0}
    knobs["rate_limit"] = 4 * float(row.knobs["rate_limit"])
    return dataclasses.replace(row, profiles=max(12, row.profiles // 50), knobs=knobs)


@dataclass(frozen=True)
class Timeline:
    """Where a run's wall time went, in seconds on the machine's one monotonic clock."""

    #: From enrich() being called to the first request reaching the server.
    before_first_request: float
    #: From the first request to the last lookup becoming final.
    last_final: float
    #: From then to the client's first read that saw it final.
    last_read_lag: float
    #: From the last status read to enrich() returning.
    after_last_read: float


def timeline(run: dict[str, Any], ledger: dict[str, Any], lookups: list[list[Any]]) -> Timeline:
    first = float(ledger["started"] or run["started"])
    finals = [created + resolve for created, resolve, _seen, _reads in lookups]
    last = max(range(len(finals)), key=finals.__getitem__) if finals else None
    seen = [s for *_rest, s, _reads in lookups if s is not None]
    last_seen = lookups[last][2] if last is not None and lookups[last][2] is not None else first
    end = run["started"] + run["wall"]
    return Timeline(
        before_first_request=first - run["started"],
        last_final=(finals[last] - first) if last is not None else 0.0,
        last_read_lag=(last_seen - finals[last]) if last is not None else 0.0,
        after_last_read=end - max(seen, default=end),
    )


@dataclass
class Measured:
    row: Row
    wall: float
    bound: float
    statuses: dict[str, int]
    limited: int
    requests: dict[str, int]
    creates_per_profile: float
    #: The client's CPU time, and its time runnable but waiting for a CPU.
    cpu: float
    cpu_wait: float
    load: str
    reads: Reads
    timeline: Timeline

    @property
    def ratio(self) -> float:
        return self.wall / self.bound if self.bound else math.nan


def measure(row: Row, tmp: Path) -> Measured:
    """Serve ``row``'s simulator, enrich its profiles, set the run beside its bound."""
    knobs = {"seed": 1, "balance": 10**9, **row.knobs, "trace": True}
    with serve(**knobs) as server:
        run = scenario(
            "enrich",
            base_url=server.base_url,
            rows=row.profiles,
            duplicate_every=0,
            journal=str(tmp / f"{row.key}.sqlite3"),
            progress=None,
        )
        ledger = server.ledger()
    lookups = sorted(ledger["lookups"], key=lambda lookup: lookup[0])
    bound = best_possible(
        [resolve for _created, resolve, _seen, _reads in lookups],
        rate=float(row.knobs["rate_limit"]),
        burst=int(row.knobs.get("burst", 10)),
        batch=row.batch,
    )
    return Measured(
        row=row,
        wall=run["wall"],
        bound=bound,
        statuses=run["statuses"],
        limited=int(ledger["rate_limited"]),
        requests=ledger["requests"],
        creates_per_profile=ledger["lookups_created"] / max(ledger["profiles_created"], 1),
        cpu=run["cpu"],
        cpu_wait=run["cpu_wait"],
        load=load(),
        reads=reads(lookups),
        timeline=timeline(run, ledger, lookups),
    )


def run_rows(rows: Sequence[Row], parallel: bool) -> list[Measured]:
    """Each row measured; in the order given.

    With ``parallel``, the rows of long lookups run beside each other: they
    spend their time waiting on the limit and the lookups. Rows of fixed, short
    lookups keep the client busy, so they run first, one at a time.
    """
    busy = [row for row in rows if not row.knobs.get("resolve_spread")]
    waiting = [row for row in rows if row not in busy]
    with tempfile.TemporaryDirectory(prefix="sfy-bench-lookups-") as tmp_name:
        tmp = Path(tmp_name)
        with ThreadPoolExecutor(max_workers=max(len(waiting), 1) if parallel else 1) as pool:
            found = {row.key: measure(row, tmp) for row in busy}
            measured = pool.map(lambda row: measure(row, tmp), waiting)
            found.update({m.row.key: m for m in measured})
    return [found[row.key] for row in rows]


HEADER = (
    "| row | wall | best possible | ratio | target | met | reads per lookup | 429s "
    "| final to read, median / p90 | machine load, client CPU |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


def table_row(m: Measured) -> str:
    row, r = m.row, m.reads
    met = m.ratio <= row.target
    reads_cell = f"{r.reads_per_lookup:.2f}"
    if row.reads_target is not None:
        met = met and r.reads_per_lookup <= row.reads_target
        reads_cell += f" (at most {row.reads_target:g})"
    if row.batch:
        calls = m.requests.get("batch_query", 0)
        reads_cell += f"; {calls:,} batch calls"
    return (
        f"| {row.name} | {_seconds(m.wall)} | {_seconds(m.bound)} | **{m.ratio:.2f}** "
        f"| at most {row.target:.2f} | {'yes' if met else '**no**'} | {reads_cell} "
        f"| {m.limited:,} | {r.delay_median:.1f} s / {r.delay_p90:.1f} s "
        f"| {m.load}; client CPU {m.cpu:.1f} s, waited {m.cpu_wait:.1f} s for a CPU |"
    )


def _seconds(value: float) -> str:
    return f"{value:,.1f} s" if value >= 10 else f"{value:.2f} s"


def where_the_time_goes(m: Measured) -> str:
    """One line: what the reads beyond one per lookup cost, and the run's ends."""
    rate = float(m.row.knobs["rate_limit"])
    extra = m.requests.get("get", 0) - m.reads.lookups if not m.row.batch else 0
    t = m.timeline
    spent = (
        f"{extra:,} GETs beyond one per lookup = {extra / rate:,.0f} s of the bucket; "
        if extra > 0
        else ""
    )
    return (
        f"- {m.row.name}: {spent}{m.limited} 429s; {t.before_first_request:.1f} s before the "
        f"first request; the last lookup final {t.last_final:,.1f} s after it and read "
        f"{t.last_read_lag:.1f} s later; {t.after_last_read:.1f} s from the last read to the end"
    )


def report(measured: Sequence[Measured]) -> str:
    lines = [HEADER] + [table_row(m) for m in measured]
    creates = max(m.creates_per_profile for m in measured)
    unseen = sum(m.reads.never_seen for m in measured)
    lines += [
        "",
        f"Creates per distinct profile, counted by the simulator: at most {creates:.3f}; "
        f"lookups the client never saw final: {unseen}.",
        "",
        "Where the time goes:",
        "",
        *(where_the_time_goes(m) for m in measured),
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny rows, in seconds")
    parser.add_argument("--long", action="store_true", help="only the 5,000-profile row")
    parser.add_argument(
        "--rows", help="comma-separated row keys: " + ", ".join(r.key for r in ROWS)
    )
    parser.add_argument("--one-by-one", action="store_true", help="run the rows in turn")
    args = parser.parse_args(argv)
    rows: Sequence[Row] = (LONG,) if args.long else ROWS
    if args.rows:
        wanted = set(args.rows.split(","))
        rows = [row for row in (*ROWS, LONG) if row.key in wanted]
    if args.quick:
        in_process()
        rows = [quick(row) for row in rows]
    started = time.monotonic()
    print(f"Machine: {machine()}; at the start, {load()}.\n")
    print(report(run_rows(rows, parallel=not args.one_by_one)))
    print(f"\n(The benchmark took {time.monotonic() - started:.0f} s; at the end, {load()}.)")


if __name__ == "__main__":
    main()
