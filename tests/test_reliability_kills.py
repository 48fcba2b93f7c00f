"""Whatever the kernel does: a run killed at any point resumes, and two runs share a journal.

Each run here is a real process enriching over HTTP against the simulator; the
test watches the simulator's ledger from outside and sends SIGKILL at the
chosen moment, then reruns the same ``enrich()`` on the same journal. The only
profiles a rerun may send again are the creates that were in flight at the kill
(at most the engine's create concurrency), and it must report each of them as
in doubt.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from sfy_pandas._linkedin import ProfileURL, parse_profile
from sfy_pandas._sample import messy_leads
from sfy_pandas.simulator import ServerHandle
from sfy_pandas.simulator._ledger import Ledger
from tests.conftest import assert_rows_match_ground_truth, enrich_kwargs

ROOT = Path(__file__).resolve().parent.parent
IN_FLIGHT_LIMIT = 8  # the engine's default create concurrency
ROWS = 300
SEED = 41
#: Every request takes 80 ms on the server, as over a real network: with the
#: engine's 8 creates in flight, creates go out over about two seconds, so a kill
#: can land between any two of them. (A rate limit would slow them too, but the
#: client's cool-downs after 429s make every rerun several times longer; the
#: rate-limited kill is tests/test_enrich_resume.py's.) Lookups take about a
#: second, so polling lasts long enough to be caught as well.
KNOBS = {
    "seed": SEED,
    "slow_rate": 1.0,
    "slow_seconds": 0.08,
    "pending_seconds": 0.2,
    "resolve_seconds": 1.0,
    "resolve_spread": 0.25,
    "timeout_seconds": 2.0,
}

CHILD = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    import sfy_pandas
    from sfy_pandas._sample import messy_leads

    base_url, api_key, journal, start, stop, out = sys.argv[1:7]
    frame = messy_leads(int(sys.argv[7]), seed=int(sys.argv[8])).iloc[int(start):int(stop)].copy()
    run = frame.salesfinity.enrich(
        "linkedin_url", base_url=base_url, api_key=api_key, journal=journal,
        progress=None, poll_interval=0.2,
    )
    frame.to_csv(out, index=False)
    s = run.stats
    print(json.dumps({"created": s.created, "reused": s.reused, "resumed": s.resumed,
                      "waited": s.waited_on_other_process, "in_doubt": s.in_doubt}))
    """
)


def _profiles(frame: pd.DataFrame) -> set[str]:
    parsed = (parse_profile(cell) for cell in frame["linkedin_url"])
    return {p.url for p in parsed if isinstance(p, ProfileURL)}


PROFILES = len(_profiles(messy_leads(ROWS, seed=SEED)))


