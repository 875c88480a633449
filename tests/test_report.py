"""The security brief (`geo report`, and `geo run`'s report.html / report.pdf /
tables.xlsx): every figure ties to the tables the run wrote, hostile text stays
literal in HTML, PDF and xlsx, small runs give a complete brief, an empty
comparison period reads "+n, new", identical runs give identical bytes, and
the sample brief opens offline in a real browser (screenshots and the PDF's
pages 1 and 2 go to tests/artifacts/)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from geo.cli import cli
from geo.filenames import REPORT_HTML, REPORT_PDF, TABLES_XLSX
from geo.report import pdf_engine_problem, write_report
from geo.report.html import change, number, share
from tests.hostile import PAYLOADS, assert_one_line_error, write_config, write_incident_csv

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = Path(os.environ.get("GEO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
SHEETS = [
    "headline",
    "province_by_category",
    "monthly_by_province",
    "top_districts_killed",
    "top_districts_risk",
    "border_bands",
    "actors",
    "risk_class_changes",
    "sources",
    "data_quality",
    "notes",
]
SECTIONS = ["headline", "provinces", "monthly", "districts", "border", "actors", "risk", "data"]
PLACES = [
    (32.99, 70.60),
    (33.00, 70.10),
    (34.00, 71.20),
    (30.20, 67.00),
]  # Bannu, N. Waziristan, Khyber, Quetta
KILLED = ("killed", "killed_civilians", "killed_security", "killed_militants", "injured")


def _needs_pdf() -> None:
    """Skip without WeasyPrint's Pango, unless GEO_REQUIRE_PDF=1 (set by .ci/run, which installs it)."""
    if problem := pdf_engine_problem():
        if os.environ.get("GEO_REQUIRE_PDF") == "1":
            pytest.fail(problem)
        pytest.skip(problem)


def _sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name, engine="openpyxl")


def _pdf_text(path: Path) -> tuple[int, str, tuple[float, float]]:
    from pypdf import PdfReader

    reader = PdfReader(path)
    box = reader.pages[0].mediabox
    return (
        len(reader.pages),
        "\n".join(page.extract_text() for page in reader.pages),
        (float(box.width), float(box.height)),
    )


def _html(folder: Path) -> BeautifulSoup:
    return BeautifulSoup((folder / REPORT_HTML).read_text(encoding="utf-8"), "html.parser")


def _rows(n: int, start_month: int = 1, payloads: list[str] | None = None) -> list[dict[str, object]]:
    """``n`` incidents over 2024 (from ``start_month``) in four districts; with
    ``payloads``, row k has payload k as its source and perpetrator."""
    rows = []
    for k in range(n):
        lat, lon = PLACES[k % len(PLACES)]
        month = start_month + (k % (13 - start_month))
        text = payloads[k % len(payloads)] if payloads else None
        rows.append(
            {
                "source": text or "test feed",
                "source_id": f"R{k}",
                "date": f"2024-{month:02d}-{1 + k % 27:02d}",
                "date_precision": "day",
                "lat": lat + 0.001 * k,
                "lon": lon,
                "geo_precision": 1 + (k % 7 == 0),
                "place": "",
                "event_type": "IED attack",
                "perpetrator": text or ("TTP" if k % 3 else "unknown"),
                "target_category": "civilians",
                "killed": k % 4,
                "killed_civilians": k % 3,
                "killed_security": 0,
                "killed_militants": 0,
                "injured": k % 2,
                "notes": f"row {k}",
            }
        )
    return rows


def _run(tmp_path: Path, rows: list[dict[str, object]], name: str, *extra: str) -> Path:
    source = write_incident_csv(tmp_path / f"{name}.csv", rows)
    config = write_config(tmp_path / "fast.toml")
    out = tmp_path / name
    result = CliRunner().invoke(
        cli, ["run", str(source), "--out", str(out), "--config", str(config), "-q", *extra]
    )
    assert result.exit_code == 0, result.output
    return out


# ---------------------------------------------------------------- the sample brief


