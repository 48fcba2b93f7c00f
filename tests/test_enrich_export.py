"""``df.salesfinity.to_csv`` / ``to_excel``: exports that no spreadsheet runs as code."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd


def _leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["=cmd|' /C calc'!A0", "Ada", "@SUM(A1)"],
            "note": ['=HYPERLINK("http://x")', "-5", None],
            "amount": [1, -2, 3],
        }
    )


def test_to_csv_quotes_every_would_be_formula_and_says_how_many(tmp_path: Path):
    frame = _leads()
    out = tmp_path / "leads.csv"
    quoted = frame.salesfinity.to_csv(out, index=False)

    assert quoted.cells == {"name": 2, "note": 1}
    assert "quoted 3 cells" in repr(quoted)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back["name"].tolist() == ["'=cmd|' /C calc'!A0", "Ada", "'@SUM(A1)"]
    assert back["note"].tolist() == ['\'=HYPERLINK("http://x")', "-5", ""]
    assert frame["name"].iloc[0] == "=cmd|' /C calc'!A0"  # the frame itself is unchanged


def test_to_excel_writes_no_live_formula(tmp_path: Path):
    out = tmp_path / "leads.xlsx"
    quoted = _leads().salesfinity.to_excel(out, index=False)

    assert quoted.cells == {"name": 2, "note": 1}
    sheet = openpyxl.load_workbook(out).active
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds  # no cell holds a formula


def test_a_clean_frame_is_written_as_is_and_says_so(tmp_path: Path):
    frame = pd.DataFrame({"name": ["Ada", "Grace"], "amount": [-1, 2]})
    quoted = frame.salesfinity.to_csv(tmp_path / "clean.csv", index=False)
    assert quoted.count == 0
    assert "nothing quoted" in repr(quoted)
    assert pd.read_csv(tmp_path / "clean.csv").equals(frame)
