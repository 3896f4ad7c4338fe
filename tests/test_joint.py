"""Initiatives, scores, alignment, the change log, meetings and actions, in
a fresh workspace beside the tiny hand-built company (touchpoints web,
mobile_app, contact_center, store)."""

from __future__ import annotations

import inspect
import re
from datetime import date, datetime

import pytest

from cxhub import access, joint, workspace

from fixtures import TINY_TOUCHPOINTS as TPS

CMO = joint.Person("Claire", "CMO")
CIO = joint.Person("Ian", "CIO")
T0 = datetime(2025, 4, 1, 9, 0)


def add(con, title, cmo=None, cio=None, **values):
    """An initiative created by the CMO, then scored by the CIO."""
    base = {"title": title, "owner": "Joint", "cost_band": "M"}
    if cmo:
        base.update(cmo_impact=cmo[0], cmo_effort=cmo[1])
    new_id = joint.create_initiative(con, {**base, **values}, CMO, at=T0, known_touchpoints=TPS)
    if cio:
        joint.update_initiatives(con, {new_id: {"cio_impact": cio[0], "cio_effort": cio[1]}}, CIO, at=T0, known_touchpoints=TPS)
    return new_id


def by_title(con, as_of=date(2025, 4, 10)):
    frame = joint.initiatives(con, as_of)
    return {r["title"]: r for r in frame.to_dict("records")}


def test_priority_is_agreed_impact_over_agreed_effort(ws):
    add(ws, "A", cmo=(4, 2), cio=(5, 3))  # (4.5) / (2.5) = 1.8
    add(ws, "B", cmo=(2, 4), cio=(2, 4))  # 2 / 4 = 0.5
    add(ws, "C", cmo=(3, 1), cio=(3, 2))  # 3 / 1.5 = 2.0
    add(ws, "D", cmo=(5, 5))  # the CIO has not scored
    rows = by_title(ws)
    assert rows["A"]["agreed_impact"] == 4.5 and rows["A"]["agreed_effort"] == 2.5
    assert rows["A"]["priority"] == pytest.approx(1.8)
    assert rows["B"]["priority"] == pytest.approx(0.5)
    assert rows["C"]["priority"] == pytest.approx(2.0)
    assert rows["D"]["priority"] != rows["D"]["priority"]  # NaN: blank until both have scored
    assert rows["D"]["awaiting_score"] == "CIO"
    # Ranked by priority, unscored last.
    assert list(joint.initiatives(ws)["title"]) == ["C", "A", "B", "D"]


@pytest.mark.parametrize("cmo, cio, flagged", [
    ((5, 2), (3, 2), True),   # impact 2 apart
    ((3, 1), (3, 3), True),   # effort 2 apart
    ((4, 2), (3, 3), False),  # each 1 apart
    ((1, 5), (5, 1), True),
    ((3, 3), (3, 3), False),
])
def test_needs_discussion_when_scores_differ_by_two_or_more(ws, cmo, cio, flagged):
    add(ws, "X", cmo=cmo, cio=cio)
    assert bool(by_title(ws)["X"]["needs_discussion"]) is flagged


def test_overdue_is_past_due_and_not_closed(ws):
    add(ws, "late", due_date="2025-04-01", status="approved")
    add(ws, "late but done", due_date="2025-04-01", status="done", started_on="2025-01-01")
    add(ws, "due today", due_date="2025-04-10")
    rows = by_title(ws, as_of=date(2025, 4, 10))
    assert rows["late"]["overdue"] and not rows["late but done"]["overdue"] and not rows["due today"]["overdue"]


def test_every_edit_is_logged_once_with_author_role_and_time(ws):
    new_id = add(ws, "Callback", cmo=(4, 2), touchpoints=["contact_center"], kpi_ids=["fcr"])
    created = joint.history(ws, "initiative", new_id)
    # title, owner, cost band, status, touchpoints, KPIs and two scores: one row each.
    assert sorted(created["field"]) == sorted(["title", "owner", "cost_band", "status", "touchpoints", "kpi_ids",
                                               "cmo_impact", "cmo_effort"])
    assert set(created["author"]) == {"Claire"} and set(created["role"]) == {"CMO"}
    at = datetime(2025, 4, 2, 14, 30)
    changed = joint.update_initiatives(ws, {new_id: {"cio_impact": 3, "cio_effort": 4, "title": "Callback"}},
                                       CIO, at=at, known_touchpoints=TPS)
    assert changed == 2  # the unchanged title is not logged
    log = joint.history(ws, "initiative", new_id)
    latest = log[log["changed_at"] == at]
    assert sorted(zip(latest["field"], latest["old_value"].fillna("∅"), latest["new_value"])) == [
        ("cio_effort", "∅", "4"), ("cio_impact", "∅", "3")]
    assert set(latest["author"]) == {"Ian"} and set(latest["role"]) == {"CIO"}
    joint.update_initiatives(ws, {new_id: {"cio_impact": 5}}, CIO, at=at, known_touchpoints=TPS)
    last = joint.history(ws, "initiative", new_id).iloc[-1]
    assert (last["field"], last["old_value"], last["new_value"]) == ("cio_impact", "3", "5")


