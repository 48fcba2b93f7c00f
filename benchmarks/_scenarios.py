"""What ``run.py`` measures on the client's side, each in a fresh process of its own.

    python benchmarks/_scenarios.py enrich '{"base_url": ..., "rows": 2000}'

Each scenario prints one line of JSON (its figures) on standard output; anything
the library prints goes to standard error. A fresh process per measurement
means the CPU time, the peak memory and the threads counted are that run's alone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

from _heap import HeapWatch
from _leads import DUPLICATE_EVERY, lead_frame, profile_url, unique_profiles
from _measure import (
    CommCounter,
    cpu_wait,
    peak_rss_mb,
    rss_mb,
    stdout_to_stderr,
    thread_cpu,
)
from _profiling import Profilers
from bench_simulator import LOAD_CORE, _pin

API_KEY = "bench-key"


def own_process(params: dict[str, Any]) -> None:
    """Pin this process to the load core, unless the scenario runs inside a quick run's."""
    if not params.get("in_process"):
        _pin(LOAD_CORE)


def enrich(params: dict[str, Any]) -> dict[str, Any]:
    """``df.salesfinity.enrich("linkedin_url")`` over generated leads; CPU, wall, memory."""
    own_process(params)
    import pandas as pd

    import sfy_pandas  # noqa: F401  (registers df.salesfinity)

    counter = CommCounter() if params.get("progress") == "widget" else None
    if counter is not None:
        import ipywidgets  # noqa: F401  (imported before the baseline: not the run's memory)
    # Read from Parquet: Arrow-backed columns straight away, without the Python
    # strings that building them here would leave in the heap.
    if "leads" in params:
        frame = pd.read_parquet(params["leads"])
    else:
        frame = lead_frame(params["rows"], params.get("duplicate_every", DUPLICATE_EVERY))
    frame_mb = frame.memory_usage(deep=True).sum() / 1e6
    baseline_mb = rss_mb()
    profiler = Profilers() if params.get("profile") else None
    memory = HeapWatch() if params.get("tracemalloc") else None
    with stdout_to_stderr(not params.get("in_process")):
        if profiler is not None:
            profiler.start()
        if memory is not None:
            memory.start()
        cpu0, main0, wall0 = time.process_time(), time.thread_time(), time.monotonic()
        wait0 = cpu_wait()
        run = frame.salesfinity.enrich(
            "linkedin_url",
            external_id="lead_id",
            base_url=params["base_url"],
            api_key=params.get("api_key", API_KEY),
            journal=params["journal"],
            progress=params.get("progress"),
        )
        wall1, cpu1, main1 = time.monotonic(), time.process_time(), time.thread_time()
        loop_cpu = thread_cpu("sfy-pandas-loop")
        waited = cpu_wait() - wait0
        profile = profiler.stop() if profiler is not None else None
    result: dict[str, Any] = {
        "rows": len(frame),
        "wall": wall1 - wall0,
        "started": wall0,
        "cpu": cpu1 - cpu0,
        "main_thread_cpu": main1 - main0,
        "cpu_wait": waited,
        "loop_thread_cpu": loop_cpu,
        "frame_mb": frame_mb,
        "frame_after_mb": frame.memory_usage(deep=True).sum() / 1e6,
        "baseline_mb": baseline_mb,
        "peak_mb": peak_rss_mb(),
        "pandas": pd.__version__,
        **run_figures(run, frame),
    }
    if counter is not None:
        result["progress"] = counter.figures(wall0, wall1)
    if profile is not None:
        result["profile"] = profile
    if memory is not None:
        result["heap"] = memory.stop()
    return result


#: The run's counts a benchmark reads; a name the run does not have reads as 0.
STATS = ("created", "reused", "poll_rounds", "status_calls", "rate_limited", "errors")


def run_figures(run: Any, frame: Any) -> dict[str, Any]:
    """What the run says it did, and the statuses it left in the frame."""
    stats = run.stats
    assert stats is not None
    statuses = frame["salesfinity_status"].value_counts().to_dict()
    return {
        "profiles": stats.profiles,
        "statuses": {str(k): int(v) for k, v in statuses.items()},
        "stats": {
            **{name: getattr(stats, name, 0) for name in STATS},
            "requests": dict(getattr(stats, "requests", {})),
        },
    }


