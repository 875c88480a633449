"""A static overview image (PNG) for reports and email bodies, drawn with matplotlib.

Districts coloured by risk class, Afghan border districts in grey for context,
province outlines, the border, the deadliest incidents of the period (inside the
study area), the names of the districts with the highest risk scores, a scale
bar, a legend, the period, the attribution and, for synthetic data, a SYNTHETIC
DATA label.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.font_manager import FontProperties
from matplotlib.figure import Figure  # used without pyplot: no backend or global figure state
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import Bbox
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from geo.atomic import atomic_path
from geo.attribution import cut_note
from geo.maps.content import BORDER_COLOUR, OTHER_TYPE_COLOUR, RISK_CLASS_COLOURS, MapContent

TOP_INCIDENTS = 25
TOP_DISTRICTS = 8  # labelled by name: the highest risk scores of the period
SCALE_BAR_KM = 100
KM_PER_DEGREE_LATITUDE = 111.32
# where a label may sit around its district's inner point (points): on it, then
# above, below, beside and diagonal, farther out second; the first free one is taken
LABEL_OFFSETS_PT = ((0, 0), (0, 14), (0, -14), (30, 0), (-30, 0), (26, 14), (-26, 14), (26, -14), (-26, -14),
                    (0, 28), (0, -28), (48, 0), (-48, 0), (40, 24), (-40, 24), (40, -24), (-40, -24))
DPI = 110
ATTRIBUTION_FONT_PT = 6.5
ATTRIBUTION_LEFT = 0.02  # of the figure's width, as the margin on the right
ATTRIBUTION_WRAP_CHARS = 230  # about the figure's width at 6.5 pt, in ordinary text
ATTRIBUTION_MIN_CHARS = 40
ATTRIBUTION_MAX_LINES = 3  # what the space below the map holds (every real attribution so far takes 2)


def overview_figure(content: MapContent, top_incidents: int = TOP_INCIDENTS,
                    top_districts: int = TOP_DISTRICTS) -> Figure:
    """The overview as a matplotlib figure (not attached to pyplot, so no global state).

    Mathtext is off for every text of the figure (texts take the setting when
    they are made): a ``$…$`` in a source name is drawn as it is, never parsed.
    """
    with matplotlib.rc_context({"text.parse_math": False}):
        return _draw_overview(content, top_incidents, top_districts)


def top_risk_districts(districts: pd.DataFrame, count: int = TOP_DISTRICTS) -> pd.DataFrame:
    """The ``count`` districts with the highest risk score that had an incident
    in the period; ties by killed, then by name (so the choice is stable)."""
    active = districts[districts["incidents"].fillna(0) > 0]
    return active.sort_values(["risk_score", "killed", "district"], ascending=[False, False, True],
                              kind="mergesort").head(count)


def _label_districts(figure: Figure, axes, districts: pd.DataFrame) -> list:
    """Name each district at the first spot around its inner point where the
    label overlaps no earlier label; a label off its district gets a leader line."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    axes.apply_aspect()  # else drawing moves the axes after the labels were placed
    style = {"textcoords": "offset points", "ha": "center", "va": "center", "fontsize": 7.5, "weight": "bold",
             "color": "#111111", "zorder": 7, "annotation_clip": False,
             "path_effects": [patheffects.withStroke(linewidth=2.5, foreground="white")]}
    leader = {"arrowstyle": "-", "color": "#111111", "linewidth": 0.6, "shrinkA": 0, "shrinkB": 0}
    taken: list[Bbox] = []
    labels = []
    for _, district in districts.iterrows():
        point = district.geometry.representative_point()
        name, anchor = str(district["district"]), (point.x, point.y)
        probe = axes.annotate(name, anchor, xytext=(0, 0), **style)
        offset = LABEL_OFFSETS_PT[0]
        for offset in LABEL_OFFSETS_PT:  # the last one is kept if none is free
            probe.set_position(offset)
            if not any(_box(probe, renderer).overlaps(other) for other in taken):
                break
        probe.remove()
        label = axes.annotate(name, anchor, xytext=offset, arrowprops=leader if offset != (0, 0) else None, **style)
        taken.append(_box(label, renderer))
        labels.append(label)
    return labels


def _box(label, renderer) -> Bbox:
    """A label's extent on the page with a little room around it."""
    return label.get_window_extent(renderer).expanded(1.08, 1.2)


def _scale_bar(axes, mid_latitude: float, km: int = SCALE_BAR_KM) -> AnchoredSizeBar:
    """A bar of ``km`` kilometres at the map's mid-latitude (the axes are in
    degrees, stretched so that distances are true there)."""
    degrees = km / (KM_PER_DEGREE_LATITUDE * np.cos(np.deg2rad(mid_latitude)))
    bar = AnchoredSizeBar(axes.transData, degrees, f"{km} km", loc="lower right", pad=0.6, borderpad=0.8,
                          sep=3, frameon=False, size_vertical=0.04, color="#222222", fontproperties={"size": 8})
    axes.add_artist(bar)
    return bar


