"""sfy-pandas enrich on a Parquet dataset: a folder or a glob in, a folder out, through Dask."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from sfy_pandas._sample import messy_leads
from sfy_pandas.cli import cli
from tests.conftest import assert_each_profile_created_once, assert_rows_match_ground_truth


def _dataset(folder, rows: int, files: int, seed: int) -> pd.DataFrame:
    leads = messy_leads(rows, seed=seed)
    # Parquet needs one type per column: junk cells that are numbers become text.
    leads["linkedin_url"] = leads["linkedin_url"].map(
        lambda v: v if v is None or isinstance(v, str) else str(v)
    )
    folder.mkdir()
    step = -(-rows // files)
    for i in range(files):
        leads.iloc[i * step : (i + 1) * step].to_parquet(folder / f"leads-{i}.parquet")
    return leads


@pytest.mark.parametrize("as_glob", [False, True])
def test_a_parquet_dataset_is_enriched_into_a_dataset(serve, tmp_path, monkeypatch, as_glob):
    server = serve(seed=51)
    monkeypatch.setenv("SALESFINITY_API_KEY", server.api_key)
    leads = _dataset(tmp_path / "leads", rows=240, files=3, seed=51)
    source = str(tmp_path / "leads" / "*.parquet") if as_glob else str(tmp_path / "leads")
    out = tmp_path / "out"

    result = CliRunner().invoke(
        cli,
        ["enrich", source, "-c", "linkedin_url", "--out", str(out), "--base-url",
         server.base_url, "--journal", str(tmp_path / "journal.sqlite3"), "--quiet",
         "--poll-interval", "0.2"],
    )  # fmt: skip

    assert result.exit_code in (0, 1), result.output
    written = pd.read_parquet(out).sort_values("lead_id", ignore_index=True)
    assert len(written) == len(leads)
    assert (written["lead_id"].to_numpy() == leads["lead_id"].to_numpy()).all()
    assert_rows_match_ground_truth(written, server)
    assert_each_profile_created_once(written, server)
    assert f"Wrote {len(leads):,} rows to {out}" in result.output


def test_a_folder_without_parquet_files_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["enrich", str(tmp_path / "empty"), "-c", "linkedin_url"])
    assert result.exit_code == 2
    assert "no Parquet files there" in result.output
