"""The real exports of ``../shared/data`` (beside the repository, on developers'
machines and in CI), used as they are: tests copy them, never edit them.

``GEO_SHARED_DATA`` names another folder. Without the folder a test skips,
except under CI (``CI`` set), where it fails: CI must always read the real files.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from geo.config import PROJECT_ROOT

SHARED_DATA = Path(os.environ.get("GEO_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
# UCDP GED, CC BY 4.0: "UCDP Georeferenced Event Dataset (GED), Uppsala Conflict
# Data Program; Sundberg & Melander 2013, Journal of Peace Research 50(4)".
UCDP_EXCERPT = "ucdp_ged_pakistan_1989-2006.csv"


def real_export(name: str, folder: Path) -> Path:
    """A copy of the real export ``name`` in ``folder``, under its own name."""
    source = SHARED_DATA / name
    if not source.is_file():
        message = f"real export {source} not found (set GEO_SHARED_DATA to the folder holding it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return Path(shutil.copyfile(source, Path(folder) / name))
