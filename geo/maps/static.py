"""A static overview image (PNG) for reports and email bodies, drawn with matplotlib.

Districts coloured by risk class, Afghan border districts in grey for context,
province outlines, the border, the deadliest incidents of the period (inside the
study area), a legend, the period, the attribution and, for synthetic data, a
SYNTHETIC DATA label.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure  # used without pyplot: no backend or global figure state
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from geo.export.vector import atomic_path
from geo.maps.content import BORDER_COLOUR, OTHER_TYPE_COLOUR, RISK_CLASS_COLOURS, MapContent

TOP_INCIDENTS = 25
DPI = 110
ATTRIBUTION_WRAP_CHARS = 230  # about the figure's width at 6.5 pt


def overview_figure(content: MapContent, top_incidents: int = TOP_INCIDENTS) -> Figure:
    """The overview as a matplotlib figure (not attached to pyplot, so no global state).

    Mathtext is off for every text of the figure (texts take the setting when
    they are made): a ``$…$`` in a source name is drawn as it is, never parsed.
    """
    with matplotlib.rc_context({"text.parse_math": False}):
        return _draw_overview(content, top_incidents)


def _draw_overview(content: MapContent, top_incidents: int) -> Figure:
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
    figure.legend(handles=handles, loc="center left", bbox_to_anchor=(0.71, 0.5), fontsize=9, title="Risk class",
                  title_fontsize=10, frameon=False)
    # Wrapped here, not by matplotlib: its wrapping measures "$…$" as mathtext
    # even with parse_math off.
    attribution = textwrap.fill("Data: " + str(content.run.get("attribution", "")), ATTRIBUTION_WRAP_CHARS,
                                break_long_words=True, break_on_hyphens=False)
    figure.text(0.02, 0.05, attribution, fontsize=6.5, color="#333333", va="top")
    if content.synthetic:
        figure.text(0.5, 0.89, "SYNTHETIC DATA: includes records made by geo's generator, not real events",
                    ha="center", fontsize=11, color="white", weight="bold",
                    bbox={"facecolor": "#b00020", "edgecolor": "none", "pad": 4})
    return figure


def write_overview_png(content: MapContent, path: Path) -> Path:
    """Write the overview PNG atomically (no timestamp in it: same inputs, same bytes)."""
    figure = overview_figure(content)
    with atomic_path(Path(path)) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI, metadata={"Software": None})
    return Path(path)
