"""Read a delimited text file into strings, losing no row and knowing each row's line.

Every data row comes back either in the table or in the rejects (malformed,
empty, HXL tags), with the physical line it starts on. Encoding is UTF-8 (with
or without a byte-order mark), UTF-16 with a byte-order mark (Excel's "Unicode
text"), else cp1252 (recorded in ``encoding``); anything else, or a binary file,
is an :class:`InputFileError`.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from geo._errors import GeoError
from geo.incidents.schema import Rejects

_NON_SPACE = re.compile(r"\S")

# Signatures of binary files people mistake for tables (checked before decoding).
_BINARY_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an .xlsx or .ods workbook?)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel/Office (.xls) file"),
    (b"%PDF-", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

# Arrow's first block; a record longer than a block needs a larger one (see _parse).
_BLOCK_SIZE = 1 << 20
_MAX_BLOCK_SIZE = (1 << 31) - 1  # ReadOptions.block_size is a 32-bit int


class InputFileError(GeoError, ValueError):
    """An input file cannot be read at all (missing, empty, binary, not a table)."""


def fold_column_name(name: str) -> str:
    """A column name with case, surrounding spaces and runs of spaces or
    underscores folded, as headers are matched (``" Event Date"`` → ``"event_date"``).

    >>> fold_column_name(" Event  Date ")
    'event_date'
    """
    return re.sub(r"[\s_]+", "_", name.strip().casefold())


@dataclasses.dataclass
class RawTable:
    """The rows of one input file as strings, with provenance."""

    frame: pd.DataFrame  # the file's own columns + input_file + line_no
    columns: list[str]
    encoding: str  # "utf-8", "utf-16" or "cp1252"
    rows_read: int  # data rows in the file (accepted here + rejected here)

    def column(self, name: str) -> str | None:
        """The header's own spelling of column ``name``: exact, else the one
        column equal to it once folded (:func:`fold_column_name`); None when
        there is none, or several."""
        if name in self.frame.columns:
            return name
        folded = fold_column_name(name)
        matches = [c for c in self.columns if fold_column_name(c) == folded]
        return matches[0] if len(matches) == 1 else None

    def folded_columns(self) -> set[str]:
        """The header's names, folded (for format detection)."""
        return {fold_column_name(c) for c in self.columns}


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and the encoding that read it.

    UTF-8 (with or without BOM), UTF-16 LE/BE with a BOM, else cp1252.

    Raises
    ------
    InputFileError
        The bytes are a known binary format, contain NUL bytes, or are text in
        none of these encodings.
    """
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            msg = f"{path} is {what}, not a text table; export it as CSV (UTF-8)"
            raise InputFileError(msg)
    if data.startswith(b"PAR1") and data.endswith(b"PAR1"):
        msg = f"{path} is a Parquet file, not a text table"
        raise InputFileError(msg)
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        msg = f"{path} is UTF-32 text; save it as UTF-8 (or UTF-16) CSV"
        raise InputFileError(msg)
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")  # the BOM tells the byte order and is dropped
        except UnicodeDecodeError as exc:
            msg = f"{path}: starts with a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})"
            raise InputFileError(msg) from exc
        _refuse_nul(text, path)
        return text, "utf-16"
    # Text never holds NUL; UTF-16 without a BOM or a binary file does.
    _refuse_nul(data, path)
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        msg = f"{path}: neither UTF-8, UTF-16 (with BOM) nor cp1252 text ({exc.reason} at byte {exc.start})"
        raise InputFileError(msg) from exc


def _refuse_nul(content: bytes | str, path: Path) -> None:
    if (b"\x00" if isinstance(content, bytes) else "\x00") in content:
        msg = (f"{path} contains NUL bytes: a binary file, or UTF-16 text without a byte-order mark, "
               "not a text table")
        raise InputFileError(msg)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or an :class:`InputFileError` naming it (missing,
    a directory, unreadable)."""
    path = Path(path)
    if path.is_dir():  # say so plainly, whatever the OS's own words are
        msg = f"cannot read {path}: it is a directory, not a file"
        raise InputFileError(msg)
    try:
        return path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InputFileError(msg) from exc


