"""Channel comparison: every touchpoint side by side, and what inconsistency costs."""

import streamlit as st

from cxhub import charts
from cxhub.kpis import CATALOG, KPIS
from cxhub.ui import gateway, layout
from cxhub.ui.kpi_tile import CHANNEL_ORDERS_NOTE, definition

COMPARABLE = [k.id for k in CATALOG if k.per_touchpoint]


def render() -> None:
    view = layout.current_view()
    layout.heading("Channel comparison", view)

    kpi_id = st.selectbox("KPI", COMPARABLE, format_func=lambda i: KPIS[i].name, key="channels_kpi",
                          help="Every touchpoint on the same KPI.")
    st.caption(KPIS[kpi_id].business, help=definition(KPIS[kpi_id]))
    if KPIS[kpi_id].family == "orders":
        st.caption(CHANNEL_ORDERS_NOTE)
    frame = gateway.query("by_touchpoint", view.period, view.filters, kpi_ids=(kpi_id,))
    if frame.empty or frame["value"].isna().all():
        layout.no_data(f"{KPIS[kpi_id].name} in {view.period.label()}")
    else:
        card = gateway.query("scorecard", view.period, view.filters).set_index("id")
        consistency = card.loc["channel_consistency"]
        st.metric("Channel consistency", KPIS["channel_consistency"].format(consistency["value"]),
                  help=definition(KPIS["channel_consistency"], consistency.to_dict() | {"id": "channel_consistency"}))
        if consistency["status"] == "none":
            st.caption(f"Channel consistency: {consistency['note']} (n = {int(consistency['n']):,} CSAT answers at "
                       "touchpoints with 30 or more).")
        st.caption("Touchpoints are ranked on complete periods with 30 or more observations only; the others are "
                   "shown pale with their n.")
        layout.plot(charts.touchpoint_bars(frame, kpi_id), "channels_bars", view)
        series = gateway.query("trends", view.window, view.filters, kpi_ids=(kpi_id,), grain=view.grain,
                               slice_by="touchpoint")
        names = gateway.query("touchpoints").set_index("touchpoint_id")["name"]
        series = series.assign(touchpoint_id=series["slice"], touchpoint=series["slice"].map(names))
        st.subheader(f"{KPIS[kpi_id].name} over time")
        layout.plot(charts.touchpoint_lines(series, kpi_id), "channels_lines", view, over_time=True)

    st.subheader("Channel switching: the cost of inconsistency")
    st.caption("Unresolved contacts after which the same customer tried another touchpoint within 7 days.")
    switches = gateway.query("channel_switching", view.period, view.filters)
    if switches.empty:
        layout.no_data("unresolved contacts followed by another channel")
        return
    total = switches.groupby("from_id")["unresolved"].first().sum()
    moved = switches["contacts"].sum()
    st.metric("Unresolved contacts followed by a switch", f"{moved:,}",  # not a KPI value
              help=f"Of {total:,} unresolved contacts by known customers in the period, {moved:,} "
                   "(counting each destination) were followed within 7 days by a contact at another touchpoint.")
    layout.plot(charts.switching_chart(switches.head(15)), "channels_switching", view)


if __name__ == "__main__":  # run by st.navigation as this page
    render()
