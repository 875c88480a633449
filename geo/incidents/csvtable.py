"""Read a delimited text file into strings, losing no row and knowing each row's line.

Every data row comes back either in the table or in the rejects (malformed,
empty, HXL tags), with the physical line it starts on. Encoding is UTF-8, or
cp1252 when the file is not valid UTF-8 (recorded in ``encoding``).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from geo._errors import GeoError
from geo.incidents.schema import Rejects

_NON_SPACE = re.compile(r"\S")


class InputFileError(GeoError, ValueError):
    """An input file cannot be read at all (missing, empty, not a table)."""


@dataclasses.dataclass
class RawTable:
    """The rows of one input file as strings, with provenance."""

    frame: pd.DataFrame  # the file's own columns + input_file + line_no
    columns: list[str]
    encoding: str
    rows_read: int  # data rows in the file (accepted here + rejected here)


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Text and the encoding that read it: UTF-8 (with or without BOM), else cp1252."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        msg = f"{path}: neither UTF-8 nor cp1252 text ({exc.reason} at byte {exc.start})"
        raise InputFileError(msg) from exc


def read_csv_table(path: Path, rejects: Rejects, source: str = "") -> RawTable:
    """Read ``path`` as CSV with a header row; all values stay strings.

    Rows with the wrong number of fields, empty rows and a row of HXL
    ``#tags`` right under the header go to ``rejects``.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read {path}: {exc.strerror or exc}"
        raise InputFileError(msg) from exc
    text, encoding = decode(data, path)
    if _NON_SPACE.search(text) is None:
        msg = f"{path} is empty"
        raise InputFileError(msg)
    # The header is on the first line(s): parse only the start of the text.
    header = next(csv.reader(io.StringIO(text[: 1 << 20], newline="")))
    columns = [c.strip() for c in header]
    if len(set(columns)) != len(columns) or not all(columns):
        msg = f"{path}: the header has empty or repeated column names: {header}"
        raise InputFileError(msg)

    # Arrow reads UTF-8: hand it the file's own bytes when they are that already.
    payload = data if encoding == "utf-8" and not data.startswith(b"\xef\xbb\xbf") else text.encode("utf-8")
    table, bad = _parse(payload, columns, path, threads=True)
    if bad:  # Arrow numbers bad rows only when it reads on one thread
        table, bad = _parse(payload, columns, path, threads=False)
    frame = table.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)

    # Record numbers (header = 1) of the good rows, then their physical lines.
    bad_numbers = np.array(sorted(n for n, _ in bad), dtype=np.int64)  # record numbers, header = 1
    all_numbers = np.arange(2, len(frame) + len(bad) + 2, dtype=np.int64)
    good_numbers = np.setdiff1d(all_numbers, bad_numbers, assume_unique=True)
    to_line = _record_start_lines(text, payload, len(frame) + len(bad) + 1)
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


def _parse(payload: bytes, columns: list[str], path: Path, threads: bool) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Parse with Arrow; rows with the wrong number of fields are set aside with
    their record number (header = 1) and text."""
    bad: list[tuple[int, str]] = []

    def on_bad_row(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(use_threads=threads, column_names=columns, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=on_bad_row),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in columns},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid as exc:
        msg = f"{path} is not a readable CSV table: {exc}"
        raise InputFileError(msg) from exc
    return table, bad


def _record_start_lines(text: str, payload: bytes, n_records: int) -> np.ndarray | None:
    """Physical start line of each record (index 0 = header), or None when every
    record is one line (the common, fast case)."""
    # Lines end at \r\n, \n or a lone \r, as for Arrow's parser and the csv module.
    # (counted in the UTF-8 bytes, where line ends are single bytes)
    octets = np.frombuffer(payload, dtype=np.uint8)
    carriage = octets == 13
    newlines = int(np.count_nonzero(octets == 10))
    if carriage.any():
        newlines += int(np.count_nonzero(carriage)) - int(np.count_nonzero(carriage[:-1] & (octets[1:] == 10)))
    physical_lines = newlines + (0 if payload.endswith((b"\n", b"\r")) else 1)
    if physical_lines == n_records:
        return None
    starts = []
    reader = csv.reader(io.StringIO(text, newline=""))
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    return np.asarray(starts, dtype=np.int64)
