"""``report.html``: the brief as one self-contained page (inline CSS, inline
SVG chart, the map as a data URI; no script, no external file), laid out for
a phone and for A4 print.

Rendered by Jinja2 with autoescape on: every text from the data (district,
group and source names, citations) is escaped, so markup, template syntax and
formulas in the inputs come out as written.
"""

from __future__ import annotations

import base64
import math
import os

import jinja2
import markupsafe
import pandas as pd

from geo import __version__
from geo.attribution import clipped
from geo.report.chart import CATEGORIES, monthly_chart_svg
from geo.report.figures import Brief

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("geo.report", "templates"),
    autoescape=True,  # every {{ value }} is HTML-escaped, templates or not
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
MINUS = "\u2212"


def number(value: object) -> str:
    """``1634`` → ``1,634``; ``-29`` → ``−29``; missing → ``–``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    text = f"{int(value):,}"
    return text.replace("-", MINUS)


def signed(value: int) -> str:
    """``+1,401``, ``−29``, ``0``."""
    value = int(value)
    return f"+{value:,}" if value > 0 else number(value)


def percent_text(pct: float) -> str:
    """``+12 %``, ``−5 %``, ``+0.4 %`` (one decimal below 1 %)."""
    shown = f"{abs(pct):.0f}" if abs(pct) >= 1 or pct == 0 else f"{abs(pct):.1f}"
    sign = "+" if pct > 0 else (MINUS if pct < 0 else "")
    return f"{sign}{shown} %"


def change(value: int, previous: int) -> str:
    """The change against the comparison period: ``+1,401 (+397 %)``;
    ``+12, new`` when the comparison is 0; ``no change``."""
    value, previous = int(value), int(previous)
    if value == previous:
        return "no change"
    if previous == 0:
        return f"{signed(value)}, new"
    return f"{signed(value - previous)} ({percent_text((value - previous) / previous * 100.0)})"


def share(value: float) -> str:
    """``0.5147`` → ``51 %``; missing → ``–``."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pct = float(value) * 100.0
    return f"{pct:.0f} %" if pct >= 1 or pct == 0 else f"{pct:.1f} %"


def rank_change(rank: object, previous: object) -> str:
    """``▲2``-style text without symbols: ``+2`` (moved up), ``−1``, ``=``; ``new`` without a previous rank."""
    if previous is None or previous is pd.NA or (isinstance(previous, float) and math.isnan(previous)):
        return "new"
    step = int(previous) - int(rank)
    return "=" if step == 0 else signed(step)


def score(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.1f}"


for _name, _filter in {
    "clipped": clipped,
    "number": number,
    "signed": signed,
    "change": change,
    "share": share,
    "rank_change": rank_change,
    "score": score,
}.items():
    _ENV.filters[_name] = _filter


def summary_sentence(brief: Brief) -> str:
    """The brief's first sentence, neutral and factual, from the headline table."""
    head = brief.tables["headline"].set_index("measure")
    provinces = brief.tables["province_by_category"].set_index("province")
    killed = int(head.loc["killed", "value"])
    parts = [
        f"{number(head.loc[m, 'value'])} {label}"
        for m, label in (
            ("killed_civilians", "civilians"),
            ("killed_security", "security forces personnel"),
            ("killed_militants", "militants"),
        )
        if head.loc[m, "value"]
    ]
    if head.loc["killed_unknown", "value"]:
        parts.append(f"{number(head.loc['killed_unknown', 'value'])} not identified by category")
    split = f": {', '.join(parts)}" if parts else ""
    where = [f"{number(provinces.loc[p, 'killed'])} in {p}" for p in provinces.index if p != "Total"]
    return (
        f"In {brief.period.label}, {number(killed)} people were reported killed in "
        f"{number(head.loc['incidents', 'value'])} incidents in Khyber Pakhtunkhwa and Balochistan{split}. "
        f"By province: {' and '.join(where)}. Against {brief.comparison.label}: killed "
        f"{change(killed, head.loc['killed', 'comparison'])}, incidents "
        f"{change(head.loc['incidents', 'value'], head.loc['incidents', 'comparison'])}."
    )


def created_timestamp(brief: Brief) -> str:
    """The date the PDF and workbook say they were made: ``SOURCE_DATE_EPOCH`` if
    set, else the day after the period (so that the same inputs give the same bytes)."""
    if epoch := os.environ.get("SOURCE_DATE_EPOCH"):
        return pd.Timestamp(int(epoch), unit="s", tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    return (brief.period.end + pd.Timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")


def brief_chart(brief: Brief) -> str:
    """The brief's monthly chart (SVG text)."""
    return monthly_chart_svg(brief.tables["monthly_by_province"], brief.synthetic)


# How the PDF's page names the map (see geo.report.pdf.write_pdf's resources).
PDF_MAP_URL = "geo-run:map.png"


def render_html(brief: Brief, chart: str, map_url: str | None = None) -> str:
    """The brief as one HTML document (text); ``chart`` is :func:`brief_chart`
    of it (``geo run`` draws it before the map is ready). The map is embedded
    (a ``data:`` URI of ``brief.map_png``), or given ``map_url``, named by it
    (the PDF's page, whose printer fetches the map when it reaches it)."""
    tables = {name: table.to_dict("records") for name, table in brief.tables.items()}
    head = {row["measure"]: row for row in tables["headline"]}
    map_uri = map_url or (
        ("data:image/png;base64," + base64.b64encode(brief.map_png).decode("ascii"))
        if brief.map_png
        else None
    )
    return _ENV.get_template("brief.html.j2").render(
        brief=brief,
        tables=tables,
        head=head,
        summary=summary_sentence(brief),
        chart=markupsafe.Markup(chart),  # our own SVG
        categories=CATEGORIES,
        map_uri=map_uri,
        created=created_timestamp(brief),
        version=__version__,
        months=brief.tables["monthly_by_province"]["month"].nunique(),
    )
