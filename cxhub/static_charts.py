"""Static charts for print (the meeting pack's PDF): pure functions from the
same small frames as cxhub.charts to PNG bytes. matplotlib renders them in
process, with no browser and no network."""

from __future__ import annotations

import io
import textwrap

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cxhub.charts import COST_SIZES, INK, OWNER_COLORS, STATUS_COLORS, TARGET, spread_scores
from cxhub.kpis.catalog import KPIS

DPI = 150


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    return buf.getvalue()


def trend_png(trend: pd.DataFrame, kpi_id: str, title: str | None = None) -> bytes:
    """A KPI by month against its target. trend: bucket_start, value, target."""
    k = KPIS[kpi_id]
    fig = Figure(figsize=(7.5, 2.6))
    ax = fig.add_subplot()
    x = pd.to_datetime(trend["bucket_start"])
    ax.plot(x, trend["value"].astype(float), color=INK, linewidth=2.2, marker="o", markersize=4, label=k.name)
    if trend["target"].notna().any():
        ax.plot(x, trend["target"].astype(float), color=TARGET, linestyle="--", linewidth=1.5, label="Target")
    if title != "":  # "": the page's heading already names it
        ax.set_title(textwrap.fill(title or k.name, 70), loc="left", fontsize=11, color=INK)
    ax.set_ylabel(k.shown_unit, fontsize=9)
    ax.grid(axis="y", color="#eceff1")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    if k.fmt == "count":  # whole incidents, never 2.5
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, frameon=False, loc="best")
    fig.autofmt_xdate()
    return _png(fig)


def matrix_png(initiatives: pd.DataFrame) -> bytes:
    """Agreed impact against agreed effort, bubbles coloured by owner and
    sized by cost band; a red ring marks 'needs discussion'."""
    scored = spread_scores(initiatives)
    fig = Figure(figsize=(7.5, 4.6))
    ax = fig.add_subplot()
    for owner, color in OWNER_COLORS.items():
        part = scored[scored["owner"] == owner]
        if part.empty:
            continue
        ax.scatter(part["x"], part["agreed_impact"], s=part["cost_band"].map(COST_SIZES) ** 2 / 2.2,
                   color=color, alpha=0.85, label=owner,
                   edgecolors=[STATUS_COLORS["red"] if d else "white" for d in part["needs_discussion"]],
                   linewidths=[2.5 if d else 1 for d in part["needs_discussion"]])
        for r in part.itertuples():
            # On paper the number alone (the ranked table under the chart names it):
            # titles of neighbouring bubbles ran into each other.
            ax.annotate(f"#{r.initiative_id}", (r.x, r.agreed_impact), xytext=(0, 0), textcoords="offset points",
                        ha="center", va="center", color="white", fontsize=7, fontweight="bold")
    ax.plot([0.5, 5.5], [0.5, 5.5], color="#cfd8dc", linestyle=":")
    for x, y, text in ((1.2, 5.25, "quick wins"), (4.8, 5.25, "big bets"), (1.2, 0.75, "fill-ins"),
                       (4.8, 0.75, "money pits")):
        ax.text(x, y, text, ha="center", color=TARGET, fontsize=9)
    ax.set_xlim(0.5, 5.5)
    ax.set_ylim(0.5, 5.5)
    ax.set_xlabel("Agreed effort / risk (1–5)", fontsize=9)
    ax.set_ylabel("Agreed customer impact (1–5)", fontsize=9)
    ax.grid(color="#eceff1")
    ax.set_axisbelow(True)  # grid lines behind the bubbles, not through their numbers
    ax.spines[["top", "right"]].set_visible(False)
    if not scored.empty:
        ax.legend(fontsize=8, frameon=False, loc="upper right", bbox_to_anchor=(1.0, 0.93), markerscale=0.5)
    return _png(fig)
