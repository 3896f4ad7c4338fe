"""The three insights on a page: what moves NPS (drivers, split by owner),
what just broke (alerts), what customers are saying (themes). Every text
from data (comments) is shown as data, never as Markdown."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cxhub import access
from cxhub.ui import gateway, layout
from cxhub.ui.filter_bar import View

DRIVERS_HELP = ("Johnson's relative weights: each driver's share of what a linear model of the answers explains "
                "(R²), from every survey answer of the period after filters. Drivers read the whole database: "
                "the touchpoint's IT health that day, the customer's contacts and orders before the answer. "
                "(+) moves the KPI up as it grows, (−) down. Owner: who can act on it.")
ALERTS_HELP = ("Each touchpoint's daily availability, p95 latency, incidents, error rate and contacts, and weekly "
               "CSAT and NPS (weeks of 30 answers or more), judged against up to a year of their own history: "
               "a seasonal-trend decomposition, then a robust z-score (median and MAD) beyond 3.5 is a spike or "
               "a dip; a lasting change of level is a shift, dated on its first day.")
THEMES_HELP = ("The period's comments grouped by a model trained here on them (TF-IDF and non-negative matrix "
               "factorisation, offline). Each comment belongs to its strongest theme; 'before' is the previous "
               "period's comments put through the same model.")


def drivers_panel(view: View, kpi: str = "nps", key: str = "drivers", about: str = "") -> None:
    from cxhub import charts
    from cxhub.insights.drivers import by_owner

    st.subheader(f"What moves {kpi.upper()}", help=DRIVERS_HELP)
    doc = gateway.insight("drivers", view.period, view.filters, kpi=kpi)
    if doc.get("reason"):
        st.info(f"No driver analysis: {doc['reason']}.", icon=":material/info:")
        return
    owners = by_owner(doc)
    st.caption(f"**{owners['CIO']:.0f}% of what moves {kpi.upper()} sits with the CIO**, "  # not a KPI value
               f"{owners['CMO']:.0f}% with the CMO, {owners['Joint']:.0f}% with both · "  # not a KPI value
               f"n = {doc['n']:,} answers · R² = {doc['r2']:.3f}")  # not a KPI value
    layout.plot(charts.drivers_bars(doc), key, view, about)
    if doc["left_out"]:
        st.caption("Left out: " + "; ".join(f"{x['id'].replace('_', ' ')} ({x['why']})" for x in doc["left_out"]))


def alerts_panel(view: View, key: str = "alerts", limit: int = 8) -> None:
    st.subheader("What just broke", help=ALERTS_HELP)
    found = gateway.insight("alerts", view.period, view.filters)
    bad = [a for a in found if a["bad"]]
    if not found:
        st.success("No alert in this period: every series stayed within its usual range.",
                   icon=":material/check_circle:")
        return
    from cxhub.insights.alerts import BY_ID

    names = gateway.query("touchpoints").set_index("touchpoint_id")["name"]
    frame = pd.DataFrame([{
        "day": a["day"], "touchpoint": names.get(a["touchpoint"], a["touchpoint"]),
        "metric": BY_ID[a["metric"]].label,
        "kind": a["kind"], "bad": "bad" if a["bad"] else "good", "value": a["value"], "expected": a["expected"],
        "score": a["score"]} for a in found[:limit]])
    st.caption(f"{len(found)} alert(s), {len(bad)} bad; the {min(limit, len(found))} worst:")
    st.dataframe(frame, hide_index=True, key=key, column_config={
        "day": st.column_config.DateColumn("Day"), "touchpoint": "Touchpoint", "metric": "Series", "kind": "Kind",
        "bad": st.column_config.TextColumn("Bad?", help="Which way is bad depends on the series: latency, "
                                           "incidents and errors up; availability down; contacts either way."),
        "value": st.column_config.NumberColumn("Value", format="%.2f"),  # not a KPI value
        "expected": st.column_config.NumberColumn("Expected", format="%.2f"),  # not a KPI value
        "score": st.column_config.NumberColumn("Robust z", format="%.1f"),  # not a KPI value
    })


def themes_panel(view: View, person, key: str = "themes", k: int = 6) -> None:
    from cxhub.insights.themes import masked

    st.subheader("What customers are saying", help=THEMES_HELP)
    doc = masked(gateway.insight("themes", view.period, view.filters, k=k), person)
    if doc.get("reason"):
        st.info(f"No themes: {doc['reason']}.", icon=":material/info:")
        return
    frame = pd.DataFrame([{
        "theme": t["label"], "comments": t["count"], "share": t["share"], "before": t["previous_count"],
        "change": t["count"] - t["previous_count"], "NPS": t["nps"], "CSAT %": t["csat"]} for t in doc["themes"]])
    st.caption(f"{doc['n_comments']:,} comments in {view.period.label()}; before = {view.period.previous().label()}."
               + ("" if access.may(person, "see_customer_detail") else
                  " Comments are withheld for your role; their themes and scores still count."))
    st.dataframe(frame, hide_index=True, key=key, column_config={
        "theme": "Theme", "comments": "Comments", "before": st.column_config.NumberColumn(
            "Before", help=f"The same theme's comments in {view.period.previous().label()}"), "change": "Change",
        "share": st.column_config.ProgressColumn("Share", format="%.1f%%", min_value=0, max_value=100),  # not a KPI value
        "NPS": st.column_config.NumberColumn(format="%+.1f"),  # not a KPI value
        "CSAT %": st.column_config.NumberColumn(format="%.1f"),  # not a KPI value
    })
    labels = [t["label"] for t in doc["themes"]]
    picked = st.selectbox("Read a theme's comments", labels, key=f"{key}_pick")
    theme = doc["themes"][labels.index(picked)]
    # Customer text: a table cell is shown as text, never as Markdown or HTML.
    st.dataframe(pd.DataFrame({"example comment": theme["examples"]}), hide_index=True, key=f"{key}_examples")
