"""Table outputs: Parquet, CSV and JSON, written atomically and reproducibly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.atomic import atomic_path
from geo.arrow_text import first_bytes, holding, large_text, write_text


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet without pandas' index; the same frame gives the same bytes."""
    with atomic_path(Path(path)) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")
    return Path(path)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_CHARACTERS = "=+-@\t\r"
_FORMULA_START = "^[" + _FORMULA_CHARACTERS.replace("-", r"\-").replace("\t", r"\t").replace("\r", r"\r") + "]"
_FORMULA_BYTES = np.frombuffer(_FORMULA_CHARACTERS.encode("ascii"), dtype=np.uint8)


def _numbers(text: pd.Series) -> np.ndarray:
    """Which cells of ``text`` (strings that start with ``-``) read as numbers."""
    return pd.to_numeric(text, errors="coerce").notna().to_numpy(dtype=bool)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that a spreadsheet would run as a formula
    prefixed with ``'``: cells starting with ``=``, ``+``, ``-``, ``@``, a tab or
    a carriage return, except numbers written as text (``-5``, ``-0.25``)."""
    out = frame
    for column in frame.columns:
        if not (pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column])):
            continue
        text = frame[column].astype("string")
        risky = text.str.contains(_FORMULA_START, regex=True, na=False)
        if not risky.any():
            continue
        risky &= ~_numbers(text.where(risky & text.str.startswith("-", na=False)))
        if out is frame:
            out = frame.copy()
        out[column] = text.mask(risky, "'" + text)
    return out


def _csv_quoted_characters() -> str:
    """The characters that make Python's csv module (which pandas' ``to_csv``
    writes through) quote a field, with ``lineterminator="\\n"``: ``,``, ``"``
    and ``\\n`` (not ``\\r``) on Python 3.11; asked, not assumed."""
    quoted = ""
    for char in ",\"\n\r":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(["a", f"b{char}"])
        quoted += char if buffer.getvalue().startswith('a,"') else ""
    return quoted


_LARGE = pa.large_string()
_EMPTY = pa.scalar("", _LARGE)
_QUOTED_BYTES = np.frombuffer(_csv_quoted_characters().encode("ascii"), dtype=np.uint8)
CSV_ROWS_PER_BLOCK = 100_000


def _csv_strings(text: pa.Array, safe: bool) -> pa.Array:
    """Text cells (a large string array) as the csv module writes them: with
    ``safe``, a formula neutralised as :func:`spreadsheet_safe` does; quoted
    where a character asks for it (``"`` doubled); missing cells empty."""
    if safe:
        # a formula is told by its first character: one byte per cell, not a regex over the text
        first = first_bytes(text)
        flags = np.isin(first, _FORMULA_BYTES)
        if flags.any():
            minus = np.flatnonzero(flags & (first == ord("-")))
            if len(minus):  # the few risky cells that may be numbers, checked as spreadsheet_safe does
                flags[minus[_numbers(pd.Series(text.take(minus).to_pylist(), dtype="string"))]] = False
            prefixed = pc.binary_join_element_wise(pa.scalar("'", _LARGE), text, _EMPTY)
            text = pc.if_else(pa.array(flags), prefixed, text)
    needs, _ = holding(text, _QUOTED_BYTES)
    if needs.any():
        quote = pa.scalar('"', _LARGE)
        quoted = pc.binary_join_element_wise(quote, pc.replace_substring(text, '"', '""'), quote, _EMPTY)
        text = pc.if_else(pa.array(needs), quoted, text)
    return pc.fill_null(text, _EMPTY)


def _csv_kind(values: pd.Series) -> str | None:
    """How :func:`_csv_cells` writes a column: ``text``, ``bool``, ``int`` or
    ``float``; None for a dtype (or an object column not all text) left to pandas."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        return "text"
    if pd.api.types.is_object_dtype(dtype):
        return "text" if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty") else None
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype) and not (pd.api.types.is_unsigned_integer_dtype(dtype)
                                                     and dtype.itemsize == 8):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return None


def _csv_cells(values: pd.Series, kind: str, safe: bool) -> pa.Array:
    """The cells of one column exactly as ``to_csv`` writes them: missing
    empty, integers in decimal, floats as ``repr``, booleans ``True``/``False``,
    text as :func:`_csv_strings`."""
    missing = values.isna().to_numpy(dtype=bool)
    if kind == "text":
        if pd.api.types.is_object_dtype(values.dtype):
            text = pa.array(values.to_numpy(dtype=object, na_value=None), type=_LARGE, from_pandas=True)
        else:
            text = large_text(values)
        return _csv_strings(text, safe)
    if kind == "bool":
        flags = values.to_numpy(dtype=bool, na_value=False)
        return pa.array(np.where(missing, "", np.where(flags, "True", "False")), type=_LARGE)
    if kind == "int":
        numbers = values.to_numpy(dtype=np.int64, na_value=0)
        return pc.if_else(pa.array(missing), _EMPTY, pc.cast(pa.array(numbers), _LARGE))
    if not isinstance(values.dtype, np.dtype):  # nullable Float: only NA is missing (NaN is written "nan")
        missing = np.asarray(values.array.isna(), dtype=bool)
    return pc.if_else(pa.array(missing), _EMPTY, _float_text(values.to_numpy(dtype=float, na_value=np.nan)))


def _float_text(numbers: np.ndarray) -> pa.Array:
    """Python's ``repr`` of each double, which ``to_csv`` writes (``0.1``, ``100.0``, ``1e-05``).

    Arrow's cast prints the same shortest digits, but whole numbers without
    ``.0`` and some numbers Python writes in fixed notation (1e-4 <= |x| < 1e16)
    with an exponent; numpy's ``str`` (Python's repr, five times slower)
    writes those and every value outside that range.
    """
    text = pc.cast(pa.array(numbers), _LARGE)
    whole = pc.match_substring_regex(text, "^-?[0-9]+$")
    text = pc.if_else(whole, pc.binary_join_element_wise(text, pa.scalar(".0", _LARGE), _EMPTY), text)
    size = np.abs(numbers)
    # (NaN and infinities too: Arrow writes nan, inf and -inf, as repr does; a million missing scores
    # would otherwise go through numpy's str)
    fixed_here = ((((size >= 1e-4) & (size < 1e16)) | (size == 0) | ~np.isfinite(numbers))
                  & ~np.asarray(pc.match_substring(text, "e"), dtype=bool))
    other = np.flatnonzero(~fixed_here)
    if len(other):
        fixed = np.full(len(numbers), None, dtype=object)
        fixed[other] = numbers[other].astype(str)
        text = pc.coalesce(pa.array(fixed, type=_LARGE), text)
    return text


def _write_csv_arrow(frame: pd.DataFrame, path: Path, safe: bool) -> bool:
    """Write ``frame`` as ``to_csv(index=False, lineterminator="\\n")`` would,
    column by column with Arrow kernels, in blocks of rows (memory stays
    bounded); False, with nothing written, for a frame only pandas writes."""
    names = list(frame.columns)
    # one column: the csv module writes an empty cell as "" (a row must not look empty)
    if len(names) < 2 or not all(isinstance(n, str) for n in names) or frame.columns.has_duplicates:
        return False
    kinds = [_csv_kind(frame[name]) for name in names]
    if None in kinds:
        return False
    header = _csv_strings(pa.array(names, type=_LARGE), safe=False).to_pylist()
    comma, newline = pa.scalar(",", _LARGE), pa.scalar("\n", _LARGE)
    with atomic_path(Path(path)) as tmp, open(tmp, "wb") as out:
        out.write((",".join(header) + "\n").encode("utf-8"))
        for first in range(0, len(frame), CSV_ROWS_PER_BLOCK):
            block = frame.iloc[first: first + CSV_ROWS_PER_BLOCK]
            cells = [_csv_cells(block[name], kind, safe) for name, kind in zip(names, kinds, strict=True)]
            write_text(out, pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, comma), newline,
                                                          _EMPTY))
    return True


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 CSV with Unix line ends, safe to open in a spreadsheet (see
    :func:`spreadsheet_safe`).

    The bytes are those of pandas' ``to_csv(index=False, lineterminator="\\n")``
    of :func:`spreadsheet_safe` of ``frame``; text, number and boolean columns
    are formatted with Arrow kernels instead (a million rows in seconds, not
    most of a minute), any other dtype by pandas.
    """
    if not _write_csv_arrow(frame, Path(path), safe=True):
        with atomic_path(Path(path)) as tmp:
            spreadsheet_safe(frame).to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def write_json(data: Mapping[str, object], path: Path) -> Path:
    """Indented JSON with sorted keys."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return Path(path)