def test_every_figure_ties_to_the_run_tables(sample_run_dir):
    """Recompute the brief's figures from the tables the run wrote
    (summary_districts.csv, monthly_killed_by_province.csv, incidents.parquet,
    run.json) and find them in tables.xlsx, report.html and report.pdf."""
    _needs_pdf()
    run = sample_run_dir
    summary = pd.read_csv(run / "summary_districts.csv")
    monthly = pd.read_csv(run / "monthly_killed_by_province.csv")
    incidents = pd.read_parquet(run / "incidents.parquet")
    record = json.loads((run / "run.json").read_text())
    xlsx = run / TABLES_XLSX
    assert {name for name in openpyxl.load_workbook(xlsx, read_only=True).sheetnames} == set(SHEETS)

    # headline: the district summary and the province table say the same
    totals = {c: int(summary[c].sum()) for c in ("incidents", *KILLED)}
    totals["killed_unknown"] = max(
        0,
        totals["killed"]
        - totals["killed_civilians"]
        - totals["killed_security"]
        - totals["killed_militants"],
    )
    assert totals["incidents"] == int(monthly["incidents"].sum()) and totals["killed"] == int(
        monthly["killed"].sum()
    )
    # the comparison period (the 12 months before), straight from the incidents
    first = pd.Timestamp(summary["period_start"][0])
    before = (first.to_period("M") - 12).to_timestamp(), first - pd.Timedelta(days=1)
    dates = pd.to_datetime(incidents["date"])
    earlier = incidents[dates.between(*before) & incidents["in_study_area"].fillna(False)]
    previous = {"incidents": len(earlier), **{c: int(earlier[c].fillna(0).sum()) for c in KILLED}}
    previous["killed_unknown"] = max(
        0,
        previous["killed"]
        - previous["killed_civilians"]
        - previous["killed_security"]
        - previous["killed_militants"],
    )
    head = _sheet(xlsx, "headline").set_index("measure")
    for measure, value in totals.items():
        assert head.loc[measure, "value"] == value, measure
    for measure, value in previous.items():
        assert head.loc[measure, "comparison"] == value, measure
        assert head.loc[measure, "change"] == totals[measure] - value

    # provinces: monthly_killed_by_province summed over the months
    provinces = _sheet(xlsx, "province_by_category").set_index("province")
    by_province = monthly.groupby("province")[["incidents", *KILLED]].sum()
    for province, row in by_province.iterrows():
        for column in ("incidents", *KILLED):
            assert provinces.loc[province, column] == row[column], (province, column)
    assert provinces.loc["Total", "killed"] == totals["killed"]
    months = _sheet(xlsx, "monthly_by_province")
    assert len(months) == len(monthly) and (months["killed"].to_numpy() == monthly["killed"].to_numpy()).all()

    # districts: the 10 deadliest and the 10 highest risk of the summary
    top = _sheet(xlsx, "top_districts_killed")
    expected = summary.sort_values(["killed", "district"], ascending=[False, True]).head(10)
    assert list(top["killed"]) == list(expected["killed"])
    assert (
        set(top["district"]) == set(expected["district"])
        or top["killed"].iloc[-1] == expected["killed"].iloc[-1]
    )
    risk = _sheet(xlsx, "top_districts_risk")
    assert list(risk["risk_score"]) == sorted(summary["risk_score"], reverse=True)[:10]

    # border bands: the summary's band columns
    bands = _sheet(xlsx, "border_bands").set_index("band")
    near = sum(int(summary[f"incidents_band_{b}"].sum()) for b in ("0_10", "10_25", "25_50"))
    near_killed = sum(int(summary[f"killed_band_{b}"].sum()) for b in ("0_10", "10_25", "25_50"))
    assert (
        bands.loc["within 50 km", "incidents"] == near and bands.loc["within 50 km", "killed"] == near_killed
    )
    assert bands.loc["within 50 km", "incidents_share"] == pytest.approx(near / totals["incidents"], abs=1e-4)

    # actors: the actor_group of the period's incidents in the study area (incidents.parquet);
    # monthly_actor_groups.csv counts the period's events anywhere, so it can only hold as many or more
    in_period = incidents["in_period"].fillna(False)
    chosen = incidents[in_period & incidents["in_study_area"].fillna(False)]
    actors = _sheet(xlsx, "actors")
    assert actors["group"].iloc[-1] == "unidentified" and (actors["group"] == "unidentified").sum() == 1
    assert (actors["group"] != "unidentified").sum() <= 10
    by_group = chosen.groupby("actor_group")
    expected_groups = by_group.size().rename("attacks").to_frame().assign(
        killed=by_group["killed"].sum()).reset_index()
    named = expected_groups[expected_groups["actor_group"] != "unidentified"].sort_values(
        ["attacks", "killed", "actor_group"], ascending=[False, False, True])
    assert list(actors["group"]) == [*named["actor_group"].head(10), "unidentified"]
    rows = actors.set_index("group")
    run_groups = pd.read_csv(run / "monthly_actor_groups.csv").groupby("actor_group")[["events", "killed"]]
    run_groups = run_groups.sum()
    for group, frame in chosen.groupby("actor_group"):
        if group not in rows.index:
            continue  # past the 10 groups shown
        assert rows.loc[group, "attacks"] == len(frame), group
        assert rows.loc[group, "killed"] == frame["killed"].sum(), group
        assert rows.loc[group, "family"] == frame["actor_family"].iloc[0], group
        assert rows.loc[group, "attacks"] <= run_groups.loc[group, "events"], group
    if len(named) <= 10:  # every attack of the period in the study area, in one row or another
        assert actors["attacks"].sum() == totals["incidents"]
    if in_period.sum() == len(chosen):  # nothing of the period outside the study area: the run's table
        assert rows["attacks"].to_dict() == run_groups["events"].loc[rows.index].to_dict()

    # data quality: run.json's counts; imprecise locations
    quality = _sheet(xlsx, "data_quality").set_index("item")
    assert quality.loc["rows accepted", "count"] == record["counts"]["accepted"]
    assert quality.loc["rows rejected", "count"] == record["counts"]["rejected"]
    imprecise = int((chosen["geo_precision"] > 1).sum())
    assert (
        quality.loc["located less precisely than a place (district or province level)", "count"] == imprecise
    )

    # the HTML shows those numbers, formatted for people
    page = _html(run)
    cards = {card["data-measure"]: card for card in page.select(".card")}
    for measure, value in totals.items():
        assert cards[measure].select_one(".value").get_text(strip=True) == number(value)
        assert change(value, previous[measure]) in cards[measure].select_one(".change").get_text()
    summary_text = page.select_one("#summary").get_text()
    assert (
        f"{number(totals['killed'])} people were reported killed in {number(totals['incidents'])} incidents"
        in summary_text
    )
    province_row = page.select_one('tr[data-province="Khyber Pakhtunkhwa"]').get_text(" ", strip=True)
    assert number(by_province.loc["Khyber Pakhtunkhwa", "killed"]) in province_row
    shown = [row.select("td")[2].get_text(strip=True) for row in page.select("#top-killed tbody tr")]
    assert shown == [number(v) for v in top["killed"]]
    assert (
        f"{share(near / totals['incidents'])} of incidents ({number(near)})"
        in page.select_one("#border-summary").get_text()
    )
    assert page.select_one("#synthetic-banner") is not None  # the sample has SYNTHETIC records

    # and so does the PDF
    pages, text, _ = _pdf_text(run / REPORT_PDF)
    flat = " ".join(text.split())
    for value in (totals["killed"], totals["incidents"], totals["injured"], near):
        assert number(value) in flat
    assert "SYNTHETIC" in flat and f"page 1 of {pages}" in flat