def _enrich_in_a_process(
    server: ServerHandle, journal: str, out: Path, rows: tuple[int, int] = (0, ROWS)
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            CHILD,
            server.base_url,
            server.api_key,
            journal,
            str(rows[0]),
            str(rows[1]),
            str(out),
            str(ROWS),
            str(SEED),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _settled(ledger: Ledger) -> int:
    return sum(ledger.outcomes.values())


class Watch:
    """Kill points, each a predicate on the ledger (with a little memory)."""

    def __init__(self) -> None:
        self.polls_after_last_create: int | None = None
        self.polls_near_end: int | None = None

    def creates_early(self, ledger: Ledger) -> bool:
        return ledger.lookups_created >= 15

    def creates_mid(self, ledger: Ledger) -> bool:
        return ledger.lookups_created >= PROFILES // 2

    def right_after_the_last_create(self, ledger: Ledger) -> bool:
        return ledger.lookups_created >= PROFILES

    def while_polling(self, ledger: Ledger) -> bool:
        # Every create answered, two status queries since: the ids are all journaled
        # and the run is only polling.
        if ledger.lookups_created < PROFILES:
            return False
        polls = ledger.requests.get("batch_query", 0)
        if self.polls_after_last_create is None:
            self.polls_after_last_create = polls
        return polls >= self.polls_after_last_create + 2

    def near_the_end(self, ledger: Ledger) -> bool:
        # Nine in ten lookups are final on the server, and a status query has
        # gone out since: its answers are being written to the journal.
        if ledger.lookups_created < PROFILES or _settled(ledger) < 0.9 * PROFILES:
            return False
        polls = ledger.requests.get("batch_query", 0)
        if self.polls_near_end is None:
            self.polls_near_end = polls
        return polls > self.polls_near_end


def _kill_when(
    child: subprocess.Popen[str], server: ServerHandle, point: Callable[[Ledger], bool]
) -> Ledger:
    deadline = time.monotonic() + 60
    while not point(server.ledger):
        if child.poll() is not None:
            pytest.fail(f"the run ended before the kill point: {child.communicate()[1][-2000:]}")
        if time.monotonic() > deadline:
            child.kill()
            pytest.fail("timed out waiting for the kill point")
        time.sleep(0.005)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL, "the run had already finished: no kill happened"
    return server.ledger


@pytest.mark.parametrize(
    ("point", "creates_answered"),
    [
        pytest.param("creates_early", False, id="early-in-creates"),
        pytest.param("creates_mid", False, id="mid-creates"),
        pytest.param("right_after_the_last_create", False, id="right-after-the-last-create"),
        pytest.param("while_polling", True, id="while-polling"),
        pytest.param("near_the_end", True, id="near-the-end-while-journaling-results"),
    ],
)
def test_a_run_killed_at_any_point_is_finished_by_a_rerun_that_pays_only_for_creates_in_doubt(
    serve, journal_path, tmp_path, point, creates_answered
):
    server = serve(**KNOBS)
    child = _enrich_in_a_process(server, journal_path, tmp_path / "killed.csv")
    at_kill = _kill_when(child, server, getattr(Watch(), point))

    frame = messy_leads(ROWS, seed=SEED)
    run = frame.salesfinity.enrich("linkedin_url", **enrich_kwargs(server, journal_path))

    assert_rows_match_ground_truth(frame, server)
    ledger = server.ledger
    duplicates = ledger.duplicates()
    extra_creates = ledger.lookups_created - PROFILES
    assert all(count == 2 for count in duplicates.values()), duplicates
    assert extra_creates == len(duplicates)
    # Each extra lookup was a create in flight at the kill, and the rerun said so.
    assert extra_creates <= run.stats.in_doubt <= IN_FLIGHT_LIMIT
    assert run.stats.created == PROFILES - at_kill.lookups_created + extra_creates
    assert ledger.credits_charged == ledger.outcomes.get("completed", 0)
    if creates_answered:
        # Every id was journaled before the kill: the rerun polls and reuses, never creates.
        assert run.stats.in_doubt == 0
        assert run.stats.created == 0
        assert ledger.lookups_created == at_kill.lookups_created
        assert run.stats.resumed + run.stats.reused == PROFILES
    if point == "near_the_end":
        assert run.stats.reused > 0, "no result had been journaled before the kill"


def test_two_processes_enriching_overlapping_frames_on_one_journal_never_create_a_profile_twice(
    serve, journal_path, tmp_path
):
    server = serve(**KNOBS)
    # Rows 0-199 and 100-299: a hundred rows, and their profiles, in common.
    first = _enrich_in_a_process(server, journal_path, tmp_path / "a.csv", rows=(0, 200))
    second = _enrich_in_a_process(server, journal_path, tmp_path / "b.csv", rows=(100, 300))
    outputs = [first.communicate(timeout=120), second.communicate(timeout=120)]
    for child, (_out, err) in zip((first, second), outputs, strict=True):
        assert child.returncode == 0, err[-2000:]

    assert server.ledger.duplicates() == {}
    assert server.ledger.lookups_created == PROFILES
    stats = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sum(s["created"] for s in stats) == PROFILES
    assert all(s["in_doubt"] == 0 for s in stats)
    # The profiles in common were created by one process and picked up by the other.
    assert sum(s["reused"] + s["resumed"] + s["waited"] for s in stats) > 0
    for name in ("a.csv", "b.csv"):
        assert_rows_match_ground_truth(pd.read_csv(tmp_path / name), server)
