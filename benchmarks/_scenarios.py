"""What ``run.py`` measures on the client's side, each in a fresh process of its own.

    python benchmarks/_scenarios.py enrich '{"base_url": ..., "rows": 2000}'

Each scenario prints one line of JSON (its figures) on standard output; anything
the library prints goes to standard error. A fresh process per measurement
means the CPU time, the peak memory and the threads counted are that run's alone.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench_simulator import LOAD_CORE, _pin

API_KEY = "bench-key"
#: One row in this many is a profile already met, spelled another way.
DUPLICATE_EVERY = 10
_SPELLINGS = (
    "linkedin.com/in/{}/",
    "http://www.linkedin.com/in/{}?trk=public_profile",
    " https://LinkedIn.com/in/{} ",
)


def profile_url(n: int) -> str:
    return f"https://www.linkedin.com/in/bench-lead-{n:07d}"


def lead_urls(rows: int, seed: int = 1) -> list[str]:
    """``rows`` LinkedIn cells: one in DUPLICATE_EVERY respells an earlier profile."""
    rng = random.Random(seed)
    urls: list[str] = []
    profiles = 0
    for row in range(rows):
        if row % DUPLICATE_EVERY == DUPLICATE_EVERY - 1:
            handle = f"bench-lead-{rng.randrange(profiles):07d}"
            urls.append(_SPELLINGS[row // DUPLICATE_EVERY % len(_SPELLINGS)].format(handle))
        else:
            urls.append(profile_url(profiles))
            profiles += 1
    return urls


def unique_profiles(rows: int) -> int:
    """How many distinct profiles ``lead_urls(rows)`` holds."""
    return rows - rows // DUPLICATE_EVERY


def lead_frame(rows: int) -> Any:
    import pandas as pd

    urls = lead_urls(rows)
    return pd.DataFrame(
        {"lead_id": [f"L{n:07d}" for n in range(rows)], "linkedin_url": urls},
    )


# --- measuring helpers --------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory of this process right now, in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb() -> float:
    """The most resident memory this process has held so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # kB on Linux


def thread_cpu(name: str) -> float:
    """CPU seconds used so far by this process's thread called ``name`` (0 if none)."""
    for thread in threading.enumerate():
        if thread.name == name and thread.native_id is not None:
            try:
                with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                return 0.0
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


class CommCounter:
    """Counts the messages the progress widget would send to the frontend.

    ipywidgets sends through ``comm.create_comm``, which a kernel replaces with
    its own; here it is replaced by a comm that only writes down when it sent.
    """

    def __init__(self) -> None:
        import comm

        self.times: list[float] = []
        counter = self

        class CountingComm(comm.DummyComm):  # type: ignore[misc,name-defined]
            def publish_msg(self, msg_type: str, data: Any = None, *args: Any, **kw: Any) -> None:
                if msg_type == "comm_msg":  # a redraw; not the widget's creation
                    counter.times.append(time.monotonic())

        comm.create_comm = CountingComm

    def figures(self, start: float, end: float) -> dict[str, float]:
        """Redraws sent between start and end: in all, per second, most in any second.

        ``busiest_running`` leaves out the last one: the final state, drawn when the
        run ends whatever the throttle says.
        """
        times = [t for t in self.times if start <= t <= end]
        return {
            "messages": len(times),
            "per_second": len(times) / max(end - start, 1e-9),
            "busiest_second": _busiest_second(times),
            "busiest_running": _busiest_second(times[:-1]),
        }


def _busiest_second(times: list[float]) -> int:
    busiest, left = 0, 0
    for right, now in enumerate(times):
        while now - times[left] >= 1.0:
            left += 1
        busiest = max(busiest, right - left + 1)
    return busiest


@contextlib.contextmanager
def stdout_to_stderr() -> Iterator[None]:
    """Keep standard output for the one JSON line: the library's prints go to stderr."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


# --- scenarios ------------------------------------------------------------------------


class PollingRounds(logging.Handler):
    """Collects the engine's note of each polling round: lookups running, calls sent."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.rounds: list[tuple[int, int]] = []
        log = logging.getLogger("sfy_pandas")
        log.setLevel(logging.DEBUG)
        log.addHandler(self)
        log.propagate = False

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg.startswith("polling round") and isinstance(record.args, tuple):
            _round, running, calls = record.args
            self.rounds.append((int(running), int(calls)))  # type: ignore[call-overload]


