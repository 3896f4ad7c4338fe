"""Data & freshness: what is loaded, how fresh it is, and the data contract."""

import streamlit as st

from cxhub.contract import TABLES
from cxhub.ui import session
from cxhub.ui.kpi_tile import ago


def render() -> None:
    version = session.data_version()
    st.title("Data & freshness")
    fresh = session.freshness(version)
    st.subheader("What is loaded")
    st.dataframe(
        fresh.assign(loaded=[ago(t) for t in fresh["loaded_at"]]),
        hide_index=True,
        column_config={"table_name": "Table", "data_to": st.column_config.DateColumn("Data to"),
                       "row_count": st.column_config.NumberColumn("Rows", format="%d"),
                       "loaded_at": st.column_config.DatetimeColumn("Last load (UTC)"), "loaded": "Loaded",
                       "demo": st.column_config.CheckboxColumn("Demo")},
    )
    st.subheader("The data contract")
    st.write("Files imported into CX Hub must follow this contract. Column names are exact and lower case; "
             "extra columns are ignored. Rows that break a rule are kept aside with the reason.")
    for table in TABLES:
        with st.expander(f"{table.name} · key: {', '.join(table.key)}"):
            st.write(table.description)
            st.dataframe(
                [{"column": c.name, "type": c.type, "rule": c.rule(), "meaning": c.description}
                 for c in table.columns],
                hide_index=True,
            )
            if table.at_least_one_of:
                st.caption(f"At least one of {', '.join(table.at_least_one_of)} must be present in a row.")