def test_pdf_pages_size_and_page_images(sample_run_dir):
    _needs_pdf()
    pages, text, size = _pdf_text(sample_run_dir / REPORT_PDF)
    assert 2 <= pages <= 6, pages
    assert size == pytest.approx((595.28, 841.89), abs=0.5)  # A4 in points
    assert (sample_run_dir / REPORT_PDF).stat().st_size < 2_000_000
    import pypdfium2

    ARTIFACTS.mkdir(exist_ok=True)
    document = pypdfium2.PdfDocument(sample_run_dir / REPORT_PDF)
    for number_ in (1, 2):
        image = document[number_ - 1].render(scale=1.5).to_pil()
        assert image.size[0] > 800
        image.save(ARTIFACTS / f"report_page{number_}.png")
    document.close()


def test_the_printed_pairs_of_tables_are_laid_out_as_the_grid_would(sample_run_dir):
    """The PDF lays each pair of tables out as a two-cell table (WeasyPrint's grid
    layout is slower); the pages are the pixels of the screen's grid."""
    _needs_pdf()
    import numpy as np
    import pypdfium2
    import weasyprint

    html = (sample_run_dir / REPORT_HTML).read_text(encoding="utf-8")
    # without the print rules that make the pairs tables, the screen's grid applies
    as_grid, removed = re.subn(r"(?m)^ +\.pair[^\n]*(display: table|padding-(left|right): 0\.5em)[^\n]*\n", "", html)
    assert removed == 4 and 'class="pair"' in html
    pages = []
    for text in (html, as_grid):
        document = pypdfium2.PdfDocument(weasyprint.HTML(string=text).write_pdf())
        pages.append([np.asarray(page.render(scale=1.5).to_pil()) for page in document])
        document.close()
    assert len(pages[0]) == len(pages[1])
    for table_page, grid_page in zip(*pages, strict=True):
        assert table_page.shape == grid_page.shape and (table_page == grid_page).all()


