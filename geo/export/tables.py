"""Table outputs: Parquet, CSV and JSON, written atomically and reproducibly."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from geo.export.vector import atomic_path


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Parquet without pandas' index; the same frame gives the same bytes."""
    with atomic_path(Path(path)) as tmp:
        frame.to_parquet(tmp, index=False, compression="zstd")
    return Path(path)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """UTF-8 CSV with Unix line ends."""
    with atomic_path(Path(path)) as tmp:
        frame.to_csv(tmp, index=False, lineterminator="\n")
    return Path(path)


def write_json(data: Mapping[str, object], path: Path) -> Path:
    """Indented JSON with sorted keys."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return Path(path)
