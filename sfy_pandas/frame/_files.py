"""Lead files on disk: CSV, Parquet and Excel, read and written in chunks.

The format comes from the file's extension. CSV and Parquet are read a chunk
at a time (``read_csv(chunksize=...)``, pyarrow's ``iter_batches``), so a file
larger than memory goes through in bounded memory; Excel cannot be streamed
and is read whole. CSV cells are read as text, exactly as written: ``007``
keeps its zeros and an all-digit lookup id stays an id; only empty cells are
missing. Parquet keeps its own column types (pyarrow-backed), so what comes
out has the types that went in.

A :class:`ChunkWriter` writes into a hidden file beside the destination and
moves it into place when closed, so a reader never sees half a file. Before a
chunk goes into a CSV or Excel file it passes through
:func:`~sfy_pandas._export.safe_for_spreadsheet`.
"""

from __future__ import annotations

import contextlib
import enum
import importlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pandas as pd

from ._export import safe_for_spreadsheet

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "EXCEL_MAX_ROWS",
    "ChunkWriter",
    "FileFormat",
    "check_destination",
    "file_format",
    "read_chunks",
]

#: Rows per chunk by default: a few MB of leads, and one ``enrich()`` call each.
DEFAULT_CHUNK_ROWS = 10_000

#: Rows an Excel sheet holds, the header included.
EXCEL_MAX_ROWS = 1_048_576

_EXTRA_HINTS = {
    "pyarrow": 'Parquet files need pyarrow: pip install "sfy-pandas[parquet]"',
    "openpyxl": 'Excel files need openpyxl: pip install "sfy-pandas[excel]"',
}


class FileFormat(str, enum.Enum):
    """A lead file's format, chosen by its extension."""

    CSV = "csv"
    PARQUET = "parquet"
    EXCEL = "excel"


_EXTENSIONS = {
    ".csv": FileFormat.CSV,
    ".parquet": FileFormat.PARQUET,
    ".pq": FileFormat.PARQUET,
    ".xlsx": FileFormat.EXCEL,
}


def file_format(path: str | os.PathLike[str]) -> FileFormat:
    """The format of ``path`` by its extension; ``ValueError`` naming the known ones."""
    suffix = Path(path).suffix.lower()
    try:
        return _EXTENSIONS[suffix]
    except KeyError:
        known = ", ".join(_EXTENSIONS)
        raise ValueError(
            f"{os.fspath(path)}: unknown file type {suffix or '(no extension)'!r}; "
            f"use one of {known}"
        ) from None


def _require(module: str) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    try:
        # Untyped on purpose: pyarrow ships no type information.
        return importlib.import_module(module)
    except ImportError:
        raise ImportError(_EXTRA_HINTS[module.partition(".")[0]]) from None


# -- reading ---------------------------------------------------------------------