def _pdf_image_sizes(path) -> list[tuple[int, int]]:
    import pypdfium2
    import pypdfium2.raw as pdfium

    document = pypdfium2.PdfDocument(path)
    try:
        return [tuple(o.get_px_size()) for page in document
                for o in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_IMAGE])]
    finally:
        document.close()


def test_the_pdf_draws_the_map_that_it_asks_for_while_printing(sample_run_dir, tmp_path):
    # geo run's brief names map.png by URL in the PDF's page and WeasyPrint fetches it when it
    # reaches it (the map is still being drawn while the page is parsed); the map is on the page
    _needs_pdf()
    from PIL import Image

    from geo.report.figures import ReportInputError
    from geo.report.html import PDF_MAP_URL
    from geo.report.pdf import write_pdf

    png = (sample_run_dir / "map.png").read_bytes()
    size = Image.open(sample_run_dir / "map.png").size
    assert _pdf_image_sizes(sample_run_dir / REPORT_PDF) == [size]  # the run's brief, drawn in its child
    asked = []
    page = f'<p>before</p><img src="{PDF_MAP_URL}" style="width: 100%"><p>after</p>'
    write_pdf(page, tmp_path / "m.pdf", resources={PDF_MAP_URL: lambda: asked.append(1) or png})
    assert asked == [1] and _pdf_image_sizes(tmp_path / "m.pdf") == [size]

    def missing() -> bytes:
        raise ReportInputError("map.png is missing")

    # the resource's own error, not a warning and a page without its map
    with pytest.raises(ReportInputError, match="map.png is missing"):
        write_pdf(page, tmp_path / "n.pdf", resources={PDF_MAP_URL: missing})
    assert not (tmp_path / "n.pdf").exists()


