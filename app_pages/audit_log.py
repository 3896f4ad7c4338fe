"""The audit (admin only): every change, import and refusal — who, with
which role, when, what, and whether it was allowed."""

from datetime import date, timedelta

import streamlit as st

from cxhub import access
from cxhub.ui import download, gateway, identity


def render() -> None:
    st.title("Audit")
    who = identity.person()
    if not access.may(who, "administer"):  # the page is listed for admins only; a direct link gets this
        st.error("The audit is for an admin.", icon=":material/lock:")
        return
    st.caption("Append-only: CX Hub adds to it and never changes or removes a row. Times are UTC. "
               "Who is the signed-in email, cli:<user> for the command line, or a name marked "
               "'not verified' in personal mode.")
    since = st.date_input("Since", value=date.today() - timedelta(days=90), key="audit_since")
    frame = gateway.audit(since)
    refused = frame[~frame["allowed"]]
    st.metric("Refused actions", f"{len(refused):,}",  # not a KPI value
              help="Actions a role may not take; nothing was changed.")
    st.dataframe(frame.sort_values("audit_id", ascending=False), hide_index=True, width="stretch",
                 column_config={"at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
                                "allowed": st.column_config.CheckboxColumn("Allowed")})
    download.csv_and_excel(frame, "Audit", f"audit-since-{since}", "audit")


if __name__ == "__main__":  # run by st.navigation as this page
    render()