def read_csv_table(path: Path, rejects: Rejects, source: str = "") -> RawTable:
    """Read ``path`` as CSV with a header row; all values stay strings.

    Rows with the wrong number of fields, empty rows and a row of HXL
    ``#tags`` right under the header go to ``rejects``. A header with no data
    rows gives an empty table (0 rows read).

    Raises
    ------
    InputFileError
        The file is missing, unreadable, empty, binary, in an unknown encoding,
        or its header is unusable.
    """
    path = Path(path)
    data = read_bytes(path)
    text, encoding = decode(data, path)
    if _NON_SPACE.search(text) is None:
        msg = f"{path} is empty"
        raise InputFileError(msg)
    # The header is on the first line(s): parse only the start of the text.
    delimiter = _delimiter(text[: 1 << 16])
    try:
        with _no_csv_field_limit():
            header = next(csv.reader(io.StringIO(text[: 1 << 20], newline=""), delimiter=delimiter))
    except (csv.Error, StopIteration) as exc:
        msg = f"{path}: cannot read the header row ({exc})"
        raise InputFileError(msg) from exc
    columns = [c.strip() for c in header]
    # Columns are matched with case and spaces folded, so "Date" and "date" are one name.
    if len({fold_column_name(c) for c in columns}) != len(columns) or not all(columns):
        msg = f"{path}: the header has empty or repeated column names: {header}"
        raise InputFileError(msg)

    # Arrow reads UTF-8: hand it the file's own bytes when they are that already.
    payload = data if encoding == "utf-8" and not data.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")
    if not payload.endswith((b"\n", b"\r")):  # Arrow cannot skip a header that has no line end
        payload += b"\n"
    table, bad, block_size = _parse(payload, columns, path, delimiter, threads=True)
    if bad:  # Arrow numbers bad rows only when it reads on one thread
        table, bad, _ = _parse(payload, columns, path, delimiter, threads=False, block_size=block_size)
    # large strings, as pandas' Arrow-backed strings hold them: no cast of every column (1M rows: 0.5 s)
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.large_string() else None)

    # Record numbers (header = 1) of the good rows, then their physical lines.
    bad_numbers = np.array(sorted(n for n, _ in bad), dtype=np.int64)  # record numbers, header = 1
    all_numbers = np.arange(2, len(frame) + len(bad) + 2, dtype=np.int64)
    good_numbers = np.setdiff1d(all_numbers, bad_numbers, assume_unique=True)
    to_line = _record_start_lines(text, payload, len(frame) + len(bad) + 1, delimiter, path)
    frame["input_file"] = path.name
    frame["line_no"] = to_line[good_numbers - 1] if to_line is not None else good_numbers
    if bad:
        bad_frame = pd.DataFrame({
            "input_file": path.name,
            "line_no": [to_line[n - 1] if to_line is not None else n for n in bad_numbers],
            "text": [t for _, t in sorted(bad, key=lambda b: b[0])],
        })
        empty = bad_frame["text"].str.strip().eq("").to_numpy()
        rejects.add(bad_frame, empty, "empty_row", source=source)
        rejects.add(bad_frame, ~empty, "malformed_row",
                    detail=f"expected {len(columns)} fields", source=source)

    # A row is empty when every field is blank; test the rest only where the first is.
    empty_rows = (frame[columns[0]].str.strip() == "").to_numpy(dtype=bool)
    for column in columns[1:]:
        if not empty_rows.any():
            break
        candidates = np.flatnonzero(empty_rows)
        empty_rows[candidates] = (frame[column].iloc[candidates].str.strip() == "").to_numpy(dtype=bool)
    rejects.add(frame, empty_rows, "empty_row", source=source)
    hxl = np.zeros(len(frame), dtype=bool)
    if len(frame) and not empty_rows[0]:
        first = frame[columns].iloc[0]
        filled = first[first.str.strip() != ""]
        hxl[0] = bool(len(filled)) and filled.str.startswith("#").all()
    rejects.add(frame, hxl, "hxl_tag_row", source=source)
    keep = ~(empty_rows | hxl)
    kept = frame if keep.all() else frame.loc[keep].reset_index(drop=True)
    return RawTable(frame=kept, columns=columns, encoding=encoding, rows_read=len(frame) + len(bad))


def _delimiter(start: str) -> str:
    """Comma, unless the header line has none but tabs (Excel's "Unicode text")
    or semicolons (CSV saved with a decimal-comma locale)."""
    first_line = start.splitlines()[0] if start else ""
    if "," in first_line:
        return ","
    for candidate in ("\t", ";"):
        if candidate in first_line:
            return candidate
    return ","


