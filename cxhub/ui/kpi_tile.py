"""A KPI tile, the owner and status badges, and the freshness line: every
number shows its definition one hover away and when its data was loaded."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from cxhub.kpis.catalog import KPIS, KPI
from cxhub.plaintext import md, md_value

# Streamlit's badge colour for each status; the words come from the engine's `note`.
STATUS_COLOR = {"green": "green", "amber": "orange", "red": "red", "none": "gray"}
OWNER_COLOR = {"CMO": "violet", "CIO": "blue", "Joint": "gray"}
GREY = "#9e9e9e"


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and x != x) or x is pd.NaT


def definition(k: KPI, row: dict | None = None) -> str:
    """The hover text of a KPI: business and technical definition and, for a
    value, its n, 95% interval and the source's data range."""
    text = (
        f"**{k.name}** ({md(k.shown_unit)}, {k.better} is better; owner {k.owner})\n\n"
        f"**What it means:** {k.business}\n\n"
        f"**How it is computed:** {k.technical}"
    )
    if row is None:
        return text
    facts = [f"n = {int(row['n']):,} ({k.sample})"]
    if not _missing(row.get("interval_low")):
        low, high = k.format(row["interval_low"]), k.format(row["interval_high"])
        facts.append(f"95% interval {md_value(low)} to {md_value(high)}")
    if not _missing(row.get("data_from")):
        facts.append(f"{k.source.replace('_', ' ')} data {row['data_from']} to {row['data_through']}")
    if "previous" in row:
        facts.append(f"previous period {md_value(k.format(None if _missing(row['previous']) else row['previous']))}")
    return text + "\n\n**This value:** " + " · ".join(facts)


# Why a touchpoint's order KPIs sit below the company's, said where both are shown.
CHANNEL_ORDERS_NOTE = (
    "A touchpoint's retention, churn and repeat purchase count its own orders only: a customer who bought on the "
    "web last month and in a store this month is retained by the company but not by the web. So each channel's "
    "retention is lower than the company's, and the channels do not add up to it.")


def judged(row: dict) -> bool:
    """A value the engine judged (complete and from enough data)."""
    return bool(row["complete"]) and not row["small_sample"]


# Tiles whose value is not judged (partial, or from too few) sit in a
# container keyed "muted-…"; Streamlit gives it the class st-key-muted-….
MUTED_CSS = (f"<style>[class*='st-key-muted-'] [data-testid='stMetricValue'] {{ color: {GREY}; }}</style>")


def kpi_tile(row: dict, key: str | None = None, link: tuple | None = None) -> None:
    """One scorecard tile from a scorecard() row: the value (grey when it is
    partial or from too few), its change when comparable, the status in
    words and colour, target, previous and n. `key` tells tiles of the same
    KPI on one page apart (default: the KPI's id); `link`, (page, query
    parameters), makes the tile's title a link there (the KPI in depth), in
    the same tab and session."""
    k = KPIS[row["id"]]
    value = None if _missing(row["value"]) else row["value"]
    change = None if _missing(row["change"]) else row["change"]
    muted = value is not None and not judged(row)
    st.html(TILE_CSS)
    if muted:
        st.html(MUTED_CSS)
    with st.container(border=True, key=f"{'muted' if muted else 'tile'}-{key or k.id}"):
        hover = definition(k, row) + "\n\n" + _target_text(k, row)
        if link:
            st.page_link(link[0], label=k.label, query_params=link[1], help=hover)
        st.metric(
            k.label, k.format(value),
            delta=None if change is None else k.format_change(change),
            delta_color="off" if change is None or k.is_no_change(change)
            else ("normal" if k.better == "higher" else "inverse"),
            help=None if link else hover, label_visibility="collapsed" if link else "visible",
        )
        # One line of badges (our own words, not data): owner and status.
        st.markdown(f":{OWNER_COLOR[k.owner]}-badge[{k.owner}] "
                    f":{STATUS_COLOR[row['status']]}-badge[{badge_words(row)}]")
        st.caption(detail(k, row) if not muted else f"{_why_grey(row['note'])} · {detail(k, row)}")


def badge_words(row: dict) -> str:
    """The status words, short enough for a tile's badge (the caption under
    it carries the whole note: 'partial: orders through 2026-10-29')."""
    note = row["note"]
    if note.startswith("partial"):
        return "Partial"
    if note.startswith("n = "):
        return "Too few to judge"
    return note


def _why_grey(note: str) -> str:
    """The note under a grey value, short: the badge above already says
    'Partial' ('partial: surveys through 2026-10-30' -> 'surveys through 2026-10-30')."""
    return note.removeprefix("partial: ")


def _target_text(k: KPI, row: dict) -> str:
    if _missing(row["target"]):
        return "No target set for this KPI."
    scaled = " (a monthly target, scaled to the period)" if k.monthly_target else ""
    # A currency such as "$" is Markdown maths: formatted values pass through md_value().
    return (f"Target {md_value(k.format(row['target']))}{scaled} ({k.better} is better); amber within "
            f"{md_value(k.format_change(row['amber_band']).lstrip('+'))} on the wrong side.")


def detail(k: KPI, row: dict) -> str:
    """'target 80.0% · n = 1,234' under a value (one line on a projector;
    the previous value is in the definition, one hover away)."""
    parts = []
    if not _missing(row["target"]):
        parts.append(f"target {md_value(k.format(row['target']))}")
    parts.append(f"n = {int(row['n']):,}")
    return " · ".join(parts)


# Compact tiles: three groups of them fit a 1280×720 projector above the fold.
TILE_CSS = """<style>
[class*='st-key-tile-'], [class*='st-key-muted-'] { gap: 0.25rem !important; padding: 0.7rem 0.9rem !important; }
[class*='st-key-tile-'] [data-testid='stMetric'], [class*='st-key-muted-'] [data-testid='stMetric'] { gap: 0; }
[class*='st-key-tile-'] [data-testid='stCaptionContainer'], [class*='st-key-muted-'] [data-testid='stCaptionContainer']
  { line-height: 1.25; }
</style>"""


def ago(ts) -> str:
    if ts is None or pd.isna(ts):
        return "never loaded"
    seconds = (datetime.utcnow() - pd.Timestamp(ts).to_pydatetime()).total_seconds()
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"  # not a KPI value
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"  # not a KPI value
    return f"{seconds / 86400:.0f} days ago"  # not a KPI value


def freshness_text(fresh: pd.DataFrame, table: str | None = None) -> str:
    """'data to 2026-10-31, loaded 2 h ago' for a table (or all tables)."""
    rows = fresh if table is None else fresh[fresh.table_name == table]
    data_to = [d for d in rows["data_to"] if not pd.isna(d)]
    loaded = [d for d in rows["loaded_at"] if not pd.isna(d)]
    if not data_to:
        return "no data loaded"
    return f"data to {pd.Timestamp(max(data_to)).date()}, loaded {ago(max(loaded) if loaded else None)}"


