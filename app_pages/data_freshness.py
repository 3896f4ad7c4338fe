"""Data & freshness: load files, see what is loaded and how fresh it is,
what was rejected and why, and the data contract."""

import tempfile
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import streamlit as st

from cxhub import access, db, exports, ingest
from cxhub.contract import RULES, TABLES
from cxhub.plaintext import md
from cxhub.ui import gateway, identity
from cxhub.ui.kpi_tile import ago

STATUS_WORD = {"green": "on time", "amber": "late", "red": "stale"}


def render() -> None:
    st.title("Data & freshness")
    _freshness()
    who = identity.person()
    if gateway.on_spark():
        _lake(who)
    elif access.may(who, "administer"):
        _upload(who)
    else:
        st.info("Loading files and seeing rejected rows is for an admin"
                + (" (pick the admin role in the sidebar)." if not identity.shared() else "."),
                icon=":material/lock:")
    st.subheader("Import history")
    st.dataframe(gateway.query("import_history"), hide_index=True)
    if access.may(who, "administer"):
        _rejects()
    _contract()


def _freshness() -> None:
    st.subheader("What is loaded")
    fresh = gateway.query("freshness")
    today = date.today()
    # A generated demo ends last month by design: it is not "stale", it is the demo.
    fresh = fresh.assign(
        status=["demo data" if demo else STATUS_WORD[db.freshness_status(t, d, today)]
                for t, d, demo in zip(fresh.table_name, fresh.data_to, fresh.demo)],
        loaded=[ago(t) for t in fresh["loaded_at"]],
    )
    st.dataframe(
        fresh[["status", "table_name", "data_to", "row_count", "loaded_at", "loaded", "demo"]], hide_index=True,
        column_config={
            "status": st.column_config.TextColumn("Freshness", help="On time (green): data to yesterday or today. "
                                                  "Late (amber): up to 4 days behind. Stale (red): older. "
                                                  "Event tables are expected daily."),
            "table_name": "Table", "data_to": st.column_config.DateColumn("Data to"),
            "row_count": st.column_config.NumberColumn("Rows", format="%d"),
            "loaded_at": st.column_config.DatetimeColumn("Last load (UTC)"), "loaded": "Loaded",
            "demo": st.column_config.CheckboxColumn("Demo"),
        },
    )


def _lake(who) -> None:
    """On Spark there is nothing to upload: the company's pipelines fill the
    lake. An admin can have it read again (the rollups are rebuilt)."""
    st.subheader("Where the data comes from")
    st.text(f"{gateway.engine().label()}. Files are loaded into the lake by the company's pipelines; a lake "
            "folder's newest file counts as its last load. To check a file against the contract first, "
            "import it into a CX Hub database (cxhub import) and write the lake with cxhub lake export.")
    if access.may(who, "administer"):
        if st.button("Read the data again", key="data_reload", icon=":material/refresh:",
                     help="A lake's changes are seen on their own within seconds; a catalog's are not. "
                          "Rebuilding the rollups on Spark takes minutes on a large company."):
            gateway.spark_reload(who)
            st.rerun()


@contextmanager
def _on_disk(upload):
    """The uploaded file on disk for as long as a check or a load needs it,
    in a folder of its own (two people may upload files of the same name);
    deleted straight after, whatever happens."""
    with tempfile.TemporaryDirectory(prefix="cxhub-upload-") as folder:
        path = Path(folder) / Path(upload.name).name
        path.write_bytes(upload.getvalue())
        yield path


def _upload(who) -> None:
    st.subheader("Load a file")
    st.caption("CSV (any common delimiter, optionally gzipped), Parquet or JSON lines. The file is checked "
               "against the contract below first; nothing is written until you confirm.")
    left, right = st.columns([1, 2])
    with left:
        table = st.selectbox("Table", [t.name for t in TABLES], key="data_table")
    with right:
        upload = st.file_uploader("File", key="data_file",
                                  type=["csv", "tsv", "txt", "gz", "parquet", "pq", "jsonl", "ndjson", "json"])
    if upload is None:
        return
    with _on_disk(upload) as path:
        try:
            st.dataframe(ingest.preview(path), hide_index=True)
        except Exception as exc:  # the dry run below explains it in full
            st.warning(f"Cannot preview {md(upload.name)}: {md(str(exc).splitlines()[0])}")
        check = gateway.dry_run(table, str(path), upload.name, who)
    st.text(check.summary())  # file names and values are user data: shown as text
    if check.outcome == "refused":
        st.error("This file would load nothing. Fix it and upload it again.")
        return
    label = f"Load {check.rows_loaded:,} rows into {table}"
    if st.button(label, type="primary", key="data_confirm"):
        with _on_disk(upload) as path:
            result = gateway.load(table, str(path), upload.name, who)
        st.session_state["data_last_result"] = result.summary()
        st.session_state.pop("data_file", None)  # loaded: the file is not checked or offered again
        st.rerun()
    if "data_last_result" in st.session_state:
        st.success("Loaded.")
        st.text(st.session_state.pop("data_last_result"))


def _rejects() -> None:
    st.subheader("Rejected rows")
    rejected = gateway.query("rejected_rows")
    if rejected.empty:
        st.write("No rejected rows.")
        return
    st.dataframe(rejected, hide_index=True)
    st.download_button("Download rejected rows (CSV)", exports.to_csv(rejected), "rejected_rows.csv",
                       "text/csv", key="data_rejects_csv")


def _contract() -> None:
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
    with st.expander("Rules a rejected row can name"):
        st.dataframe([{"rule": name, "meaning": meaning} for name, meaning in RULES.items()], hide_index=True)


if __name__ == "__main__":  # run by st.navigation as this page
    render()