def test_brief_in_a_real_browser_offline(sample_run_dir):
    playwright = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        message = f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)"
        if os.environ.get("GEO_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for name, viewport in (
                ("report_browser.png", {"width": 1100, "height": 1400}),
                ("report_phone.png", {"width": 390, "height": 844}),
            ):
                context = browser.new_context(viewport=viewport, offline=True)
                page = context.new_page()
                requests, errors = [], []
                page.on("request", lambda request: requests.append(request.url))
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.on("console", lambda message: message.type == "error" and errors.append(message.text))
                page.goto((sample_run_dir / REPORT_HTML).as_uri())
                page.wait_for_load_state("load")
                assert errors == []
                assert [url for url in requests if not url.startswith(("file:", "data:"))] == []
                assert page.evaluate("document.querySelector('#risk img').naturalWidth") > 500
                assert page.evaluate("document.querySelectorAll('#monthly svg path').length") > 48
                # readable on a phone: nothing wider than the screen but the scrollable tables
                assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
                page.screenshot(path=str(ARTIFACTS / name), full_page=name == "report_phone.png")
                context.close()
        finally:
            browser.close()


def test_report_is_byte_identical_and_covers_any_month(sample_run_dir, tmp_path):
    _needs_pdf()
    runner = CliRunner()
    for name in ("a", "b"):
        result = runner.invoke(cli, ["report", str(sample_run_dir), "--out", str(tmp_path / name), "-q"])
        assert result.exit_code == 0, result.output
    for file in (REPORT_HTML, REPORT_PDF, TABLES_XLSX):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
        assert (tmp_path / "a" / file).read_bytes() == (sample_run_dir / file).read_bytes(), file
    result = runner.invoke(
        cli, ["report", str(sample_run_dir), "--month", "2025-02", "--out", str(tmp_path / "m"), "-q"]
    )
    assert result.exit_code == 0, result.output
    page = _html(tmp_path / "m")
    assert page.select_one("h1").get_text(strip=True) == "February 2025"
    head = _sheet(tmp_path / "m" / TABLES_XLSX, "headline").set_index("measure")
    incidents = pd.read_parquet(sample_run_dir / "incidents.parquet")
    month = incidents[incidents["date"].str.startswith("2025-02") & incidents["in_study_area"].fillna(False)]
    january = incidents[
        incidents["date"].str.startswith("2025-01") & incidents["in_study_area"].fillna(False)
    ]
    assert head.loc["killed", "value"] == month["killed"].sum()
    assert head.loc["killed", "comparison"] == january["killed"].sum()
    assert "compared with January 2025" in page.get_text()


# ---------------------------------------------------------------- hostile text


def test_hostile_text_stays_literal_in_html_pdf_and_xlsx(tmp_path):
    _needs_pdf()
    out = _run(tmp_path, _rows(len(PAYLOADS) * 2, payloads=PAYLOADS), "hostile")
    raw = (out / REPORT_HTML).read_text(encoding="utf-8")
    page = BeautifulSoup(raw, "html.parser")
    text = page.get_text()
    for payload in PAYLOADS:
        assert payload in text, payload  # shown as written...
    assert "<img src=x" not in raw and "<script>window.__xss" not in raw and "</script><script>" not in raw
    assert page.select("script") == [] and page.select("img[onerror]") == []  # ...never parsed as markup
    assert "49" not in page.select_one("#sources").get_text()  # {{ 7*7 }} not evaluated
    workbook = openpyxl.load_workbook(out / TABLES_XLSX)
    cells = [
        cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None
    ]
    assert not [cell for cell in cells if cell.data_type == "f"], "a text cell became a formula"
    values = {cell.value for cell in cells}
    for payload in PAYLOADS:
        assert payload in values, payload
    _, pdf_text, _ = _pdf_text(out / REPORT_PDF)
    flat = " ".join(pdf_text.split())
    for payload in (
        "{{ 7*7 }}",
        "{% raw %}",
        "${7*7}",
        "=HYPERLINK(",
        "<img src=x onerror=alert(1)>",
        "@SUM(1)",
    ):
        assert payload in flat, payload


