"""Files written for spreadsheets never carry a formula: CSV and Excel round trips."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from sfy_pandas.frame._export import neutralise_cell, safe_for_spreadsheet
from sfy_pandas.frame._files import ChunkWriter, read_chunks

HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_cell_that_would_start_a_formula_gets_a_leading_quote(cell: str) -> None:
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["jane@acme.com", "https://www.linkedin.com/in/jane", "", "'=already quoted", "a=b"]
)
def test_ordinary_text_is_left_alone(cell: str) -> None:
    assert neutralise_cell(cell) == cell


@pytest.mark.parametrize("cell", ["-5", "+3.25", "-1e3", "-.5", "+4915112345678"])
def test_text_that_is_a_plain_number_is_left_alone(cell: str) -> None:
    assert neutralise_cell(cell) == cell


def test_every_text_column_name_and_label_is_neutralised_and_the_input_is_untouched() -> None:
    index = pd.Index(["=row", "ok", "fine"])
    frame = pd.DataFrame(
        {
            "=name": ["=1+1", "ok", None],
            "object": pd.Series(["@x", 7, None], index=index, dtype=object),
            "string": pd.Series(["+x", pd.NA, "y"], index=index, dtype="string"),
            "category": pd.Categorical(["-x", "-x", "y"]),
            "number": [-1, -2, 3],
        },
        index=index,
    )
    before = frame.copy()

    safe = safe_for_spreadsheet(frame)

    assert list(safe.columns) == ["'=name", "object", "string", "category", "number"]
    assert list(safe.index) == ["'=row", "ok", "fine"]
    assert safe["'=name"].tolist()[:2] == ["'=1+1", "ok"]
    assert safe["object"].tolist()[:2] == ["'@x", 7]
    assert safe["string"].iloc[0] == "'+x"
    assert safe["category"].tolist() == ["'-x", "'-x", "y"]
    assert safe["number"].tolist() == [-1, -2, 3]
    assert [str(dtype) for dtype in safe.dtypes] == ["str", "object", "string", "category", "int64"]
    pd.testing.assert_frame_equal(frame, before)


def test_safe_for_spreadsheet_takes_only_a_frame() -> None:
    with pytest.raises(TypeError, match="DataFrame"):
        safe_for_spreadsheet(pd.Series(["=1"]))  # type: ignore[arg-type]


def _hostile_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "linkedin_url": HOSTILE,
            "salesfinity_email": ["=evil@x.com", "a@b.com", None, "@me", "x", "y"],
            "amount": ["-5", "10", "+2", "-2+3", "0", "1"],
        }
    )


def test_a_csv_written_in_chunks_reads_back_with_every_formula_quoted(tmp_path: Path) -> None:
    frame = _hostile_frame()
    path = tmp_path / "out.csv"
    with ChunkWriter(path) as writer:
        writer.write(frame.iloc[:3])
        writer.write(frame.iloc[3:])
        writer.commit()

    back = pd.concat(read_chunks(path, rows=2), ignore_index=True)
    assert back["linkedin_url"].tolist() == ["'" + cell for cell in HOSTILE]
    assert back["salesfinity_email"].iloc[0] == "'=evil@x.com"
    assert back["amount"].tolist() == ["-5", "10", "+2", "'-2+3", "0", "1"]
    cells = [cell for cell in back.to_numpy().ravel() if isinstance(cell, str)]
    assert not [cell for cell in cells if cell.startswith(("=", "@", "\t", "\r"))]


def test_an_excel_file_holds_text_cells_only_never_formulas(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with ChunkWriter(path) as writer:
        writer.write(_hostile_frame())
        writer.commit()

    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row if cell.value is not None]
    assert {cell.data_type for cell in cells} == {"s"}  # "f" would be a formula
    back = next(read_chunks(path))
    # XML turns a stored CR into LF; what matters is the quote in front.
    assert back["linkedin_url"].tolist() == ["'" + c.replace("\r", "\n") for c in HOSTILE]


def test_plain_to_excel_would_have_written_a_formula(tmp_path: Path) -> None:
    """Why the neutralisation is needed: openpyxl turns '=...' text into a formula."""
    path = tmp_path / "raw.xlsx"
    _hostile_frame().to_excel(path, index=False)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].data_type == "f"
