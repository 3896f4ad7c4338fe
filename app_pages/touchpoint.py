"""A page per touchpoint, generated from the touchpoints table."""

import streamlit as st

from cxhub import access, charts
from cxhub.kpis import CATALOG, KPIS
from cxhub.plaintext import chart as plain_chart
from cxhub.plaintext import md
from cxhub.insights.alerts import METRICS as alert_metrics
from cxhub.ui import gateway, identity, insight_panels, layout
from cxhub.ui.kpi_tile import CHANNEL_ORDERS_NOTE

KIND_ICON = {"digital": ":material/devices:", "assisted": ":material/support_agent:",
             "physical": ":material/storefront:"}
SIDE_BY_SIDE = [k.id for k in CATALOG if k.per_touchpoint]


def pages() -> list:
    """One page per touchpoint, all drawn by this file; each knows its
    touchpoint by its address (/touchpoint-<id>)."""
    return layout.touchpoint_pages(
        lambda row: st.Page("app_pages/touchpoint.py", title=md(row.name),
                            url_path=layout.touchpoint_address(row.touchpoint_id),
                            icon=KIND_ICON.get(row.kind, ":material/hub:"))
    )


def _switcher(tps, touchpoint_id: str, company) -> None:
    """Go to another touchpoint's page with the same period and filters (in a
    meeting: "now the contact center")."""
    ids, key = list(tps.index), f"touchpoint_switch_{touchpoint_id}"
    picked = st.selectbox("Touchpoint", ids, index=ids.index(touchpoint_id), key=key,
                          format_func=lambda i: plain_chart(tps.loc[i, "name"]), label_visibility="collapsed",
                          help="Open another touchpoint's page for the same period and filters.")
    if picked != touchpoint_id:
        st.session_state.pop(key)  # coming back, this page starts on its own touchpoint
        layout.open_touchpoint(picked, company)