def test_a_source_name_wider_than_the_page_is_cut_and_wrapped_inside_the_pdf_pages(tmp_path):
    """A 100,000-character name without a space: before, it ran off the page,
    pushing the sources' counts and the records table out of it."""
    _needs_pdf()
    import pypdfium2
    import pypdfium2.raw as pdfium

    out = _run(tmp_path, _rows(12, payloads=["Q" * 100_000, "test feed"]), "long")
    document = pypdfium2.PdfDocument(out / REPORT_PDF)
    try:
        assert 2 <= len(document) <= 6, len(document)
        for page in document:
            width, _ = page.get_size()
            for text in page.get_objects(filter=[pdfium.FPDF_PAGEOBJ_TEXT]):
                left, _, right, _ = text.get_bounds()
                assert 0 <= left and right <= width, (left, right, width)
    finally:
        document.close()
    _, pdf_text, _ = _pdf_text(out / REPORT_PDF)
    flat = " ".join(pdf_text.split())
    assert "(cut: 100,000 characters in all)" in flat and "Records" in flat
    sources = _html(out).select_one("#sources")
    counts = {row.select("td")[0].get_text()[:5]: row.select("td")[1].get_text() for row in sources.select("tbody tr")}
    assert counts == {"QQQQQ": "6", "test ": "6"}
    # tables.xlsx: a cell holds 32,767 characters; the name is cut there, saying so
    sources = _sheet(out / TABLES_XLSX, "sources")
    cells = [text for text in sources.astype(str).to_numpy().ravel() if text.startswith("QQQ")]
    assert cells and all(len(cell) == 32_767 and cell.endswith(
        "… (cut: 100,000 characters in all; run.json holds it whole)") for cell in cells)


# ---------------------------------------------------------------- small runs


def test_forty_rows_brief_is_complete_and_identical_across_runs(tmp_path):
    _needs_pdf()
    first = _run(tmp_path, _rows(40), "forty")
    second = _run(tmp_path, _rows(40), "forty_again")
    for file in (REPORT_HTML, REPORT_PDF, TABLES_XLSX):
        assert (first / file).read_bytes() == (second / file).read_bytes(), file
    page = _html(first)
    assert [section["id"] for section in page.select("main > section")] == SECTIONS
    assert page.select_one("#synthetic-banner") is None  # no SYNTHETIC record
    assert set(openpyxl.load_workbook(first / TABLES_XLSX, read_only=True).sheetnames) == set(SHEETS)
    record = json.loads((first / "run.json").read_text())
    assert {REPORT_HTML, REPORT_PDF, TABLES_XLSX} <= set(record["outputs"]) and "warnings" not in record
    actors = _sheet(first / TABLES_XLSX, "actors")
    # "TTP" on the actor table's name; "unknown" is no group: the last row, unidentified
    assert list(actors["group"]) == ["Tehrik-i-Taliban Pakistan", "unidentified"]
    assert list(actors["family"]) == ["Tehrik-i-Taliban Pakistan and factions", "unidentified"]
    assert list(actors["attacks"]) == [26, 14]  # k % 3 != 0 of the 40 rows, then the others
    # all 40 in the period and the study area: the run's monthly_actor_groups.csv, summed over the months
    run_groups = pd.read_csv(first / "monthly_actor_groups.csv").groupby("actor_group")[["events", "killed"]]
    run_groups = run_groups.sum()
    assert actors.set_index("group")[["attacks", "killed"]].to_numpy().tolist() == \
        run_groups.loc[actors["group"]].to_numpy().tolist()
    table = _html(first).select_one("#actor-table")
    assert [th.get_text() for th in table.select("thead th")][:2] == ["Group", "Family"]
    assert table.select("tbody tr")[-1]["class"] == ["unidentified"]


