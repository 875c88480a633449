"""Malformed input never crashes the ingest and never loses a row."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.incidents import InputFileError
from geo.pipeline import ingest

from .incident_files import ACLED_HEADER, acled_row

CELL = st.one_of(
    st.sampled_from(["", "0", "-5", "1e309", "nan", "2025-13-45", "34,5", "NULL", "#tag", "\ufeff", " ", "Bannu",
                     "Miranshah", "Xyzzy", "999999999999"]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-10**6, max_value=10**9).map(str),
)
FIELDS = ["event_date", "latitude", "longitude", "fatalities", "location", "admin1", "admin2", "event_id_cnty",
          "time_precision", "geo_precision", "inter2"]


@st.composite
def acled_files(draw) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(ACLED_HEADER)
    for k in range(draw(st.integers(min_value=0, max_value=12))):
        row = acled_row(f"E{k}")
        for field in draw(st.lists(st.sampled_from(FIELDS), max_size=4)):
            row[field] = draw(CELL)
        values = [str(row.get(c, "")) for c in ACLED_HEADER]
        shape = draw(st.sampled_from(["ok", "ok", "ok", "short", "long", "blank"]))
        if shape == "short":
            values = values[: draw(st.integers(min_value=1, max_value=len(values) - 1))]
        elif shape == "long":
            values += ["extra"]
        elif shape == "blank":
            out.write("\n")
            continue
        writer.writerow(values)
    return out.getvalue()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(acled_files(), st.sampled_from(["utf-8", "cp1252"]))
def test_every_row_is_accepted_or_rejected(text, encoding):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(text.encode(encoding, errors="replace"))
        try:
            result = ingest([path])
        except InputFileError:
            return
        account = result.files[0]
        assert account.read == account.accepted + account.rejected
        assert len(result.incidents) == account.accepted
        data_lines = sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1
        assert account.read == data_lines
        assert result.incidents["lat"].between(-90, 90).all()