def test_the_log_is_append_only(ws):
    new_id = add(ws, "A", cmo=(4, 2), cio=(4, 2))
    before = joint.history(ws)
    for status in ("approved", "in progress", "done"):
        joint.update_initiatives(ws, {new_id: {"status": status}}, CMO, known_touchpoints=TPS)
    after = joint.history(ws)
    # Earlier rows are untouched; new rows only follow them.
    assert after.head(len(before)).fillna("∅").to_dict("records") == before.fillna("∅").to_dict("records")
    assert list(after["field"][len(before):]) == ["status", "status", "started_on", "status"]
    # No code path rewrites or deletes log rows, and the workspace itself refuses to.
    for module in (joint.changes, joint.initiatives, joint.meetings, workspace):
        assert not re.search(r"(UPDATE|DELETE FROM)\s+audit", inspect.getsource(module), re.IGNORECASE)
    for statement in ("UPDATE audit SET actor = 'Mallory'", "DELETE FROM audit"):
        with pytest.raises(Exception, match="append-only"):
            ws.execute(statement)
    assert joint.history(ws).fillna("∅").to_dict("records") == after.fillna("∅").to_dict("records")


def table_state(con):
    return (joint.initiatives(con, date(2025, 4, 10)).to_dict("records"), len(joint.history(con)))


def test_a_batch_with_one_bad_value_changes_nothing(ws):
    a = add(ws, "A", cmo=(4, 2), cio=(4, 2))
    b = add(ws, "B", cmo=(3, 3), cio=(3, 3))
    before = table_state(ws)
    with pytest.raises(joint.EditRefused) as refused:
        joint.update_initiatives(ws, {a: {"status": "approved", "cmo_impact": 5},
                                           b: {"cmo_impact": 7}}, CMO, known_touchpoints=TPS)
    assert table_state(ws) == before
    assert refused.value.errors == [
        "Initiative 2 'B': CMO impact = 7 refused — CMO impact must be a whole number from 1 to 5."]


@pytest.mark.parametrize("values, message", [
    ({"cmo_impact": 2.5}, "CMO impact must be a whole number from 1 to 5"),
    ({"cmo_effort": "high"}, "CMO effort must be a whole number from 1 to 5"),
    ({"due_date": "31/12/2025"}, "Due is not a date (YYYY-MM-DD)"),
    ({"started_on": "2025-05-01", "due_date": "2025-04-30"}, "Due 2025-04-30 refused — it is before Started 2025-05-01"),
    ({"title": "  "}, "Title is required"),
    ({"status": "finished"}, "Status must be one of proposed, approved, in progress, done, dropped"),
    ({"owner": "CFO"}, "Owner must be one of CMO, CIO, Joint"),
    ({"touchpoints": ["web", "kiosk"]}, "unknown touchpoint kiosk"),
    ({"kpi_ids": ["csat", "happiness"]}, "unknown KPI id happiness"),
    ({"cio_impact": 3}, "CIO impact is the CIO's score; you act as CMO"),
    ({"priority": 3}, "'priority' cannot be edited"),
])
def test_bad_edits_are_refused_with_the_rule(ws, values, message):
    a = add(ws, "A", cmo=(4, 2), cio=(4, 2))
    before = table_state(ws)
    with pytest.raises(access.Refused) as refused:  # a broken rule, or a score of another role
        joint.update_initiatives(ws, {a: values}, CMO, known_touchpoints=TPS)
    assert message in str(refused.value)
    assert table_state(ws) == before


def test_a_new_initiative_needs_a_title_and_an_editor(ws):
    with pytest.raises(joint.EditRefused, match="Title"):
        joint.create_initiative(ws, {"owner": "CMO", "cost_band": "S"}, CMO, known_touchpoints=TPS)
    with pytest.raises(access.Refused, match="display name"):
        joint.Person(" ", "CMO")
    with pytest.raises(access.Refused, match="Role 'CFO'"):
        joint.Person("Fay", "CFO")
    assert joint.initiatives(ws).empty and joint.history(ws).empty


def test_starting_work_sets_the_start_date(ws):
    a = add(ws, "A")
    joint.update_initiatives(ws, {a: {"status": "in progress"}}, CMO, at=datetime(2025, 4, 3, 10), known_touchpoints=TPS)
    assert by_title(ws)["A"]["started_on"].date() == date(2025, 4, 3)


