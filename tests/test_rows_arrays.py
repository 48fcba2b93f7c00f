"""Profiles kept as numbers in arrays give the same rows, jobs and answers as one object each."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sfy_pandas._models import Lookup, Status
from sfy_pandas.engine._engine import Job, Update
from sfy_pandas.frame import _answers
from sfy_pandas.frame._layout import layout_for
from sfy_pandas.frame._rows import RowMap, map_rows, prepare_columns
from sfy_pandas.frame._status import status_rows
from sfy_pandas.journal._journal import Journal
from sfy_pandas.run._tally import Tally

URL = "https://www.linkedin.com/in/{}"


def leads(count: int) -> pd.DataFrame:
    """``count`` profiles; every fourth row respells the profile two rows before it."""
    cells, ids = [], []
    for row in range(count):
        if row % 4 == 3:
            cells.append(f" http://LinkedIn.com/in/lead{row - 2}/ ")
        else:
            cells.append(f"linkedin.com/in/lead{row}")
        ids.append(f"L{row}")
    cells[5] = "not a url"
    return pd.DataFrame({"linkedin_url": cells, "lead_id": ids}, index=np.arange(count)[::-1])


def test_a_profile_spelled_twice_is_one_job_with_its_first_rows_external_id_and_both_rows():
    rows = map_rows(leads(12), "linkedin_url", ("work", "personal"), external_id="lead_id")
    jobs = list(rows.jobs)
    assert jobs[0] == Job((URL.format("lead0"), "work"), "L0")
    assert Job((URL.format("lead1"), "work"), "L1") in jobs
    assert Job((URL.format("lead1"), "personal"), "L1") in jobs
    # 12 rows: 1 invalid, 2 respell a profile (the third respells the invalid one)
    assert len(jobs) == 2 * 9
    assert list(rows.jobs[3:9]) == jobs[3:9]
    assert rows.jobs[-1] == jobs[-1]
    lead1 = rows.numbers([Update((URL.format("lead1"), "personal"), Status.PENDING)])
    positions, sizes = rows.positions(lead1)
    assert positions.tolist() == [1, 3]
    assert sizes.tolist() == [2]
    assert rows.invalid == [(5, Status.INVALID, rows.invalid[0][2])]
    assert rows.counts == {Status.PENDING: 2 * 11, Status.INVALID: 2}


def test_the_newest_answer_of_each_profile_is_written_even_across_many_chunks():
    frame = leads(2 * _answers.WRITE_PROFILES)
    rows = map_rows(frame, "linkedin_url", "work")
    prepare_columns_for(frame, rows)
    tally = Tally(rows)
    keys = [job.key for job in rows.jobs]
    tally.add([Update(key, Status.PENDING, f"{n:024x}") for n, key in enumerate(keys)])
    tally.add([Update(keys[0], Status.NOT_FOUND, "0" * 24)])
    tally.add(
        [
            Update(key, Status.COMPLETED, f"{n:024x}", f"{n}@x.com")
            for n, key in enumerate(keys[1:], 1)
        ]
    )
    assert tally.credits == len(keys) - 1
    _answers.write_updates(frame, rows, tally.take_unwritten())
    assert frame["salesfinity_status"].iloc[0] == "not-found"
    assert frame["salesfinity_email"].iloc[1] == "1@x.com"
    assert frame["salesfinity_email"].iloc[3] == "1@x.com"  # respelled: its profile's answer
    assert frame["salesfinity_status"].iloc[5] is pd.NA  # invalid: never answered here
    done = frame["salesfinity_status"].eq("completed").sum()
    assert done == len(frame) - 2  # all but the not-found row and the invalid one
    assert tally.counts()[Status.COMPLETED] == done


def prepare_columns_for(frame: pd.DataFrame, rows: RowMap) -> None:
    rows.columns = layout_for(frame, rows.kinds)
    prepare_columns(frame, rows)


def test_status_rows_group_running_rows_by_id_and_type():
    frame = pd.DataFrame(
        {
            "salesfinity_status": ["pending", "completed", "processing", "pending"],
            "salesfinity_id": ["a" * 24, "b" * 24, "c" * 24, "a" * 24],
        }
    )
    rows, resume = status_rows(frame)
    assert resume == {"a" * 24: ("a" * 24, ""), "c" * 24: ("c" * 24, "")}
    found = rows.numbers([Update(("a" * 24, ""), Status.PENDING)])
    assert rows.positions(found)[0].tolist() == [0, 3]
    assert rows.total == 3
    assert not rows.jobs


def test_the_journal_read_by_key_gives_what_each_entry_gives(tmp_path: Path):
    journal = Journal(tmp_path / "journal.sqlite3", base_url="http://127.0.0.1:1")
    keys = [(URL.format(f"p{n}"), kind) for n in range(700) for kind in ("work", "personal")]
    for n, key in enumerate(keys[::3]):
        journal.claim(key)
        journal.record_lookups([(key, Lookup(f"{n:024x}", Status.COMPLETED, key[0], "e@x.com"))])
    asked = [*keys, (URL.format("nobody"), "work")]
    found = journal.entries(asked)
    # More keys than one statement takes (500), both types, one never written.
    assert found == {key: entry for key in asked if (entry := journal.entry(key)) is not None}
    assert len(found) == len(keys[::3])
    journal.close()
