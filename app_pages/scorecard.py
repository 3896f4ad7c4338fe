"""Overview: the shared scorecard the CMO and CIO read together."""

import streamlit as st

from cxhub import charts
from cxhub.kpis import CATALOG, GROUPS, KPIS
from cxhub.plaintext import chart as plain_chart
from cxhub.plaintext import md
from cxhub.ui import download, gateway, insight_panels, layout
from cxhub.ui.kpi_tile import definition, kpi_tile


def render() -> None:
    view = layout.current_view()
    layout.heading("Shared scorecard", view)

    card = gateway.query("scorecard", view.period, view.filters)
    if card["value"].isna().all():
        layout.no_data(view.period.label())
        return
    rows = {r["id"]: r for r in card.to_dict("records")}
    for group in GROUPS:
        st.markdown(f"##### {group}")  # small: the three groups fit a 1280×720 projector above the fold
        members = [k.id for k in CATALOG if k.group == group]
        for col, kpi_id in zip(st.columns(len(members)), members):
            with col:
                kpi_tile(rows[kpi_id], link=layout.kpi_link(view, kpi_id))  # drill down: trend and breakdowns

    sheet = gateway.scorecard_export(view.period, view.filters)
    stem = f"scorecard-{view.period.start}-{view.period.end}"
    download.csv_and_excel(sheet, "Scorecard", stem, "scorecard", widths=(1, 1, 4))

    st.subheader("What changed")
    moves = gateway.biggest_moves(view.period, view.filters)
    if moves.empty:
        st.write("No KPI moved beyond its margin of error (changes are only compared between complete "
                 "periods with 30 or more observations).")
    for m in moves.to_dict("records"):
        icon = ":material/trending_up:" if m["change"] > 0 else ":material/trending_down:"
        color = "green" if m["better"] else "red"
        st.markdown(f":{color}[{icon}] {md(m['sentence'])}", help=definition(KPIS[m["kpi_id"]]))

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Trend against target")
        ids = [k.id for k in CATALOG]
        kpi_id = st.selectbox("KPI", ids, index=ids.index("csat"), format_func=lambda i: KPIS[i].name,
                              key="overview_trend_kpi",
                              help="Red marks: days a touchpoint had several incidents or was under 98% available.")
        layout.trend_against_target(view, kpi_id, key="overview_trend")
        st.page_link(layout.page("kpi"), label=f"{KPIS[kpi_id].name} in depth: by touchpoint, segment and region",
                     icon=":material/arrow_forward:", query_params={**view.params(), "kpi": kpi_id})
    with right:
        st.subheader("Cohort retention")
        cohorts = gateway.query("cohort_retention", view.window, view.filters)
        if cohorts.empty:
            layout.no_data("first orders in this period")
        else:
            layout.plot(charts.cohort_heatmap(cohorts), "overview_cohorts", view, over_time=True)
            st.caption("Share of each month's new buyers who bought again k months later.")

    st.subheader("Touchpoints at a glance")
    heat_ids = [k.id for k in CATALOG if k.per_touchpoint and k.id != "churn_rate"]
    grid = gateway.query("by_touchpoint", view.period, view.filters, kpi_ids=gateway.ALL_KPIS)  # as "what changed"
    if grid.empty:
        layout.no_data("touchpoints")
        return
    event = layout.plot(charts.status_heatmap(grid, heat_ids), "overview_heatmap", view,
                        on_select="rerun", selection_mode="points")
    picked = [p.get("y") for p in (event.selection.points if event else [])] if event else []
    names = dict(zip(grid["touchpoint"], grid["touchpoint_id"]))
    by_label = {plain_chart(name): tp_id for name, tp_id in names.items()}  # the heat map's row labels
    if picked and picked[0] in by_label:
        layout.open_touchpoint(by_label[picked[0]], view)
    st.caption("Colour = status against target; grey = no target; light grey with * = partial period or "
               "fewer than 30 observations (not judged). Open a touchpoint:")
    cols = st.columns(len(names))
    for col, (name, tp_id) in zip(cols, names.items()):
        with col:
            st.page_link(layout.touchpoint_page(tp_id), label=md(name), query_params=view.params(),
                         icon=":material/arrow_forward:")

    left, right = st.columns(2)
    with left:
        insight_panels.drivers_panel(view, "nps", key="overview_drivers")
    with right:
        insight_panels.alerts_panel(view, key="overview_alerts")


if __name__ == "__main__":  # run by st.navigation as this page
    render()
