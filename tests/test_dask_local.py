"""ddf.salesfinity on Dask's own threaded and synchronous schedulers (no cluster)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import dask
import dask.dataframe as dd
import pandas as pd
import pytest

import sfy_pandas  # noqa: F401 - registers the accessors
from sfy_pandas._sample import messy_leads
from tests.conftest import assert_rows_match_ground_truth, enrich_kwargs

ROOT = Path(__file__).resolve().parent.parent


def test_the_threaded_and_synchronous_schedulers_give_the_same_rows(serve, tmp_path):
    server = serve(seed=42)
    leads = messy_leads(160, seed=42)
    journal = str(tmp_path / "journal.sqlite3")
    frames = []
    for scheduler in ("threads", "sync"):
        with dask.config.set(scheduler=scheduler):
            frame = dd.from_pandas(leads, npartitions=3)
            enriched = frame.salesfinity.enrich(
                "linkedin_url", results=tmp_path, **enrich_kwargs(server, journal)
            )
            frames.append(enriched.compute())
    assert_rows_match_ground_truth(frames[1], server)
    pd.testing.assert_frame_equal(frames[0], frames[1])
    # The second run reused the first run's answers from the journal.
    assert server.ledger.duplicates() == {}


def test_invalid_cells_get_the_same_row_status_and_message_as_in_pandas(serve, tmp_path):
    server = serve(seed=43)
    cells = [
        "https://www.linkedin.com/in/ada-lovelace",
        "not a profile",
        None,
        "https://www.linkedin.com/company/acme",
        "linkedin.com/in/Ada-Lovelace/",
        "",
        "https://example.com/in/someone",
    ]
    leads = pd.DataFrame({"linkedin_url": pd.Series(cells * 3, dtype=object)})
    with dask.config.set(scheduler="threads"):
        out = (
            dd.from_pandas(leads, npartitions=3)
            .salesfinity.enrich("linkedin_url", results=tmp_path, **enrich_kwargs(server))
            .compute()
        )
    in_pandas = leads.copy()
    in_pandas.salesfinity.enrich("linkedin_url", **enrich_kwargs(server))
    for name in ("salesfinity_status", "salesfinity_error"):
        assert out[name].astype(object).fillna("").tolist() == (
            in_pandas[name].astype(object).fillna("").tolist()
        )
    assert (out["salesfinity_status"] == "invalid").sum() == 15


@pytest.mark.parametrize(
    ("frame", "column", "error", "words"),
    [
        (pd.DataFrame({"url": ["x"]}), "linkedin_url", KeyError, "column='linkedin_url'"),
        (pd.DataFrame({"linkedin_url": [1, 2]}), "linkedin_url", TypeError, "not text"),
        (pd.DataFrame({"linkedin_url": [True]}), "linkedin_url", TypeError, "not text"),
    ],
)
def test_a_bad_column_is_refused_before_anything_is_sent(
    serve, tmp_path, frame, column, error, words
):
    server = serve()
    with pytest.raises(error, match=words):
        dd.from_pandas(frame, npartitions=1).salesfinity.enrich(
            column, results=tmp_path, **enrich_kwargs(server)
        )
    with pytest.raises(KeyError, match="external_id='crm'"):
        dd.from_pandas(pd.DataFrame({"linkedin_url": ["x"]}), npartitions=1).salesfinity.enrich(
            "linkedin_url", external_id="crm", results=tmp_path, **enrich_kwargs(server)
        )
    assert sum(server.ledger.requests.values()) == 0
    assert list(tmp_path.iterdir()) == []


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_import_sfy_pandas_imports_no_dask_and_registers_once_dask_is_imported():
    out = _python(
        """
        import sys
        import sfy_pandas
        print("dask" in sys.modules)
        import dask.dataframe as dd
        import pandas as pd
        frame = dd.from_pandas(pd.DataFrame({"u": ["x"]}), npartitions=1)
        print(type(frame.salesfinity).__name__)
        """
    )
    assert out.splitlines() == ["False", "DaskSalesfinityAccessor"]


def test_the_accessor_is_registered_when_dask_was_imported_first():
    out = _python(
        """
        import dask.dataframe as dd
        import pandas as pd
        import sfy_pandas
        frame = dd.from_pandas(pd.DataFrame({"u": ["x"]}), npartitions=1)
        print(type(frame.salesfinity).__name__)
        """
    )
    assert out == "DaskSalesfinityAccessor"


def test_import_sfy_pandas_works_where_dask_is_not_installed():
    out = _python(
        """
        import sys
        sys.modules["dask"] = None  # as if it were not installed: importing it fails
        import pandas as pd
        import sfy_pandas
        frame = pd.DataFrame({"linkedin_url": ["not a profile"]})
        frame.salesfinity.enrich("linkedin_url", base_url="simulator", progress=None)
        print(frame["salesfinity_status"].iloc[0])
        """
    )
    assert out == "invalid"


def test_several_types_at_once_are_refused_naming_type_before_anything_is_sent(serve, tmp_path):
    server = serve()
    frame = dd.from_pandas(messy_leads(10, seed=3), npartitions=1)
    with pytest.raises(ValueError, match="type: a Dask frame is enriched one type at a time"):
        frame.salesfinity.enrich(
            "linkedin_url", type=("work", "personal"), results=tmp_path, **enrich_kwargs(server)
        )
    assert server.ledger.lookups_created == 0
