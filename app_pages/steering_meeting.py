"""Steering meeting: the agenda built from data, decisions and action items
recorded as the meeting goes, and the pack mailed round afterwards."""

from datetime import date

import pandas as pd
import streamlit as st

from cxhub import access, joint
from cxhub.joint.alert_reviews import describe
from cxhub.kpis import KPIS, Filters
from cxhub.kpis.status import STATUS_WORDS
from cxhub.plaintext import md, md_value
from cxhub.ui import download, gateway, identity, insight_panels, layout
from cxhub.ui.filter_bar import date_bounds, parse_url_date
from cxhub.ui.kpi_tile import definition, freshness_text

ACTIONS_ROUND = "_action_editor_round"


def actions_key() -> str:
    return f"action_editor_{st.session_state.get(ACTIONS_ROUND, 0)}"


def _meeting_date() -> date:
    """The meeting date: from the URL (?date=YYYY-MM-DD) so a link opens the
    same meeting, else today."""
    raw = st.query_params.get("date")
    today = date.today()
    default = (parse_url_date(raw, today) if raw else None) or today
    if raw and default == today and raw != today.isoformat():
        st.warning(f"Ignored from the link: date={raw} (not a date between {date_bounds(today)[0]} and "
                   f"{date_bounds(today)[1]}); showing today.", icon=":material/link_off:")
    low, high = date_bounds(today)
    picked = st.date_input("Meeting date", value=default, key="meeting_date", min_value=low, max_value=high,
                           help="The agenda reviews the last full month before this date.")
    st.query_params["date"] = picked.isoformat()
    return picked


MAX_ALERTS = 6  # listed on the agenda; the rest are counted


def _alerts(ag, who) -> None:
    from cxhub.insights.alerts import BY_ID

    st.markdown("#### 0. What just broke", help=insight_panels.ALERTS_HELP)
    if not ag.alerts:
        st.write("No new bad alert in the month: nothing broke that the meeting has not seen.")
        return
    names = gateway.query("touchpoints").set_index("touchpoint_id")["name"]
    may_act = access.may(who, "edit_joint_work")
    for i, a in enumerate(ag.alerts[:MAX_ALERTS]):
        text = describe(a, names.get(a["touchpoint"], a["touchpoint"]), BY_ID[a["metric"]].label)
        line, ack, act = st.columns([6, 1, 1], vertical_alignment="center")
        line.markdown(f":red-badge[{a['kind']}] {md(text)} · robust z {a['score']:+.1f}")  # not a KPI value
        if not may_act:
            continue
        if ack.button("Acknowledge", key=f"ack_{i}", help="Seen: take it off the agenda."):
            _write_alert("Acknowledged: off the agenda.", joint.acknowledge, a, who)
        with act.popover("Make an action"):
            owner = st.selectbox("Owner", ["CIO", "CMO", "Joint"], key=f"alert_owner_{i}")
            due = st.date_input("Due", value=None, key=f"alert_due_{i}")
            if st.button("Raise it", key=f"alert_act_{i}"):
                _write_alert("Action item raised; the alert is off the agenda.", joint.make_action, a,
                             ag.meeting_date, owner, due, who)
    if len(ag.alerts) > MAX_ALERTS:
        st.caption(f"… and {len(ag.alerts) - MAX_ALERTS} more: see What just broke on the Overview.")
    if not may_act:
        st.caption("Analysts and up can acknowledge an alert or make an action of it.")


def _write_alert(message: str, change, *args) -> None:
    try:
        gateway.write(change, *args)
    except access.Refused as exc:
        identity.refused(exc)
    else:
        identity.saved(message)


def _red_kpis(ag) -> None:
    st.markdown("#### 1. KPIs off target")
    if ag.scorecard["value"].isna().all():
        st.info(f"No data for {ag.period.label()}: there is nothing to judge yet.", icon=":material/info:")
    elif ag.red_kpis.empty:
        st.success("No KPI is off target (KPIs that are partial or rest on fewer than 30 observations are not "
                   "judged).", icon=":material/check_circle:")
    for r in ag.red_kpis.to_dict("records"):
        k = KPIS[r["id"]]
        new = " — **turned red since the last meeting**" if r["newly_red"] else ""
        st.markdown(f":red-badge[{STATUS_WORDS['red']}] **{k.name}** {md_value(k.format(r['value']))} "
                    f"(target {md_value(k.format(r['target']))}, owner {r['owner']}){new}", help=definition(k))
    if not ag.recovered.empty:
        st.caption("Back from red: " + ", ".join(KPIS[i].name for i in ag.recovered["id"]))


