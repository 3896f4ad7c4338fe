"""CX Hub: the router. Every page is listed here; pages only lay out.

Page modules live in app_pages/, not pages/: Streamlit would take a pages/
folder for its legacy auto-discovered pages and answer a deep link on a new
server with "page not found"."""

import streamlit as st

from cxhub.ui import layout
from app_pages import (channel_comparison, data_freshness, joint_priorities, kpi_glossary, scorecard,
                       steering_meeting, touchpoint)

st.set_page_config(page_title="CX Hub", page_icon=":material/insights:", layout="wide")

con = layout.start()
sections = {
    "Shared view": [
        st.Page(scorecard.render, title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
        st.Page(channel_comparison.render, title="Channel comparison", icon=":material/compare_arrows:", url_path="channels"),
    ],
    "Touchpoints": touchpoint.pages(),
    "Joint work": [
        st.Page(joint_priorities.render, title="Joint priorities", icon=":material/balance:", url_path="priorities"),
        st.Page(steering_meeting.render, title="Steering meeting", icon=":material/groups:", url_path="meeting"),
    ],
    "Data": [
        st.Page(data_freshness.render, title="Data & freshness", icon=":material/database:", url_path="data"),
        st.Page(kpi_glossary.render, title="Glossary", icon=":material/menu_book:", url_path="glossary"),
    ],
}
layout.register(sections)
page = st.navigation(sections, expanded=True)
layout.page_header(page)
page.run()