def test_an_older_run_folder_without_actor_groups_counts_the_perpetrator_field(tmp_path):
    """A run folder written before the actor table (no actor_group column):
    the group table falls back to the perpetrator field, as written."""
    _needs_pdf()
    rows = _rows(12)
    for k, row in enumerate(rows):
        row["perpetrator"] = ("<b>TTP</b> {{ 7*7 }}", "BLA", "unknown")[k % 3]
    out = _run(tmp_path, rows, "old")
    incidents = pd.read_parquet(out / "incidents.parquet")
    incidents.drop(columns=["actor_group", "actor_family"]).to_parquet(out / "incidents.parquet")
    result = CliRunner().invoke(cli, ["report", str(out), "--out", str(tmp_path / "brief"), "-q"])
    assert result.exit_code == 0, result.output
    actors = _sheet(tmp_path / "brief" / TABLES_XLSX, "actors")
    assert list(actors["group"]) == ["<b>TTP</b> {{ 7*7 }}", "BLA", "unidentified"]
    assert list(actors["attacks"]) == [4, 4, 4]
    assert actors["family"].isna().all()
    page = _html(tmp_path / "brief")
    table = page.select_one("#actor-table")
    assert [th.get_text() for th in table.select("thead th")][0] == "Group (perpetrator field)"
    assert "Family" not in table.get_text() and table.select("b") == []
    assert "<b>TTP</b> {{ 7*7 }}" in table.get_text()
    assert "predates the actor table" in page.select_one("#actors").get_text()


def test_one_month_run_against_an_empty_previous_month(tmp_path):
    _needs_pdf()
    out = _run(tmp_path, _rows(12, start_month=6), "june", "--start", "2024-06-01", "--end", "2024-06-30")
    head = _sheet(out / TABLES_XLSX, "headline").set_index("measure")
    assert head.loc["incidents", "comparison"] == 0 and head.loc["incidents", "value"] > 0
    assert pd.isna(head.loc["incidents", "change_pct"])  # no division by zero
    page = _html(out)
    card = page.select_one('.card[data-measure="incidents"] .change').get_text()
    assert f"+{head.loc['incidents', 'value']}, new" in card
    assert "Against May 2024" in page.select_one("#summary").get_text()
    assert [section["id"] for section in page.select("main > section")] == SECTIONS
    pages, _, _ = _pdf_text(out / REPORT_PDF)
    assert pages >= 2


def test_change_wording():
    assert change(12, 0) == "+12, new"
    assert change(0, 0) == "no change"
    assert change(1634, 1459) == "+175 (+12 %)"
    assert change(90, 100) == "\u221210 (\u221210 %)"
    assert number(1634) == "1,634"


def test_the_period_incidents_of_a_few_columns_are_the_same_rows(sample_run_dir):
    from geo.report.periods import make_period, study_period_incidents

    incidents = pd.read_parquet(sample_run_dir / "incidents.parquet")
    period = make_period(pd.Timestamp("2024-06-01"), pd.Timestamp("2024-12-31"), "period")
    whole = study_period_incidents(incidents, period)
    narrow = study_period_incidents(incidents, period, ["killed", "source", "no_such_column"])
    assert 0 < len(whole) < len(incidents)
    assert list(narrow.columns) == ["killed", "source"]
    pd.testing.assert_frame_equal(narrow, whole[["killed", "source"]])


# ---------------------------------------------------------------- compare, errors, no PDF engine


def test_compare_two_runs(tmp_path):
    a = _run(tmp_path, _rows(20), "a")
    b = _run(tmp_path, _rows(40), "b")
    result = CliRunner().invoke(cli, ["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "-q"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cmp" / "compare_districts.csv")
    assert len(table) == 72
    total_a = pd.read_csv(a / "summary_districts.csv")["killed"].sum()
    total_b = pd.read_csv(b / "summary_districts.csv")["killed"].sum()
    assert table["killed_change"].sum() == total_b - total_a
    assert (
        "compare_districts" in openpyxl.load_workbook(tmp_path / "cmp" / "compare_districts.xlsx").sheetnames
    )
    # neither run holds a generator record
    assert not table["synthetic_data"].any()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--month", "2025-13"], "--month"),
        (["--compare-to", "last year"], "--compare-to"),
        (["--compare-to", "2024-05-01..2024-01-01"], "comparison period"),
        (["--month", "9999-12"], "1900-2100"),
        (["--compare-to", "0001-01-01..9999-12-31"], "comparison period 0001-01-01 to 9999-12-31"),
        (["--start", "1800-01-01", "--end", "2025-01-01"], "1900-2100"),
    ],
)
def test_report_errors_are_one_line(sample_run_dir, tmp_path, arguments, named):
    result = CliRunner().invoke(cli, ["report", str(sample_run_dir), "--out", str(tmp_path / "o"), *arguments])
    assert_one_line_error(result, named)
    assert not (tmp_path / "o").exists()


