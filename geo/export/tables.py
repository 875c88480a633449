"""Table outputs: Parquet, CSV and JSON, written atomically and reproducibly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from geo.atomic import atomic_path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet without pandas' index; the same frame gives the same bytes."""
    with atomic_path(Path(path)) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")
    return Path(path)


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP, CSV injection).
_FORMULA_START = r"^[=+\-@\t\r]"


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
        number = pd.to_numeric(text.where(risky & text.str.startswith("-", na=False)), errors="coerce").notna()
        risky &= ~number
        if out is frame:
            out = frame.copy()
        out[column] = text.mask(risky, "'" + text)
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 CSV with Unix line ends, safe to open in a spreadsheet (see
    :func:`spreadsheet_safe`)."""
    with atomic_path(Path(path)) as tmp:
        spreadsheet_safe(frame).to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def write_json(data: Mapping[str, object], path: Path) -> Path:
    """Indented JSON with sorted keys."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return Path(path)
