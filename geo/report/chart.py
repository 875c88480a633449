"""The brief's monthly chart: killed per month and victim category in each
province, drawn with matplotlib as SVG text to inline in the HTML."""

from __future__ import annotations

import io

import matplotlib
import pandas as pd
from matplotlib.figure import Figure  # without pyplot: no backend or global figure state

CATEGORIES = (  # column, label, colour (colour-blind safe, Okabe–Ito)
    ("killed_civilians", "Civilians", "#E69F00"),
    ("killed_security", "Security forces", "#0072B2"),
    ("killed_militants", "Militants", "#009E73"),
    ("killed_unknown", "Not given", "#999999"),
)


def monthly_chart_svg(monthly: pd.DataFrame, synthetic: bool) -> str:
    """An ``<svg>`` element: stacked monthly bars of killed by victim category,
    one panel per province (the ``monthly_by_province`` table of the brief).

    The same table gives the same bytes: no date in the metadata, fixed ids.
    """
    provinces = sorted(monthly["province"].unique())
    months = sorted(monthly["month"].unique())
    style = {
        "svg.fonttype": "none",
        "svg.hashsalt": "geo-report",
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "text.parse_math": False,
    }
    with matplotlib.rc_context(style):
        figure = Figure(figsize=(7.0, 2.6))
        axes = figure.subplots(1, max(len(provinces), 1), sharey=True, squeeze=False)
        for axis, province in zip(axes[0], provinces, strict=False):
            table = monthly[monthly["province"] == province].set_index("month").reindex(months, fill_value=0)
            bottom = pd.Series(0, index=table.index, dtype="int64")
            positions = range(len(months))
            for column, label, colour in CATEGORIES:
                axis.bar(positions, table[column], bottom=bottom, color=colour, label=label, width=0.75)
                bottom = bottom + table[column]
            axis.set_title(province, fontsize=9)
            axis.set_xticks(list(positions), [_month_label(m) for m in months], rotation=90, fontsize=7)
            axis.tick_params(axis="y", labelsize=7)
            axis.grid(axis="y", linewidth=0.4, color="#dddddd")
            axis.set_axisbelow(True)
        axes[0][0].set_ylabel("killed")
        handles, labels = axes[0][0].get_legend_handles_labels()
        figure.legend(
            handles, labels, loc="upper center", ncol=4, frameon=False, fontsize=7, bbox_to_anchor=(0.5, 1.02)
        )
        if synthetic:
            figure.text(
                0.005, 0.995, "Includes SYNTHETIC data", ha="left", va="top", fontsize=7, color="#b00020"
            )
        figure.tight_layout(rect=(0, 0, 1, 0.92))
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    start = text.index("<svg")
    svg = text[start:]
    return svg.replace(
        "<svg ", '<svg role="img" aria-label="Killed per month and victim category, by province" ', 1
    )


def _month_label(month: str) -> str:
    period = pd.Period(month, freq="M")
    return f"{period:%b %y}"