def test_report_of_a_folder_without_a_run(tmp_path):
    assert_one_line_error(CliRunner().invoke(cli, ["report", str(tmp_path)]), "run.json")


def test_without_pango_the_run_completes_and_says_so(tmp_path, monkeypatch):
    import geo.report

    monkeypatch.setattr(geo.report, "pdf_engine_problem", lambda: "WeasyPrint needs the Pango library (test)")
    out = _run(tmp_path, _rows(20), "nopdf")
    record = json.loads((out / "run.json").read_text())
    assert record["complete"] is True and record["warnings"] == [
        "report.pdf not written: WeasyPrint needs the Pango library (test)"
    ]
    assert (out / REPORT_HTML).is_file() and (out / TABLES_XLSX).is_file() and not (out / REPORT_PDF).exists()
    result = CliRunner().invoke(cli, ["report", str(out)])
    assert_one_line_error(result, "report.pdf not written", "Pango")
    assert write_report(out).pdf is None


@pytest.mark.parametrize("command", ["report", "compare"])
def test_an_out_folder_that_cannot_be_made_is_one_line(sample_run_dir, tmp_path, command):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    runs = [str(sample_run_dir)] * (2 if command == "compare" else 1)
    result = CliRunner().invoke(cli, [command, *runs, "--out", str(blocker / "brief"), "-q"])
    assert_one_line_error(result, "cannot write the output folder", "is a file")
    assert blocker.read_text() == "not a folder"


def test_compare_of_two_district_vintages_is_one_line(sample_run_dir, tmp_path):
    other = tmp_path / "pre2022"
    shutil.copytree(sample_run_dir, other)
    run = json.loads((other / "run.json").read_text(encoding="utf-8"))
    run["settings"]["district_vintage"] = "pre2022"
    (other / "run.json").write_text(json.dumps(run), encoding="utf-8")
    result = CliRunner().invoke(cli, ["compare", str(sample_run_dir), str(other), "--out", str(tmp_path / "c")])
    assert_one_line_error(result, "pre2022", "current", "district_vintage")
    assert not (tmp_path / "c").exists()


DAMAGED_FILES = [
    ("incidents.parquet", b"garbage", "cannot read"),
    ("summary_districts.csv", b"a,b\n1,2\n", "lacks the column(s) district_id"),
    ("summary_districts.csv", b"\xff\xfe\x00garbage", "cannot read"),
]


@pytest.mark.parametrize(
    ("name", "content", "named", "command"),
    # geo compare reads summary_districts.csv only
    [(*case, command) for case in DAMAGED_FILES for command in ("report", "compare", "map")
     if not (command == "compare" and case[0] == "incidents.parquet")],
)
def test_a_damaged_run_file_is_one_line(sample_run_dir, tmp_path, name, content, named, command):
    damaged = tmp_path / "damaged"
    shutil.copytree(sample_run_dir, damaged, ignore=shutil.ignore_patterns("map.html", "map.png"))
    (damaged / name).write_bytes(content)
    if command == "map" and name != "incidents.parquet":
        (damaged / "districts_risk.geojson").write_bytes(content)
        name, named = "districts_risk.geojson", "cannot read"
    arguments = {
        "report": ["report", str(damaged), "--out", str(tmp_path / "brief"), "-q"],
        "compare": ["compare", str(sample_run_dir), str(damaged), "--out", str(tmp_path / "brief"), "-q"],
        "map": ["map", str(damaged), "-q"],
    }[command]
    assert_one_line_error(CliRunner().invoke(cli, arguments), named, name)
    assert not (tmp_path / "brief").exists() and not (damaged / "map.html").exists()