@pytest.mark.parametrize("text, expected", [
    ("+3 pts CSAT on mobile_app", 3.0), ("-300 ms p95 latency", -300.0), ("−1.5 pts churn", -1.5),
    ("+2,5 pts NPS", 2.5), ("more happy customers", None), ("", None),
])
def test_expected_change_reads_the_leading_number(text, expected):
    assert joint.expected_change(text) == expected


def test_decisions_and_actions_carry_over_until_closed(ws):
    a = add(ws, "A")
    joint.add_decision(ws, date(2025, 3, 10), "Approve A", CMO, initiative_id=a)
    first = joint.add_action(ws, date(2025, 3, 10), "Cost A", "Ian", "2025-03-31", CIO, a)
    second = joint.add_action(ws, date(2025, 3, 10), "Brief stores", "Claire", "2025-05-31", CMO)
    assert joint.meetings(ws) == [date(2025, 3, 10)]
    # At the next meeting both are open, the first overdue.
    open_then = joint.actions(ws, as_of=date(2025, 4, 10), open_only=True)
    assert list(open_then["action_id"]) == [first, second]
    assert list(open_then["overdue"]) == [True, False]
    joint.set_action_status(ws, first, "done", CIO, on=date(2025, 4, 10))
    # Closed at that meeting: the one after no longer lists it...
    assert list(joint.actions(ws, as_of=date(2025, 5, 8), open_only=True)["action_id"]) == [second]
    # ...but the pack of the April meeting still shows it was open then.
    assert list(joint.actions(ws, as_of=date(2025, 4, 10), open_only=True)["action_id"]) == [first, second]
    log = joint.history(ws, "action", first)
    assert list(log["field"]) == ["text", "owner", "due_date", "status", "status"]
    assert list(log["new_value"])[-1] == "done" and list(log["author"])[-1] == "Ian"
    decided = joint.decisions(ws, date(2025, 3, 10))
    assert list(decided["initiative"]) == ["A"]


@pytest.mark.parametrize("call, message", [
    (lambda con: joint.add_decision(con, date(2025, 3, 10), "", CMO), "A decision needs its text"),
    (lambda con: joint.add_decision(con, date(2025, 3, 10), "x", CMO, initiative_id=99), "Initiative 99 does not exist"),
    (lambda con: joint.add_decision(con, date(2025, 3, 10), "x", CMO, kpi_id="mood"), "KPI 'mood' is not in the catalog"),
    (lambda con: joint.add_action(con, date(2025, 3, 10), "x", "", "2025-04-01", CMO), "An action needs an owner"),
    (lambda con: joint.add_action(con, date(2025, 3, 10), "x", "Ian", None, CMO), "An action needs a due date"),
    (lambda con: joint.add_action(con, date(2025, 3, 10), "x", "Ian", "soon", CMO), "'soon' is not a date"),
    (lambda con: joint.set_action_status(con, 1, "closed", CMO), "must be one of open, done, dropped"),
])
def test_bad_meeting_records_are_refused(ws, call, message):
    with pytest.raises(joint.EditRefused, match=re.escape(message)):
        call(ws)
    assert joint.meetings(ws) == [] and joint.decisions(ws).empty and joint.actions(ws).empty


def test_the_schema_refuses_what_the_code_refuses(ws):
    # A second guard: the table's own checks hold even for a hand-written insert.
    with pytest.raises(Exception, match="CHECK"):
        ws.execute("INSERT INTO initiatives (title, owner, status, cost_band, cmo_impact, created_at, "
                   "updated_at) VALUES ('x', 'CMO', 'proposed', 'M', 6, '2025-04-01', '2025-04-01')")
    with pytest.raises(Exception, match="CHECK"):
        ws.execute("INSERT INTO initiatives (title, owner, status, cost_band, due_date, created_at, "
                   "updated_at) VALUES ('x', 'CMO', 'proposed', 'M', '31/12/2025', '2025-04-01', '2025-04-01')")


def test_demo_initiatives_tell_a_story(demo_db_path):
    with workspace.opened(workspace.path_for(demo_db_path)) as con:
        frame = joint.initiatives(con, date(2026, 11, 10))
        assert len(frame) == 12
        assert 3 <= int(frame["needs_discussion"].sum()) <= 6, "some aligned, some not"
        assert set(frame["status"]) == set(joint.STATUSES)
        assert int(frame["overdue"].sum()) >= 1 and frame["awaiting_score"].notna().sum() == 1
        assert len(joint.meetings(con)) == 2
        # Every initiative's log starts with its creation and ends in its current status.
        log = joint.history(con)
        for r in frame.to_dict("records"):
            own = log[(log["entity_id"] == r["initiative_id"]) & (log["field"] == "status")]
            assert own["new_value"].iloc[-1] == r["status"]
