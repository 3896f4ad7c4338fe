"""A KPI tile, the owner and status badges, and the freshness line: every
number shows its definition one hover away and when its data was loaded."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from cxhub.kpis.catalog import KPIS, MIN_RESPONSES, KPI
from cxhub.kpis.engine import family_table

STATUS_BADGE = {"green": ("On target", "green"), "amber": ("Near target", "orange"),
                "red": ("Off target", "red"), "none": ("No target", "gray")}
OWNER_COLOR = {"CMO": "violet", "CIO": "blue", "Joint": "gray"}


def definition(k: KPI) -> str:
    """The hover text of a KPI: business and technical definition."""
    return (
        f"**{k.name}** ({k.unit}, {k.better} is better; owner {k.owner})\n\n"
        f"**What it means:** {k.business}\n\n"
        f"**How it is computed:** {k.technical}"
    )


def kpi_tile(row: dict, freshness: str) -> None:
    """One scorecard tile from a scorecard() row."""
    k = KPIS[row["id"]]
    value = row["value"]
    too_few = bool(row.get("too_few"))
    delta = None if pd.isna(row["change"]) else row["change"]
    with st.container(border=True):
        label = k.name
        shown = "Too few responses" if too_few else k.format(None if pd.isna(value) else value)
        st.metric(
            label, shown,
            delta=None if delta is None or too_few else k.format_change(delta),
            delta_color="normal" if k.better == "higher" else "inverse",
            help=definition(k),
        )
        cols = st.columns([1, 1])
        with cols[0]:
            st.badge(k.owner, color=OWNER_COLOR[k.owner], help=f"Owner: {k.owner}")
        with cols[1]:
            if too_few:
                st.badge("n < 30", color="gray", help=f"Fewer than {MIN_RESPONSES} responses: not rated.")
            else:
                label_, color = STATUS_BADGE[row["status"]]
                st.badge(label_, color=color, help=_target_text(k, row))
        st.caption(_detail(k, row, freshness))


def _target_text(k: KPI, row: dict) -> str:
    if pd.isna(row["target"]):
        return "No target set for this KPI."
    band = row.get("amber_band")
    return (f"Target {k.format(row['target'])} ({k.better} is better); amber within "
            f"{k.format_change(band).lstrip('+')} on the wrong side.")


def _detail(k: KPI, row: dict, freshness: str) -> str:
    parts = []
    if not pd.isna(row["target"]):
        parts.append(f"target {k.format(row['target'])}")
    parts.append(f"prev {k.format(None if pd.isna(row['previous']) else row['previous'])}")
    if not pd.isna(row["n"]):
        n_text = f"n={int(row['n']):,}"
        if not pd.isna(row.get("moe")):
            n_text += f" ±{row['moe']:.1f}"
        parts.append(n_text)
    parts.append(freshness)
    return " · ".join(parts)


def ago(ts) -> str:
    if ts is None or pd.isna(ts):
        return "never loaded"
    seconds = (datetime.utcnow() - pd.Timestamp(ts).to_pydatetime()).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"


def freshness_text(fresh: pd.DataFrame, table: str | None = None) -> str:
    """'data to 2026-10-31, loaded 2 h ago' for a table (or all tables)."""
    rows = fresh if table is None else fresh[fresh.table_name == table]
    data_to = [d for d in rows["data_to"] if not pd.isna(d)]
    loaded = [d for d in rows["loaded_at"] if not pd.isna(d)]
    if not data_to:
        return "no data loaded"
    return f"data to {pd.Timestamp(max(data_to)).date()}, loaded {ago(max(loaded) if loaded else None)}"


def kpi_freshness(fresh: pd.DataFrame, kpi_id: str) -> str:
    return freshness_text(fresh, family_table(KPIS[kpi_id].family))