def _movers(ag) -> None:
    st.markdown("#### 2. Biggest movers")
    if ag.movers.empty:
        st.write("No KPI moved beyond its margin of error.")
    for m in ag.movers.to_dict("records"):
        color = "green" if m["better"] else "red"
        icon = ":material/trending_up:" if m["change"] > 0 else ":material/trending_down:"
        st.markdown(f":{color}[{icon}] {md(m['sentence'])}", help=definition(KPIS[m["kpi_id"]]))


def _initiatives(ag) -> None:
    st.markdown("#### 3. Initiatives to discuss")
    if ag.initiatives.empty:
        st.write("No initiative needs the meeting.")
        return
    st.dataframe(ag.initiatives[["initiative_id", "title", "owner", "status", "due_date", "reasons"]],
                 hide_index=True, width="stretch",
                 column_config={"initiative_id": "#", "title": "Initiative", "due_date": st.column_config.DateColumn("Due"),
                                "reasons": st.column_config.TextColumn("Why", help=joint.ALIGNMENT_DEFINITION)})
    st.page_link(layout.page("priorities"), label="Open the joint priorities to rescore or approve", icon=":material/arrow_forward:")


def _open_actions(ag, who) -> None:
    st.markdown("#### 4. Open action items")
    if ag.open_actions.empty:
        st.write("No open action items from earlier meetings.")
        return
    view = ag.open_actions[["action_id", "text", "owner", "due_date", "meeting_date", "overdue", "status"]]
    key = actions_key()
    st.data_editor(view, key=key, hide_index=True, width="stretch", disabled=who is None,
                   column_config={
                       "action_id": st.column_config.NumberColumn("#", disabled=True),
                       "text": st.column_config.TextColumn("Action", disabled=True),
                       "owner": st.column_config.TextColumn("Owner", disabled=True),
                       "due_date": st.column_config.DateColumn("Due", disabled=True),
                       "meeting_date": st.column_config.DateColumn("Raised", disabled=True),
                       "overdue": st.column_config.CheckboxColumn("Overdue", disabled=True),
                       "status": st.column_config.SelectboxColumn("Status", options=list(joint.ACTION_STATUSES),
                                                                  required=True),
                   })
    edited = identity.pending_edits(key, view["action_id"].tolist())
    changes = {action_id: c["status"] for action_id, c in edited.items() if "status" in c}
    if who is not None and st.button("Save action statuses", disabled=not changes, key="save_actions"):
        try:
            gateway.write(joint.set_action_statuses, changes, who, on=ag.meeting_date)
        except access.Refused as exc:
            identity.refused(exc)
        else:
            st.session_state[ACTIONS_ROUND] = st.session_state.get(ACTIONS_ROUND, 0) + 1
            identity.saved(f"Updated {len(changes)} action item(s).")


def _record(ag, who, initiatives: pd.DataFrame) -> None:
    st.subheader("During the meeting")
    if who is None:
        st.info(identity.read_only_reason(), icon=":material/person:")
        return
    labels = {int(r["initiative_id"]): f"#{r['initiative_id']} {r['title']}" for r in initiatives.to_dict("records")}
    left, right = st.columns(2)
    with left, st.form("decision", clear_on_submit=False):
        st.markdown("**Record a decision**")
        text = st.text_area("Decision", key="decision_text")
        about = st.selectbox("About initiative", [None, *labels], format_func=lambda i: "—" if i is None else labels[i],
                             key="decision_initiative")
        kpi_id = st.selectbox("About KPI", [None, *KPIS], format_func=lambda i: "—" if i is None else KPIS[i].name,
                              key="decision_kpi")
        if st.form_submit_button("Record decision", type="primary"):
            try:
                gateway.write(joint.add_decision, ag.meeting_date, text, who, about, kpi_id)
            except access.Refused as exc:
                identity.refused(exc)
            else:
                identity.saved("Decision recorded.", clear=("decision_text", "decision_initiative", "decision_kpi"))
    with right, st.form("action", clear_on_submit=False):
        st.markdown("**Record an action item**")
        text = st.text_input("Action", key="action_text")
        owner = st.text_input("Owner", value=who.name, key="action_owner")
        due = st.date_input("Due (required)", value=None, key="action_due")
        about = st.selectbox("About initiative", [None, *labels], format_func=lambda i: "—" if i is None else labels[i],
                             key="action_initiative")
        if st.form_submit_button("Record action", type="primary"):
            try:
                gateway.write(joint.add_action, ag.meeting_date, text, owner, due, who, about)
            except access.Refused as exc:
                identity.refused(exc)
            else:
                identity.saved("Action item recorded.",
                               clear=("action_text", "action_owner", "action_due", "action_initiative"))


