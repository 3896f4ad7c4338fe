"""CX Hub: the router. Every page is listed here; pages only lay out.

Page modules live in app_pages/, not pages/: Streamlit would take a pages/
folder for its legacy auto-discovered pages and answer a deep link on a new
server with "page not found"."""

import streamlit as st

from cxhub import access
from cxhub.ui import identity, layout
from app_pages import touchpoint

st.set_page_config(page_title="CX Hub", page_icon=":material/insights:", layout="wide")

who = identity.gate()  # shared mode: nothing but the sign-in until someone is signed in
con = layout.start()
sections = {
    "Shared view": [
        st.Page("app_pages/scorecard.py", title="Overview", icon=":material/dashboard:", url_path="overview", default=True),
        st.Page("app_pages/channel_comparison.py", title="Channel comparison", icon=":material/compare_arrows:", url_path="channels"),
        st.Page("app_pages/kpi_detail.py", title="One KPI in depth", icon=":material/query_stats:", url_path="kpi"),
        st.Page("app_pages/voice_of_customer.py", title="Voice of the customer", icon=":material/forum:",
                url_path="voice"),
    ],
    "Touchpoints": touchpoint.pages(),
    "Joint work": [
        st.Page("app_pages/joint_priorities.py", title="Joint priorities", icon=":material/balance:", url_path="priorities"),
        st.Page("app_pages/steering_meeting.py", title="Steering meeting", icon=":material/groups:", url_path="meeting"),
    ],
    "Data": [
        st.Page("app_pages/data_freshness.py", title="Data & freshness", icon=":material/database:", url_path="data"),
        st.Page("app_pages/kpi_glossary.py", title="Glossary", icon=":material/menu_book:", url_path="glossary"),
        *([st.Page("app_pages/audit_log.py", title="Audit", icon=":material/policy:", url_path="audit")]
          if access.may(who, "administer") else []),
    ],
}
layout.register(sections)
page = st.navigation(sections, expanded=True)
layout.page_header(page)
identity.sidebar(who)
page.run()
