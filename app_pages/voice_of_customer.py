"""Voice of the customer: what customers are saying (themes of the period's
comments) and what moves their satisfaction, company-wide or filtered."""

import streamlit as st

from cxhub.ui import identity, insight_panels, layout


def render() -> None:
    view = layout.current_view()
    layout.heading("Voice of the customer", view)
    insight_panels.themes_panel(view, identity.person(), key="voc_themes")
    left, right = st.columns(2)
    with left:
        insight_panels.drivers_panel(view, "nps", key="voc_drivers_nps")
    with right:
        insight_panels.drivers_panel(view, "csat", key="voc_drivers_csat")


if __name__ == "__main__":  # run by st.navigation as this page
    render()
