"""Joint priorities: the initiatives the CMO and the CIO fund, each scored by
both, ranked, mapped, and checked against the KPIs they were meant to move."""

from datetime import date

import pandas as pd
import streamlit as st

from cxhub import access, charts, exports, joint
from cxhub.kpis import KPIS
from cxhub.plaintext import md, md_value
from cxhub.ui import download, gateway, identity, layout
from cxhub.ui.kpi_tile import definition, freshness_text

EDITOR_ROUND = "_initiative_editor_round"
# The ranked table's columns, left to right.
# The executives' scores come right after the title: on a 1280-px projector
# they are on screen without scrolling sideways.
RANKED_COLUMNS = ["initiative_id", "title", "cmo_impact", "cmo_effort", "cio_impact", "cio_effort", "priority",
                  "alignment", "status", "owner", "cost_band", "started_on", "due_date", "touchpoints", "kpi_ids",
                  "expected_effect", "description"]


def editor_key() -> str:
    """The table's widget key; a new one after each save clears its edits."""
    return f"initiative_editor_{st.session_state.get(EDITOR_ROUND, 0)}"


def _alignment(r) -> str:
    if isinstance(r["awaiting_score"], str):
        return f"awaiting {r['awaiting_score']} score"
    return "needs discussion" if r["needs_discussion"] else "aligned"


def _column_config(who, touchpoint_ids: list[str]) -> dict:
    cfg = {
        "initiative_id": st.column_config.NumberColumn("#", disabled=True, width="small"),
        "priority": st.column_config.NumberColumn("Priority", format="%.2f", disabled=True,  # not a KPI value
                                                  help=joint.PRIORITY_DEFINITION),
        "alignment": st.column_config.TextColumn("Alignment", disabled=True, help=joint.ALIGNMENT_DEFINITION),
    }
    for f in joint.FIELDS:
        locked = who is None or (f.role is not None and not access.may(who, f"score_as_{f.role.lower()}"))
        help_text = f.help + (f" Only the {f.role} edits it." if f.role else "")
        if f.kind == "choice":
            cfg[f.name] = st.column_config.SelectboxColumn(f.label, options=list(f.choices), required=f.required,
                                                           disabled=locked, help=help_text)
        elif f.kind == "score":
            cfg[f.name] = st.column_config.NumberColumn(f.label, min_value=1, max_value=5, step=1, format="%d",
                                                        disabled=locked, help=help_text, width="small")
        elif f.kind == "date":
            cfg[f.name] = st.column_config.DateColumn(f.label, format="YYYY-MM-DD", disabled=locked, help=help_text)
        elif f.kind == "list":
            options = touchpoint_ids if f.name == "touchpoints" else list(KPIS)
            cfg[f.name] = st.column_config.MultiselectColumn(f.label, options=options, disabled=locked,
                                                             help=help_text)
        else:
            cfg[f.name] = st.column_config.TextColumn(f.label, required=f.required, disabled=locked, help=help_text,
                                                      width="medium" if f.name == "title" else "large" if f.name == "description" else None)
    return cfg


def _ranked_table(frame: pd.DataFrame, who, touchpoint_ids: list[str]) -> None:
    st.subheader("Ranked initiatives", help=joint.PRIORITY_DEFINITION + "\n\n" + joint.ALIGNMENT_DEFINITION)
    view = frame.assign(alignment=[_alignment(r) for r in frame.to_dict("records")])
    for name in ("started_on", "due_date"):
        view[name] = pd.to_datetime(view[name]).dt.date
    for f in joint.FIELDS:
        if f.kind == "score":
            view[f.name] = view[f.name].astype("Int64")
    key = editor_key()
    st.data_editor(view[RANKED_COLUMNS], key=key, hide_index=True, num_rows="fixed", width="stretch",
                   column_config=_column_config(who, touchpoint_ids), disabled=who is None)
    edits = identity.pending_edits(key, view["initiative_id"].tolist())
    if who is None:
        st.caption(identity.read_only_reason())
        return
    col, note = st.columns([1, 4])
    if col.button("Save changes", type="primary", disabled=not edits, key="save_initiatives"):
        try:
            count = gateway.write(joint.update_initiatives, edits, who, known_touchpoints=touchpoint_ids)
        except access.Refused as exc:
            identity.refused(exc)
        else:
            st.session_state[EDITOR_ROUND] = st.session_state.get(EDITOR_ROUND, 0) + 1
            identity.saved(f"Saved {count} change(s) as {who.name} ({who.role_label}).")
    note.caption(f"{sum(len(c) for c in edits.values())} unsaved change(s). You act as {who.role_label}: "
                 f"the other executive's scores are locked. All edits are saved together or not at all.")


