"""The bundled sample lead list is what messy_leads() makes, and it is messy enough to teach."""

from __future__ import annotations

import pandas as pd

from sfy_pandas._sample import messy_leads, sample_leads_path
from sfy_pandas.frame._rows import map_rows


def test_the_bundled_csv_is_the_generated_sample():
    bundled = pd.read_csv(sample_leads_path(), dtype=object, keep_default_na=False)
    made = messy_leads(600).astype(str)
    made["linkedin_url"] = messy_leads(600)["linkedin_url"].map(
        lambda cell: "" if cell is None else str(cell)
    )
    pd.testing.assert_frame_equal(bundled, made, check_dtype=False)


def test_the_sample_repeats_people_under_several_spellings_and_holds_junk():
    rows = map_rows(messy_leads(600), "linkedin_url", "work")
    assert len(rows.invalid) >= 30
    repeated = rows.group_sizes() > 1
    assert repeated.sum() >= 50
    assert len(rows.jobs) < 600 - len(rows.invalid)
