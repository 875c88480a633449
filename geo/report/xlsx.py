"""``tables.xlsx``: the brief's tables, one sheet each, written with XlsxWriter.

Every sheet has a frozen, bold header row, number formats (thousands, shares
in %, scores with one decimal) and column widths from the content; a ``notes``
sheet gives the period, sources, attribution and caveats. Text cells are
written as strings, never as formulas or links, so ``=HYPERLINK(…)`` in a
source name stays text. The workbook's creation date is fixed (see
:func:`geo.report.html.created_timestamp`), so the same brief gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter

from geo.atomic import atomic_path
from geo.attribution import cut_note

MAX_WIDTH = 60
EXCEL_MAX_CHARS = 32_767  # what a cell holds; XlsxWriter cuts a longer string without a word


def cell_text(value: object) -> str:
    """``value`` as a cell's text; one longer than a cell holds is cut, saying so."""
    text = str(value)
    if len(text) <= EXCEL_MAX_CHARS:
        return text
    marker = cut_note(len(text), whole_in_run_json=True)
    return text[: EXCEL_MAX_CHARS - len(marker)] + marker


def _kind(column: str) -> str:
    if "share" in column:
        return "share"
    if column.endswith("_pct"):
        return "pct"
    if "score" in column:
        return "score"
    return "int"


def write_workbook(
    path: Path,
    sheets: Mapping[str, pd.DataFrame],
    notes: Sequence[tuple[str, str]],
    created: pd.Timestamp,
    title: str,
) -> Path:
    """Write ``sheets`` (name → table) and a ``notes`` sheet into ``path``."""
    with atomic_path(Path(path)) as tmp:
        workbook = xlsxwriter.Workbook(
            str(tmp),
            {
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "nan_inf_to_errors": False,
            },
        )
        workbook.set_properties({"title": title, "author": "geo", "created": created.to_pydatetime()})
        formats = {
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#EEEEEE", "bottom": 1, "text_wrap": True, "valign": "top"}
            ),
            "int": workbook.add_format({"num_format": "#,##0"}),
            "share": workbook.add_format({"num_format": "0.0%"}),
            "pct": workbook.add_format({"num_format": '+0.0"%";-0.0"%";0"%"'}),
            "score": workbook.add_format({"num_format": "0.0"}),
            "text": workbook.add_format({"text_wrap": False}),
            "wrap": workbook.add_format({"text_wrap": True, "valign": "top"}),
        }
        for name, table in sheets.items():
            _write_sheet(workbook, name, table, formats)
        sheet = workbook.add_worksheet("notes")
        sheet.write_string(0, 0, "topic", formats["header"])
        sheet.write_string(0, 1, "note", formats["header"])
        sheet.freeze_panes(1, 0)
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, 1, 110, formats["wrap"])
        for row, (topic, text) in enumerate(notes, start=1):
            sheet.write_string(row, 0, str(topic))
            sheet.write_string(row, 1, cell_text(text), formats["wrap"])
        workbook.close()
    return Path(path)


def _write_sheet(workbook: xlsxwriter.Workbook, name: str, table: pd.DataFrame, formats: dict) -> None:
    sheet = workbook.add_worksheet(name[:31])
    sheet.freeze_panes(1, 0)
    for col, column in enumerate(table.columns):
        sheet.write_string(0, col, str(column), formats["header"])
        values = table[column]
        numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
        width = len(str(column))
        fmt = formats[_kind(column)] if numeric else formats["text"]
        for row, value in enumerate(values.tolist(), start=1):
            if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                continue  # an empty cell: not known, or not defined (a change against 0)
            if numeric:
                sheet.write_number(row, col, float(value) if isinstance(value, float) else int(value), fmt)
                width = max(width, len(f"{value:,}") + 1)
            else:
                text = cell_text(value)
                sheet.write_string(row, col, text, fmt)
                width = max(width, len(text))
        sheet.set_column(col, col, min(width + 2, MAX_WIDTH))
    if len(table.columns):
        sheet.autofilter(0, 0, max(len(table), 1), len(table.columns) - 1)