def _is_it_working(frame: pd.DataFrame, version: str) -> None:
    st.subheader("Is it working?", help="Each target KPI by month, from three months before the start; "
                                        "'before' is the median of the three months before the start (one bad month "
                                        "does not set it), 'now' the last full month.")
    started = frame[frame["status"].isin(["in progress", "done"]) & frame["started_on"].notna()]
    started = started.sort_values("status", key=lambda s: s.eq("done"), kind="stable")  # running ones first
    if started.empty:
        st.info("No initiative has started yet.", icon=":material/info:")
        return
    labels = {int(r["initiative_id"]): f"#{r['initiative_id']} {r['title']} ({r['status']})"
              for r in started.to_dict("records")}
    picked = st.selectbox("Initiative", list(labels), format_func=labels.get, key="working_initiative")
    r = started[started["initiative_id"] == picked].iloc[0]
    start = pd.Timestamp(r["started_on"]).date()
    trend, summary = gateway.initiative_progress(version, tuple(r["kpi_ids"]), tuple(r["touchpoints"]), start,
                                                 r["expected_effect"] or "")
    st.caption(f"Started {start:%d %b %Y} · expected: {md(r['expected_effect']) or 'not stated'} · "
               f"{freshness_text(gateway.query('freshness'))}")
    if summary.empty:
        layout.no_data("this initiative's KPIs")
        return
    cols = st.columns(len(summary))
    for col, s in zip(cols, summary.to_dict("records")):
        k = KPIS[s["kpi_id"]]
        with col:
            promised = "" if s["expected"] is None or pd.isna(s["expected"]) else \
                f" · promised {md_value(k.format_change(s['expected']))}"
            st.metric(f"{k.name} ({s['scope']})", k.format(s["latest"]),
                      delta=None if s["change"] is None or pd.isna(s["change"]) else
                      f"{k.format_change(s['change'])} since before start",
                      delta_color="off" if s["small"] else "normal" if k.better == "higher" else "inverse",
                      help=definition(k))
            too_few = " · fewer than 30 in a month compared: too few to judge" if s["small"] else ""
            st.caption(f"Before: {md_value(k.format(s['baseline']))}{promised}{too_few}")
            series = trend[trend["kpi_id"] == s["kpi_id"]]
            st.plotly_chart(charts.progress_chart(series, s["kpi_id"], start, s["baseline"], s["expected"]),
                            key=f"progress_{picked}_{s['kpi_id']}")


def _change_log(frame: pd.DataFrame) -> None:
    st.subheader("Change log", help="Every change to an initiative: who made it (the signed-in email, or a name "
                                    "marked not verified in personal mode), their role and when. Append-only.")
    labels = {int(r["initiative_id"]): f"#{r['initiative_id']} {r['title']}" for r in frame.to_dict("records")}
    picked = st.selectbox("Initiative", [None, *labels], format_func=lambda i: "All initiatives" if i is None
                          else labels[i], key="log_initiative")
    log = gateway.initiative_history(picked)
    log = log.assign(field=log["field"].map(lambda f: joint.FIELD[f].label if f in joint.FIELD else f),
                     initiative=log["entity_id"].map(labels), old_value=log["old_value"].fillna(""))
    st.dataframe(log[["changed_at", "identity", "role", "initiative", "field", "old_value", "new_value"]]
                 .sort_values("changed_at", ascending=False), hide_index=True, width="stretch",
                 column_config={"changed_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm"),
                                "identity": "Who", "old_value": "Was", "new_value": "Became"})