def analyst_loop(params: dict[str, Any]) -> dict[str, Any]:
    """What an analyst writes without the plugin: POST, then GET until final, row by row.

    ``requests`` and ``tqdm``'s ``progress_apply``, polling once a second, over
    the first ``rows`` leads of the same list (one row after another, so the time
    per row does not depend on how many rows are measured).
    """
    own_process(params)
    import requests
    from tqdm import tqdm  # type: ignore[import-untyped]

    frame = lead_frame(params["total_rows"]).head(params["rows"]).copy()
    base_url, poll = params["base_url"], params["poll_seconds"]
    headers = {"x-api-key": API_KEY}

    def lookup(url: str) -> str | None:
        created = requests.post(
            f"{base_url}/v1/api/enrichment/email",
            json={"linkedin_url": url, "type": "work"},
            headers=headers,
            timeout=30,
        )
        if created.status_code != 201:
            return None
        lookup_id = created.json()["_id"]
        while True:
            time.sleep(poll)
            body = requests.get(
                f"{base_url}/v1/api/enrichment/email/{lookup_id}", headers=headers, timeout=30
            ).json()
            if body["status"] not in ("pending", "processing"):
                return (body.get("email") or {}).get("email")

    with open(os.devnull, "w") as devnull:
        tqdm.pandas(file=devnull)
        started = time.monotonic()
        frame["email"] = frame["linkedin_url"].progress_apply(lookup)
        wall = time.monotonic() - started
    return {"rows": len(frame), "wall": wall, "found": int(frame["email"].notna().sum())}


def write_leads(params: dict[str, Any]) -> dict[str, Any]:
    """Write ``rows`` generated leads to a Parquet file, for a run to read."""
    frame = lead_frame(params["rows"], params.get("duplicate_every", DUPLICATE_EVERY))
    frame.to_parquet(params["leads"], index=False)
    return {"rows": params["rows"]}


def fill_journal(params: dict[str, Any]) -> dict[str, Any]:
    """Leave a journal as a finished run over ``rows`` leads would: every answer in."""
    from sfy_pandas._models import Lookup, Status
    from sfy_pandas.journal._journal import Journal

    started = time.monotonic()
    journal = Journal(params["journal"], base_url=params["base_url"])
    profiles = unique_profiles(params["rows"], params.get("duplicate_every", DUPLICATE_EVERY))
    keys = [(profile_url(n), "work") for n in range(profiles)]
    for key in keys:
        journal.claim(key)
    for start in range(0, len(keys), 50_000):
        journal.record_lookups(
            [
                (key, Lookup(f"{n:024x}", Status.COMPLETED, key[0], f"lead{n}@example.com", "work"))
                for n, key in enumerate(keys[start : start + 50_000], start)
            ]
        )
    journal.close()
    return {"profiles": len(keys), "seconds": time.monotonic() - started}


def prepare_rerun(params: dict[str, Any]) -> dict[str, Any]:
    """The leads for a rerun (``write_leads``) and the journal that answers them all."""
    write_leads(params)
    return fill_journal(params)


def rerun(params: dict[str, Any]) -> dict[str, Any]:
    """``enrich()`` over ``rows`` leads whose answers are all in the journal: no request."""
    return enrich({**params, "progress": None})


def bare_creates(params: dict[str, Any]) -> dict[str, Any]:
    """The same creates as a run, from a bare ``httpx.AsyncClient``: the floor of client CPU.

    One POST per distinct profile, ``concurrency`` in flight, each answer's JSON
    read; no journal, no frame, no status reads.
    """
    own_process(params)
    import asyncio

    import httpx

    profiles = unique_profiles(params["rows"], params.get("duplicate_every", DUPLICATE_EVERY))
    urls = iter([profile_url(n) for n in range(profiles)])
    url = params["base_url"] + "/v1/api/enrichment/email"

    async def worker(client: httpx.AsyncClient) -> int:
        sent = 0
        for linkedin_url in urls:
            answer = await client.post(url, json={"linkedin_url": linkedin_url, "type": "work"})
            answer.raise_for_status()
            answer.json()
            sent += 1
        return sent

    async def send_all() -> int:
        headers = {"x-api-key": API_KEY}
        async with httpx.AsyncClient(headers=headers, timeout=30) as client:
            workers = [worker(client) for _ in range(params.get("concurrency", 8))]
            return sum(await asyncio.gather(*workers))

    cpu0, wall0 = time.process_time(), time.monotonic()
    sent = asyncio.run(send_all())
    return {"rows": sent, "cpu": time.process_time() - cpu0, "wall": time.monotonic() - wall0}


SCENARIOS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "enrich": enrich,
    "analyst_loop": analyst_loop,
    "fill_journal": fill_journal,
    "write_leads": write_leads,
    "prepare_rerun": prepare_rerun,
    "rerun": rerun,
    "bare_creates": bare_creates,
}


def main() -> None:
    name, params = sys.argv[1], json.loads(sys.argv[2])
    result = SCENARIOS[name](params)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
