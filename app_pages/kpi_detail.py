"""One KPI in depth: its value and definition, its trend against target,
and where it comes from — each touchpoint, each segment and region. Reached
from the Overview and the glossary; the KPI is in the link (?kpi=csat)."""

import streamlit as st

from cxhub import charts
from cxhub.kpis import CATALOG, KPIS
from cxhub.ui import gateway, layout
from cxhub.ui.kpi_tile import CHANNEL_ORDERS_NOTE, kpi_tile


def _kpi_id() -> str:
    """The KPI in the link; an unknown id is named and the first KPI shown."""
    wanted = st.query_params.get("kpi")
    if wanted in KPIS:
        return wanted
    if wanted:
        st.warning(f"Ignored from the link: kpi={wanted[:40]} (not a KPI id; see the glossary).",
                   icon=":material/link_off:")
    return CATALOG[0].id


def render() -> None:
    view = layout.current_view()
    kpi_id = _kpi_id()
    k = KPIS[kpi_id]
    ids = [x.id for x in CATALOG]
    title, pick = st.columns([4, 1], vertical_alignment="center")
    with pick:
        picked = st.selectbox("KPI", ids, index=ids.index(kpi_id), format_func=lambda i: KPIS[i].name,
                              key=f"kpi_pick_{kpi_id}",  # a key per KPI: the link, not an old choice, decides
                              label_visibility="collapsed", help="Another KPI, same period and filters.")
    if picked != kpi_id:
        st.query_params["kpi"] = picked
        st.rerun()
    with title:
        layout.heading(k.name, view)
    st.page_link(layout.page("overview"), label="Back to the Overview", icon=":material/arrow_back:",
                 query_params=view.params())
    card = gateway.query("scorecard", view.period, view.filters).set_index("id")
    left, right = st.columns([1, 3])
    with left:
        kpi_tile(card.loc[kpi_id].to_dict() | {"id": kpi_id}, key=f"detail-{kpi_id}")
        st.caption(f"**What it means:** {k.business}")
        st.caption(f"**How it is computed:** {k.technical}")
    with right:
        layout.trend_against_target(view, kpi_id, key="detail_trend")
    if k.per_touchpoint:
        st.subheader("By touchpoint", help=CHANNEL_ORDERS_NOTE if k.family == "orders" else None)
        frame = gateway.query("by_touchpoint", view.period, view.filters, kpi_ids=(kpi_id,))
        if frame.empty or frame["value"].isna().all():
            layout.no_data(f"{k.name} by touchpoint")
        else:
            layout.plot(charts.touchpoint_bars(frame, kpi_id), "detail_touchpoints", view)
    if k.family != "health":  # system health has no customer: no segment or region
        columns = st.columns(2)
        for col, dimension in zip(columns, ("segment", "region")):
            with col:
                st.subheader(f"By {dimension}")
                frame = gateway.query("by_dimension", view.period, view.filters, kpi_ids=(kpi_id,),
                                      dimension=dimension)
                if frame.empty or frame["value"].isna().all():
                    layout.no_data(f"{k.name} by {dimension}")
                else:
                    layout.plot(charts.breakdown_bars(frame, kpi_id, dimension), f"detail_{dimension}", view)


if __name__ == "__main__":  # run by st.navigation as this page
    render()