def _new_initiative(who, touchpoint_ids: list[str]) -> None:
    with st.expander("Add an initiative", icon=":material/add:"):
        if who is None:
            st.caption(identity.read_only_reason())
            return
        with st.form("new_initiative", clear_on_submit=False):
            f = joint.FIELD
            values = {
                "title": st.text_input(f["title"].label, help=f["title"].help, key="new_title"),
                "description": st.text_area(f["description"].label, help=f["description"].help, key="new_description"),
                "owner": st.selectbox(f["owner"].label, joint.OWNERS, help=f["owner"].help, key="new_owner"),
                "touchpoints": st.multiselect(f["touchpoints"].label, touchpoint_ids, help=f["touchpoints"].help,
                                              key="new_touchpoints"),
                "kpi_ids": st.multiselect(f["kpi_ids"].label, list(KPIS), format_func=lambda i: KPIS[i].name,
                                          help=f["kpi_ids"].help, key="new_kpi_ids"),
                "expected_effect": st.text_input(f["expected_effect"].label, help=f["expected_effect"].help,
                                                 key="new_expected_effect"),
                "status": st.selectbox(f["status"].label, joint.STATUSES, help=f["status"].help, key="new_status"),
                "due_date": st.date_input(f["due_date"].label, value=None, help=f["due_date"].help, key="new_due_date"),
                "cost_band": st.selectbox(f["cost_band"].label, list(joint.COST_BANDS), index=1,
                                          help=f["cost_band"].help, key="new_cost_band"),
            }
            role = who.role
            if access.may(who, f"score_as_{role}"):  # the CMO and the CIO score as they add
                for name in (f"{role}_impact", f"{role}_effort"):
                    values[name] = st.number_input(f[name].label, 1, 5, 3, help=f[name].help, key=f"new_{name}")
            if st.form_submit_button("Add initiative", type="primary"):
                try:
                    new_id = gateway.write(joint.create_initiative, values, who, known_touchpoints=touchpoint_ids)
                except access.Refused as exc:
                    identity.refused(exc)
                else:
                    # A saved form starts empty: a second click cannot add the same initiative twice.
                    identity.saved(f"Added initiative #{new_id}.", clear=tuple(f"new_{n}" for n in (*values, "title")))


def render() -> None:
    who = identity.editor()
    identity.confirm_saved()
    version = gateway.data_version()
    today = date.today()
    frame = gateway.initiatives(today)
    touchpoint_ids = gateway.query("touchpoints")["touchpoint_id"].tolist()
    st.title("Joint priorities")
    st.caption(
        f"{len(frame)} initiatives · {int(frame['needs_discussion'].sum())} need discussion · "
        f"{int(frame['overdue'].sum())} overdue · {int(frame['awaiting_score'].notna().sum())} awaiting a score",
        help=joint.PRIORITY_DEFINITION + "\n\n" + joint.ALIGNMENT_DEFINITION)
    if frame.empty:
        st.info("No initiatives yet: add the first one below.", icon=":material/info:")
    else:
        _ranked_table(frame, who, touchpoint_ids)
        st.subheader("Impact × effort", help="Agreed scores (the mean of the CMO's and the CIO's). Bubble size: "
                                             "cost band. Red ring: the two scores differ by 2 or more.")
        st.plotly_chart(charts.priority_matrix(frame[~frame["status"].isin(joint.CLOSED)]), key="priority_matrix")
        st.caption("Open initiatives only: done and dropped ones are left off the matrix (they stay in the table).")
        _is_it_working(frame, version)
        _change_log(frame)
    _new_initiative(who, touchpoint_ids)
    if not frame.empty:
        sheet = exports.initiatives_frame(frame)
        download.csv_and_excel(sheet, "Initiatives", f"initiatives-{today}", "initiatives")


if __name__ == "__main__":  # run by st.navigation as this page
    render()