def _outcomes(ag) -> None:
    decided = gateway.decisions(ag.meeting_date)
    raised = gateway.actions(ag.meeting_date, raised_at=ag.meeting_date)
    st.markdown(f"#### Decided on {ag.meeting_date:%d %b %Y}")
    if decided.empty:
        st.write("No decisions recorded yet.")
    for r in decided.to_dict("records"):
        about = r["initiative"] if isinstance(r["initiative"], str) else \
            (KPIS[r["kpi_id"]].name if isinstance(r["kpi_id"], str) else "")
        st.markdown(f"- {md(r['text'])}" + (f" *({md(about)})*" if about else "") + f" — {md(r['author'])} ({r['role']})")
    st.markdown(f"#### Actions raised on {ag.meeting_date:%d %b %Y}")
    if raised.empty:
        st.write("No action items recorded yet.")
    else:
        st.dataframe(raised[["action_id", "text", "owner", "due_date", "status"]], hide_index=True,
                     width="stretch", column_config={"action_id": "#", "text": "Action",
                                                              "due_date": st.column_config.DateColumn("Due")})


def _pack(ag, version: str) -> None:
    st.subheader("After the meeting")
    left, right = st.columns(2)
    with left:
        st.markdown("**Meeting pack**: scorecard, agenda, trends of the red KPIs, priorities, decisions and "
                    "actions — one HTML file (interactive, opens offline) and a PDF.")
        if st.button("Prepare the meeting pack", icon=":material/picture_as_pdf:", key="make_pack"):
            with st.spinner("Drawing the charts…"):
                st.session_state["_pack"] = (ag.meeting_date, *gateway.meeting_pack(ag.meeting_date))
        made = st.session_state.get("_pack")
        if made and made[0] == ag.meeting_date:
            _, stem, html, pdf = made
            a, b = st.columns(2)
            a.download_button("Pack (HTML)", html, f"{stem}.html", "text/html", icon=":material/download:",
                              key="pack_html")
            b.download_button("Pack (PDF)", pdf, f"{stem}.pdf", "application/pdf", icon=":material/download:",
                              key="pack_pdf")
    with right:
        st.markdown(f"**Scorecard of {ag.period.label()}** as a spreadsheet, with definitions.")
        sheet = gateway.scorecard_export(ag.period, Filters())
        download.csv_and_excel(sheet, "Scorecard", f"scorecard-{ag.period.start:%Y-%m}", "meeting_scorecard")


def render() -> None:
    who = identity.editor()
    identity.confirm_saved()
    version = gateway.data_version()
    st.title("Steering meeting")
    top, side = st.columns([1, 3])
    with top:
        meeting_date = _meeting_date()
    ag = gateway.build_agenda(meeting_date)
    held = meeting_date in gateway.meetings()
    with side:
        last = f"last meeting {ag.last_meeting:%d %b %Y}" if ag.last_meeting else "no earlier meeting recorded"
        st.caption(f"Reviews **{ag.period.label()}** against {ag.compared_with.label()} ({last}). "
                   f"{'Recorded meeting.' if held else 'Not recorded yet: it is once a decision or action is.'} "
                   f"{freshness_text(gateway.query('freshness'))}")
    st.subheader("Agenda")
    if ag.scorecard["value"].isna().all():
        st.info(f"No data for {ag.period.label()}, the month this meeting reviews: there is nothing to judge "
                f"({freshness_text(gateway.query('freshness'))}). Pick a later meeting date, or load the data.",
                icon=":material/info:")
    elif ag.is_empty:
        st.success("Nothing needs the meeting: every KPI is on or near target and nothing is pending.")
    _alerts(ag, who)
    left, right = st.columns(2)
    with left:
        _red_kpis(ag)
        _movers(ag)
    with right:
        _initiatives(ag)
    _open_actions(ag, who)
    _record(ag, who, gateway.initiatives(meeting_date))
    _outcomes(ag)
    _pack(ag, version)


if __name__ == "__main__":  # run by st.navigation as this page
    render()