def read_chunks(
    path: str | os.PathLike[str], rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """The file's rows as frames of at most ``rows`` rows (Excel: one frame).

    Always yields at least one frame, empty when the file has a header and no
    rows. Reading errors become ``ValueError("cannot read <file>: ...")``;
    a missing optional dependency is an ``ImportError`` with the install command.
    """
    if rows < 1:
        raise ValueError(f"chunk rows must be at least 1, not {rows}")
    kind = file_format(path)
    name = os.fspath(path)
    if kind is FileFormat.PARQUET:
        _require("pyarrow")
    elif kind is FileFormat.EXCEL:
        _require("openpyxl")
    chunks = {
        FileFormat.CSV: _csv_chunks,
        FileFormat.PARQUET: _parquet_chunks,
        FileFormat.EXCEL: _excel_chunks,
    }[kind](name, rows)
    while True:
        try:
            chunk = next(chunks)
        except StopIteration:
            return
        except (OSError, ImportError):
            raise  # their messages name the file, or say what to install
        except pd.errors.EmptyDataError:
            raise ValueError(f"cannot read {name}: the file is empty, without a header") from None
        except Exception as exc:  # each reader has its own errors: zip, xml, parquet ...
            raise ValueError(f"cannot read {name}: {exc}") from exc
        yield chunk


def _csv_chunks(name: str, rows: int) -> Iterator[pd.DataFrame]:
    # Text as written: no type guessing (zip codes keep their zeros, ids stay
    # text) and only an empty cell is missing ("NA" may be somebody's initials).
    reader = pd.read_csv(
        name,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        chunksize=rows,
        encoding="utf-8-sig",  # Excel's "CSV UTF-8" starts with a byte-order mark
    )
    with reader:
        yield from reader


def _parquet_chunks(name: str, rows: int) -> Iterator[pd.DataFrame]:
    pq = _require("pyarrow.parquet")
    with pq.ParquetFile(name) as parquet:
        batches = 0
        for batch in parquet.iter_batches(batch_size=rows):
            batches += 1
            # pyarrow-backed columns: the types written back are the types read.
            yield batch.to_pandas(types_mapper=pd.ArrowDtype)
        if not batches:
            yield parquet.schema_arrow.empty_table().to_pandas(types_mapper=pd.ArrowDtype)


def _excel_chunks(name: str, rows: int) -> Iterator[pd.DataFrame]:
    # openpyxl needs the whole workbook in memory: an Excel file is one chunk.
    yield pd.read_excel(name, engine="openpyxl", keep_default_na=False, na_values=[""])


# -- writing ---------------------------------------------------------------------


def check_destination(path: str | os.PathLike[str]) -> FileFormat:
    """The format ``path`` would be written in, once it is sure it can be.

    ``ValueError`` for an unknown extension or a missing folder, ``ImportError``
    (with the install command) for a missing optional dependency. Touches nothing.
    """
    kind = file_format(path)
    folder = Path(path).parent
    if not folder.is_dir():
        raise ValueError(f"{os.fspath(path)}: there is no folder {str(folder)!r}")
    if kind is FileFormat.PARQUET:
        _require("pyarrow")
    elif kind is FileFormat.EXCEL:
        _require("openpyxl")
    return kind


class ChunkWriter:
    """Writes frames one after another into one file, in the format of its extension.

    Use it as a context manager. Nothing touches ``path`` until :meth:`commit`
    moves the finished file into place; a writer closed without a commit
    deletes what it wrote and leaves ``path`` as it was. CSV and Excel chunks
    are made safe for spreadsheets first (no cell can start a formula).
    Excel output is held in memory until the commit: the format cannot be
    appended to.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.format = check_destination(self.path)
        self.rows = 0
        # Hidden, beside the destination (so the final move is atomic), and with
        # the same extension (pandas' Excel writer checks it).
        self._partial = self.path.with_name(f".{self.path.stem}.partial{self.path.suffix}")
        self._csv: IO[str] | None = None
        self._parquet: Any = None  # a pyarrow ParquetWriter
        self._excel: pd.ExcelWriter | None = None
        self._started = False
        self._closed = False

    def __enter__(self) -> ChunkWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()

    @property
    def started(self) -> bool:
        """True once a first frame (even an empty one) was written."""
        return self._started

    def write(self, frame: pd.DataFrame) -> None:
        """Append ``frame``'s rows; the first frame's columns are the file's header."""
        if self._closed:
            raise RuntimeError("this writer is closed")
        if self.format is FileFormat.CSV:
            self._write_csv(safe_for_spreadsheet(frame))
        elif self.format is FileFormat.PARQUET:
            self._write_parquet(frame)
        else:
            self._write_excel(safe_for_spreadsheet(frame))
        self._started = True
        self.rows += len(frame)

    def commit(self) -> None:
        """Finish the file and move it to ``path``; does nothing if nothing was written."""
        if self._closed:
            return
        self._close_handles()
        self._closed = True
        if self._started:
            os.replace(self._partial, self.path)

    def discard(self) -> None:
        """Drop what was written, unless committed; ``path`` stays as it was."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(Exception):
            self._close_handles()
        with contextlib.suppress(FileNotFoundError):
            self._partial.unlink()

    # -- per format --------------------------------------------------------------

    def _write_csv(self, frame: pd.DataFrame) -> None:
        if self._csv is None:
            self._csv = self._partial.open("w", encoding="utf-8", newline="")
        # One string per chunk, written at once: an interrupt lands between
        # chunks, not in the middle of a row.
        # CRLF line ends, as RFC 4180 and Excel have them; they also make the
        # writer quote a cell holding a lone CR, which a "\n" writer leaves bare
        # and every reader then takes for the end of the row.
        self._csv.write(frame.to_csv(index=False, header=not self._started, lineterminator="\r\n"))

    def _write_parquet(self, frame: pd.DataFrame) -> None:
        pa, pq = _require("pyarrow"), _require("pyarrow.parquet")
        # Without pandas' own metadata the file reads back with the usual types
        # (pyarrow-backed columns read in would otherwise come out pyarrow-backed).
        table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._partial, table.schema)
        elif not table.schema.equals(self._parquet.schema):
            # A column all empty in one chunk can come out as another type.
            table = table.select(self._parquet.schema.names).cast(self._parquet.schema)
        self._parquet.write_table(table)

    def _write_excel(self, frame: pd.DataFrame) -> None:
        if self.rows + len(frame) + 1 > EXCEL_MAX_ROWS:
            raise ValueError(
                f"{self.path}: an Excel sheet holds at most {EXCEL_MAX_ROWS - 1:,} rows; "
                "write to .csv or .parquet instead"
            )
        if self._excel is None:
            self._excel = pd.ExcelWriter(self._partial, engine="openpyxl")
        frame.to_excel(
            self._excel,
            sheet_name="leads",
            index=False,
            header=not self._started,
            startrow=0 if not self._started else self.rows + 1,
        )

    def _close_handles(self) -> None:
        handles: list[Any] = [self._csv, self._parquet, self._excel]
        self._csv = self._parquet = self._excel = None
        for handle in handles:
            if handle is not None:
                handle.close()