def enrich(params: dict[str, Any]) -> dict[str, Any]:
    """``df.salesfinity.enrich("linkedin_url")`` over generated leads; CPU, wall, memory."""
    _pin(LOAD_CORE)
    import pandas as pd

    import sfy_pandas  # noqa: F401  (registers df.salesfinity)

    counter = CommCounter() if params.get("progress") == "widget" else None
    if counter is not None:
        import ipywidgets  # noqa: F401  (imported before the baseline: not the run's memory)
    rounds = PollingRounds()
    # Read from Parquet: Arrow-backed columns straight away, without the Python
    # strings that building them here would leave in the heap.
    frame = pd.read_parquet(params["leads"]) if "leads" in params else lead_frame(params["rows"])
    frame_mb = frame.memory_usage(deep=True).sum() / 1e6
    baseline_mb = rss_mb()
    profiler = _Profilers() if params.get("profile") else None
    with stdout_to_stderr():
        if profiler is not None:
            profiler.start()
        cpu0, main0, wall0 = time.process_time(), time.thread_time(), time.monotonic()
        run = frame.salesfinity.enrich(
            "linkedin_url",
            external_id="lead_id",
            base_url=params["base_url"],
            api_key=API_KEY,
            journal=params["journal"],
            progress=params.get("progress"),
        )
        wall1, cpu1, main1 = time.monotonic(), time.process_time(), time.thread_time()
        loop_cpu = thread_cpu("sfy-pandas-loop")
        profile = profiler.stop() if profiler is not None else None
    stats = run.stats
    assert stats is not None
    statuses = frame["salesfinity_status"].value_counts().to_dict()
    result: dict[str, Any] = {
        "rows": len(frame),
        "profiles": stats.profiles,
        "wall": wall1 - wall0,
        "started": wall0,
        "cpu": cpu1 - cpu0,
        "main_thread_cpu": main1 - main0,
        "loop_thread_cpu": loop_cpu,
        "frame_mb": frame_mb,
        "frame_after_mb": frame.memory_usage(deep=True).sum() / 1e6,
        "baseline_mb": baseline_mb,
        "peak_mb": peak_rss_mb(),
        "statuses": {str(k): int(v) for k, v in statuses.items()},
        "stats": {
            "created": stats.created,
            "reused": stats.reused,
            "poll_rounds": stats.poll_rounds,
            "status_calls": stats.status_calls,
            "rate_limited": stats.rate_limited,
            "requests": stats.requests,
            "errors": stats.errors,
        },
        "pandas": pd.__version__,
        "rounds": rounds.rounds,
    }
    if counter is not None:
        result["progress"] = counter.figures(wall0, wall1)
    if profile is not None:
        result["profile"] = profile
    return result


def analyst_loop(params: dict[str, Any]) -> dict[str, Any]:
    """What an analyst writes without the plugin: POST, then GET until final, row by row.

    ``requests`` and ``tqdm``'s ``progress_apply``, polling once a second, over
    the first ``rows`` leads of the same list (one row after another, so the time
    per row does not depend on how many rows are measured).
    """
    _pin(LOAD_CORE)
    import requests
    from tqdm import tqdm

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
    lead_frame(params["rows"]).to_parquet(params["leads"], index=False)
    return {"rows": params["rows"]}


def fill_journal(params: dict[str, Any]) -> dict[str, Any]:
    """Leave a journal as a finished run over ``rows`` leads would: every answer in."""
    from sfy_pandas._models import Lookup, Status
    from sfy_pandas.journal._journal import Journal

    started = time.monotonic()
    journal = Journal(params["journal"], base_url=params["base_url"])
    keys = [(profile_url(n), "work") for n in range(unique_profiles(params["rows"]))]
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


def rerun(params: dict[str, Any]) -> dict[str, Any]:
    """``enrich()`` over ``rows`` leads whose answers are all in the journal: no request."""
    return enrich({**params, "progress": None})


class _Profilers:
    """pyinstrument on the run's two threads: the caller's and the engine's loop."""

    def __init__(self) -> None:
        from pyinstrument import Profiler

        self.main = Profiler(interval=0.0005, async_mode="disabled")
        self.loop = Profiler(interval=0.0005, async_mode="disabled")

    def start(self) -> None:
        from sfy_pandas.run import _runner

        self._on_loop(_runner, self.loop.start)
        self.main.start()

    def stop(self) -> dict[str, Any]:
        from sfy_pandas.run import _runner

        main = self.main.stop()
        self._on_loop(_runner, self.loop.stop)
        loop = self.loop.last_session
        assert loop is not None
        return {"main": split(main.frame_records), "loop": split(loop.frame_records)}

    @staticmethod
    def _on_loop(runner: Any, call: Callable[[], object]) -> None:
        done = threading.Event()

        def go() -> None:
            call()
            done.set()

        runner.loop_thread().call_soon_threadsafe(go)
        done.wait(10)


#: Where a sample's time goes: the first category with a needle in one of the
#: sample's frames ("function\0file\0line") takes it.
CATEGORIES = (
    ("journal (SQLite)", ("sfy_pandas/_journal.py",)),
    ("reading the column (map_rows, URL parser)", ("map_rows\x00", "sfy_pandas/_linkedin.py")),
    ("frame writes (pandas)", ("sfy_pandas/_frame.py", "/pandas/", "/numpy/")),
    ("progress", ("sfy_pandas/_progress",)),
    ("HTTP (httpx, httpcore, h11)", ("/httpx/", "/httpcore/", "/h11/", "/anyio/")),
    ("sfy_pandas: engine, client, pacing, parsing", ("sfy_pandas/",)),
)
OTHER = "asyncio event loop, other"
IDLE = "idle"
#: Built-in calls that wait: the loop's poll for sockets, the caller's wait for the run.
_WAITING = {"epoll.poll", "poll.poll", "select.select", "lock.acquire", "SimpleQueue.get", "sleep"}


def split(records: list[tuple[list[str], float]]) -> dict[str, float]:
    """Seconds of samples per category; waiting (select, a queue) is ``idle``."""
    seconds: dict[str, float] = {}
    for stack, duration in records:
        name = _category(stack)
        seconds[name] = seconds.get(name, 0.0) + duration
    return seconds


def _category(stack: list[str]) -> str:
    files = [frame.split("\x00")[1] if "\x00" in frame else frame for frame in stack]
    if stack and stack[-1].split("\x00")[0] in _WAITING and files[-1] == "<built-in>":
        return IDLE
    for name, needles in CATEGORIES:
        if any(needle in frame for frame in stack for needle in needles):
            return name
    return OTHER


SCENARIOS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "enrich": enrich,
    "analyst_loop": analyst_loop,
    "fill_journal": fill_journal,
    "write_leads": write_leads,
    "rerun": rerun,
}


def main() -> None:
    name, params = sys.argv[1], json.loads(sys.argv[2])
    result = SCENARIOS[name](params)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