def _draw_overview(content: MapContent, top_incidents: int, top_districts: int) -> Figure:
    figure = Figure(figsize=(11.0, 9.0), dpi=DPI)
    axes = figure.add_axes((0.02, 0.08, 0.68, 0.82))
    districts = content.units["districts_risk"]
    context = content.context
    context["afghan_border_districts"].plot(ax=axes, color="#e3e3e3", edgecolor="#9e9e9e", linewidth=0.4)
    colours = districts["risk_class"].map(RISK_CLASS_COLOURS).fillna(OTHER_TYPE_COLOUR)
    districts.plot(ax=axes, color=colours.tolist(), edgecolor="#555555", linewidth=0.4)
    context["provinces"].boundary.plot(ax=axes, color="#222222", linewidth=1.2)
    context["border"].plot(ax=axes, color=BORDER_COLOUR, linewidth=2.0, linestyle=(0, (5, 3)))
    # the period's, inside the study area: the incidents the risk classes measure
    top = content.period_incidents.head(top_incidents)
    top = top[top["killed"].fillna(0) > 0]
    if len(top):
        axes.scatter(top["lon"].astype(float), top["lat"].astype(float), s=12 + 6 * top["killed"].to_numpy(dtype=float),
                     facecolor="none", edgecolor="#08306b", linewidth=1.1, zorder=5)
    west, south, east, north = districts.total_bounds
    axes.set_xlim(west - 0.3, east + 0.3)
    axes.set_ylim(south - 0.3, north + 0.3)
    axes.set_aspect(1 / np.cos(np.deg2rad((south + north) / 2)))  # equal distances at mid-latitude
    axes.set_axis_off()
    _scale_bar(axes, (south + north) / 2)
    named = top_risk_districts(districts, top_districts)
    _label_districts(figure, axes, named)
    start, end = content.period
    figure.suptitle(f"Incident risk index by district, {start} to {end}: Khyber Pakhtunkhwa and Balochistan",
                    fontsize=13, y=0.975)
    figure.text(0.5, 0.925, f"{len(content.period_incidents):,} incidents in the period inside KP and Balochistan"
                f" · {content.incidents_total:,} accepted (all dates and places)", ha="center", fontsize=10)
    handles = [Patch(facecolor=colour, edgecolor="#555555", label=name) for name, colour in RISK_CLASS_COLOURS.items()]
    handles += [Patch(facecolor="#e3e3e3", edgecolor="#9e9e9e", label="Afghan border districts (context)"),
                Line2D([], [], color=BORDER_COLOUR, linewidth=2, linestyle=(0, (5, 3)), label="Pakistan–Afghanistan border"),
                Line2D([], [], color="#222222", linewidth=1.2, label="Province boundary")]
    if len(top):
        handles.append(Line2D([], [], marker="o", linestyle="none", markerfacecolor="none", markeredgecolor="#08306b",
                              label=f"{len(top)} deadliest incidents of the period\n(size: killed)"))
    if len(named):
        handles.append(Patch(facecolor="none", edgecolor="none",
                             label=f"Names: the {len(named)} districts with\nthe highest risk scores"))
    figure.legend(handles=handles, loc="center left", bbox_to_anchor=(0.71, 0.5), fontsize=9, title="Risk class",
                  title_fontsize=10, frameon=False)
    # Wrapped here, not by matplotlib: its wrapping measures "$…$" as mathtext
    # even with parse_math off.
    attribution = attribution_lines("Data: " + str(content.run.get("attribution", "")),
                                    (1 - 2 * ATTRIBUTION_LEFT) * figure.get_figwidth())
    figure.text(ATTRIBUTION_LEFT, 0.05, attribution, fontsize=ATTRIBUTION_FONT_PT, color="#333333", va="top")
    if content.synthetic:
        figure.text(0.5, 0.89, "SYNTHETIC DATA: includes records made by geo's generator, not real events",
                    ha="center", fontsize=11, color="white", weight="bold",
                    bbox={"facecolor": "#b00020", "edgecolor": "none", "pad": 4})
    return figure


def attribution_lines(text: str, width_inches: float, dpi: float = DPI) -> str:
    """``text`` wrapped to ``width_inches`` at :data:`ATTRIBUTION_FONT_PT` (as
    drawn at ``dpi``), on at most :data:`ATTRIBUTION_MAX_LINES` lines: a longer
    text (or one of words wider than the line) is cut, saying so, where it
    would run off the image."""
    renderer = RendererAgg(1, 1, dpi)  # measured as the PNG draws it (glyphs hinted to its pixels)
    font = FontProperties(size=ATTRIBUTION_FONT_PT)
    width_px = width_inches * dpi
    chars = ATTRIBUTION_WRAP_CHARS
    while True:
        lines = textwrap.wrap(text, chars, break_long_words=True, break_on_hyphens=False)
        if len(lines) > ATTRIBUTION_MAX_LINES:
            marker = cut_note(len(text), whole_in_run_json=True)
            last = lines[ATTRIBUTION_MAX_LINES - 1][: max(chars - len(marker), 0)]
            lines = [*lines[: ATTRIBUTION_MAX_LINES - 1], last + marker]
        widest = max((renderer.get_text_width_height_descent(line, font, ismath=False)[0] for line in lines),
                     default=0.0)
        if widest <= width_px or chars <= ATTRIBUTION_MIN_CHARS:
            return "\n".join(lines)
        # wide glyphs (or a word cut to the line): fewer characters a line
        chars = max(ATTRIBUTION_MIN_CHARS, int(chars * width_px / widest))


def write_overview_png(content: MapContent, path: Path) -> Path:
    """Write the overview PNG atomically (no timestamp in it: same inputs, same bytes)."""
    figure = overview_figure(content)
    with atomic_path(Path(path)) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    return Path(path)