def render(touchpoint_id: str) -> None:
    tps = gateway.query("touchpoints").set_index("touchpoint_id")
    info = tps.loc[touchpoint_id]
    company = layout.current_view()
    view = company.for_touchpoint(touchpoint_id)
    color = charts.touchpoint_color(touchpoint_id)

    title, switch = st.columns([4, 1], vertical_alignment="center")
    with switch:
        _switcher(tps, touchpoint_id, company)
    with title:
        layout.heading(info["name"], view, extra=f"{md(info['kind'])} touchpoint · owner {md(info['owner'])}")
    st.page_link(layout.page("overview"), label="Back to the Overview", icon=":material/arrow_back:",
                 query_params=company.params())

    mine = gateway.query("scorecard", view.period, view.filters)
    if mine["value"].isna().all():
        layout.no_data(f"{md(info['name'])} in {view.period.label()}")
        return
    whole = gateway.query("scorecard", company.period, company.filters).set_index("id")
    st.subheader("Scorecard: this touchpoint and the company", help=CHANNEL_ORDERS_NOTE)
    table = []
    for r in mine.to_dict("records"):
        if r["id"] not in SIDE_BY_SIDE:
            continue
        k = KPIS[r["id"]]
        table.append({
            "KPI": k.name, "Owner": k.owner,
            info["name"]: k.format(r["value"]),
            "Change": k.format_change(r["change"]),
            "Company": k.format(whole.loc[r["id"], "value"]),
            "Target": k.format(r["target"]),
            "Status": r["note"],
            "n": r["n"],
            "Definition": k.business,
        })
    st.dataframe(table, hide_index=True, height=36 * (len(table) + 1) + 2, column_config={
        "n": st.column_config.NumberColumn("n", help="Sample size (answers, customers or contacts)", format="%d"),
        "Definition": st.column_config.TextColumn("Definition", help="Hover a cell for the full text", width="large"),
    })

    events = gateway.query("health_events", view.window, view.filters)
    broke = gateway.insight("alerts", view.window, view.filters)
    labels = {m.id: m.label for m in alert_metrics}
    st.subheader("Customer satisfaction and IT health, one time axis")
    tr = gateway.query("trends", view.window, view.filters, kpi_ids=("csat", "availability", "incidents"),
                       grain=view.grain)
    csat = tr[tr.kpi_id == "csat"]
    health = tr[tr.kpi_id == "availability"][["bucket_start", "value"]].rename(columns={"value": "availability"})
    health = health.merge(
        tr[tr.kpi_id == "incidents"][["bucket_start", "value"]].rename(columns={"value": "incidents"}),
        on="bucket_start")
    if csat["value"].isna().all() and health["availability"].isna().all():
        layout.no_data("satisfaction or IT health")
    else:
        layout.plot(charts.mark_alerts(charts.cx_and_it(csat, health, events, color), broke, labels), "tp_cx_it", view,
                    info["name"], over_time=True)
        st.caption("Red bands: days with an incident or availability under 99%. Amber ◆: an alert (what just "
                   "broke). Hover them to match a satisfaction dip to its cause.")

    left, right = st.columns(2)
    with left:
        st.subheader("Satisfaction trend")
        kpi_id = st.selectbox("KPI", ["csat", "nps", "ces", "fcr"], format_func=lambda i: KPIS[i].name,
                              key="tp_trend_kpi")
        trend = gateway.query("kpi_trend", view.window, view.filters, kpi_id=kpi_id, grain=view.grain)
        if trend["value"].isna().all():
            layout.no_data(f"{KPIS[kpi_id].name} at {md(info['name'])}")
        else:
            layout.plot(charts.mark_alerts(charts.trend_chart(trend, kpi_id, events, color=color, name=info["name"]),
                                           broke, labels), "tp_trend",
                        view, info["name"], over_time=True)
    with right:
        st.subheader("Volume")
        vol = gateway.query("volume", view.window, view.filters, grain=view.grain)
        layout.plot(charts.volume_chart(vol, color), "tp_volume", view, info["name"], over_time=True)

    st.subheader("By segment and region")
    pick = st.segmented_control("KPI", ["csat", "nps", "retention_rate", "fcr"], default="csat",
                                format_func=lambda i: KPIS[i].name, key="tp_dim_kpi") or "csat"
    dim_left, dim_right = st.columns(2)
    for col, dim in ((dim_left, "segment"), (dim_right, "region")):
        with col:
            frame = gateway.query("by_dimension", view.period, view.filters, kpi_ids=(pick,), dimension=dim)
            if frame.empty:
                layout.no_data(f"{KPIS[pick].name} by {dim}")
            else:
                layout.plot(charts.breakdown_bars(frame, pick, dim), f"tp_dim_{dim}", view, info["name"])

    left, right = st.columns([2, 3])
    with left:
        st.subheader("Intents resolved least")
        intents = gateway.query("intent_resolution", view.period, view.filters)
        if intents.empty:
            st.write("This touchpoint does not record whether contacts were resolved.")
        else:
            st.dataframe(intents, hide_index=True, column_config={
                "resolved_pct": st.column_config.ProgressColumn("Resolved", format="%.1f%%", min_value=0,  # not a KPI value
                                                                max_value=100),
                "avg_handle_seconds": st.column_config.NumberColumn("Avg handle (s)", format="%.0f"),  # not a KPI value
            })
    with right:
        st.subheader("What detractors say")
        who = identity.person()
        detail = access.may(who, "see_customer_detail")
        search = st.text_input("Search comments", key="tp_comment_search", placeholder="e.g. app, hold, login") \
            if detail else None
        comments = gateway.query("detractor_comments", view.period, view.filters, search=search or None)
        comments = access.masked(comments, who, ("comment",))
        if not detail:
            st.caption("Comments are withheld for your role; their scores still count.")
        if comments.empty:
            st.write("No detractor comments" + (f" mentioning “{md(search)}”." if search else " in this period."))
        else:
            # Verbatims are customer text: shown as data, never as HTML.
            st.dataframe(comments, hide_index=True, column_config={
                "responded_at": st.column_config.DatetimeColumn("When", format="YYYY-MM-DD HH:mm"),
                "comment": st.column_config.TextColumn("Comment", width="large"),
            })

    left, right = st.columns(2)
    with left:
        insight_panels.drivers_panel(view, "nps", key="tp_drivers", about=info["name"])
    with right:
        insight_panels.alerts_panel(view, key="tp_alerts")
    insight_panels.themes_panel(view, who, key="tp_themes")


if __name__ == "__main__":  # run by st.navigation as the page of the touchpoint in its address
    render(layout.current_touchpoint())