def _parse(payload: bytes, columns: list[str], path: Path, delimiter: str, threads: bool,
           block_size: int = _BLOCK_SIZE) -> tuple[pa.Table, list[tuple[int, str]], int]:
    """Parse with Arrow; rows with the wrong number of fields are set aside with
    their record number (header = 1) and text. Returns the block size that worked."""
    while True:
        bad: list[tuple[int, str]] = []

        def on_bad_row(row: pacsv.InvalidRow, bad: list[tuple[int, str]] = bad) -> str:
            bad.append((row.number, row.text))
            return "skip"

        try:
            table = pacsv.read_csv(
                io.BytesIO(payload),
                read_options=pacsv.ReadOptions(use_threads=threads, column_names=columns, skip_rows=1,
                                               block_size=block_size),
                parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                                 ignore_empty_lines=False,
                                                 invalid_row_handler=on_bad_row),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.large_string() for c in columns},
                                                     strings_can_be_null=False,
                                                     quoted_strings_can_be_null=False),
            )
        except pa.ArrowInvalid as exc:
            # A record (or the header) longer than a block: retry with larger blocks
            # until one holds the whole file; the common case keeps 1 MB blocks.
            if "block" in str(exc) and block_size < min(len(payload), _MAX_BLOCK_SIZE):
                block_size = min(block_size * 4, len(payload) + 1, _MAX_BLOCK_SIZE)
                continue
            msg = f"{path} is not a readable CSV table: {exc}"
            raise InputFileError(msg) from exc
        return table, bad, block_size


@contextlib.contextmanager
def _no_csv_field_limit() -> Iterator[None]:
    """Let the csv module read fields of any length (its default limit is 128 kB)."""
    previous = csv.field_size_limit()
    csv.field_size_limit(_MAX_BLOCK_SIZE)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _record_start_lines(text: str, payload: bytes, n_records: int, delimiter: str,
                        path: Path) -> np.ndarray | None:
    """Physical start line of each record (index 0 = header), or None when every
    record is one line (the common, fast case).

    Raises
    ------
    InputFileError
        A quote opens a field that is never closed: the records after it would
        silently vanish into that field.
    """
    # Lines end at \r\n, \n or a lone \r, as for Arrow's parser and the csv module.
    # (counted in the UTF-8 bytes, where line ends are single bytes)
    # (bytes.count: one C scan each, not a comparison array the size of the file)
    newlines = payload.count(b"\n")
    carriages = payload.count(b"\r") if b"\r" in payload else 0  # `in` is memchr, count is not
    if carriages:
        newlines += carriages - payload.count(b"\r\n")  # lone \r only
    physical_lines = newlines + (0 if payload.endswith((b"\n", b"\r")) else 1)
    if physical_lines == n_records:
        return None
    try:
        return _padded(_csv_record_starts(text, delimiter, strict=True), n_records)
    except _UnclosedQuote as exc:
        # Arrow would read the rest of the file into one field: rows lost unseen.
        msg = (f"{path}: the quoted field that opens on line {exc.line} is never closed, so every line "
               "after it would be read as part of that field; close the quote")
        raise InputFileError(msg) from exc
    except csv.Error:  # a stray quote inside a field: read as Arrow reads it
        return _padded(_csv_record_starts(text, delimiter, strict=False), n_records)


class _UnclosedQuote(csv.Error):
    def __init__(self, line: int) -> None:
        super().__init__(f"quote opened on line {line} never closed")
        self.line = line


def _csv_record_starts(text: str, delimiter: str, strict: bool) -> list[int]:
    """Physical start line of each record, by the csv module (raising
    :class:`_UnclosedQuote` when the text ends inside a quoted field)."""
    starts: list[int] = []
    with _no_csv_field_limit():
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
        previous_end = 0
        try:
            for _ in reader:
                starts.append(previous_end + 1)
                previous_end = reader.line_num
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                raise _UnclosedQuote(previous_end + 1) from exc
            raise
    return starts


def _padded(starts: list[int], n_records: int) -> np.ndarray:
    # Should the csv module ever split records unlike Arrow, number the rest on
    # from the last line rather than fail.
    while len(starts) < n_records:
        starts.append(starts[-1] + 1 if starts else 1)
    return np.asarray(starts[:n_records], dtype=np.int64)
