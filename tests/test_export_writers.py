"""The safe writers: a frame to CSV or Excel with no live formula, and what was quoted."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sfy_pandas import sample_leads_path
from sfy_pandas.frame._export import QuotedCells, to_csv, to_excel


def _leads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["Ann", '=HYPERLINK("http://evil.example","x")', "Bob"],
            "linkedin_url": ["=cmd|' /C calc'!A0", "https://linkedin.com/in/b", "@SUM(A1)"],
            "amount": [-5, 3, 2],
        }
    )


def test_to_excel_writes_text_cells_only_and_says_what_it_quoted(tmp_path: Path) -> None:
    path = tmp_path / "leads.xlsx"

    report = to_excel(_leads(), path)

    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    kinds = {cell.data_type for row in sheet.iter_rows(min_row=2) for cell in row[:2]}
    assert kinds == {"s"}  # "f" would be a live formula
    assert sheet["B2"].value == "'=cmd|' /C calc'!A0"
    assert report.count == 3
    assert report.columns == ["name", "linkedin_url"]
    assert repr(report) == (
        "Wrote leads.xlsx: quoted 3 cells that a spreadsheet would run as a formula"
        " in name, linkedin_url: a leading ' keeps them text."
    )


def test_to_csv_quotes_formulas_and_leaves_numbers_and_the_frame_alone(tmp_path: Path) -> None:
    frame = _leads()
    before = frame.copy()
    path = tmp_path / "leads.csv"

    report = to_csv(frame, path)

    back = pd.read_csv(path)
    assert back["linkedin_url"].tolist()[0] == "'=cmd|' /C calc'!A0"
    assert back["amount"].tolist() == [-5, 3, 2]
    assert list(back.columns) == ["name", "linkedin_url", "amount"]  # no index column
    assert report.cells == {"name": 1, "linkedin_url": 2}
    pd.testing.assert_frame_equal(frame, before)


def test_a_clean_frame_is_written_as_it_is_and_the_report_says_so(tmp_path: Path) -> None:
    report = to_csv(pd.DataFrame({"a": ["x", "y"]}), tmp_path / "clean.csv")

    assert report.count == 0
    assert str(report) == "Wrote clean.csv: no cell would run as a formula, nothing quoted."


def test_quoted_column_names_are_counted_as_labels(tmp_path: Path) -> None:
    report = to_csv(pd.DataFrame({"=total": ["1"]}), tmp_path / "x.csv")

    assert report.labels == 1
    assert "column names or index labels" in str(report)


def test_the_sample_leads_export_carries_no_live_formula(tmp_path: Path) -> None:
    """The README's first example exports the sample leads: they hold formula cells."""
    path = tmp_path / "sample.xlsx"

    report = to_excel(pd.read_csv(sample_leads_path()), path)

    assert report.count > 0
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert "f" not in {cell.data_type for row in sheet.iter_rows() for cell in row}


def test_the_writers_take_a_frame_and_a_file_name(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="to_csv takes a DataFrame"):
        to_csv(pd.Series(["=1"]), tmp_path / "x.csv")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="to_excel: path must be a file name"):
        to_excel(pd.DataFrame({"a": [1]}), 3)  # type: ignore[arg-type]
    assert isinstance(to_csv(pd.DataFrame({"a": [1]}), tmp_path / "y.csv"), QuotedCells)
