"""Steering meetings: the dates they were held, the decisions taken and the
action items raised (which stay on later agendas until closed). Writes
check first and change the workspace in one transaction."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

import pandas as pd

from cxhub import access, workspace
from cxhub.access import Person
from cxhub.db import utc_now
from cxhub.joint.changes import EditRefused, as_date, blank, guarded, log
from cxhub.kpis.catalog import KPIS

ACTION_STATUSES = ("open", "done", "dropped")


def _hold(ws: sqlite3.Connection, meeting_date: date, person: Person, at: datetime) -> None:
    added = ws.execute("INSERT INTO meetings VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       [meeting_date.isoformat(), person.name, workspace.stored(at)]).rowcount
    if added:
        log(ws, "meeting", None, "meeting_date", None, meeting_date, person, at, action="record")


@guarded("meeting")
def hold_meeting(ws: sqlite3.Connection, meeting_date: date, person: Person, at: datetime | None = None) -> None:
    """Record that a steering meeting takes place on this date (idempotent)."""
    access.require(person, "edit_joint_work", "Recording a meeting")
    with workspace.transaction(ws):
        _hold(ws, meeting_date, person, at or utc_now())


def _check_record(ws: sqlite3.Connection, what: str, text: str, initiative_id, kpi_id) -> list[str]:
    """The rules every record of a meeting keeps: its text, and links that
    name an initiative that exists and a KPI of the catalog."""
    errors = [f"{what} needs its text."] if blank(text) else []
    if initiative_id is not None and not workspace.rows(
            ws, "SELECT 1 FROM initiatives WHERE initiative_id = ?", [int(initiative_id)]):
        errors.append(f"Initiative {initiative_id} does not exist.")
    if kpi_id is not None and kpi_id not in KPIS:
        errors.append(f"KPI {kpi_id!r} is not in the catalog.")
    return errors


@guarded("decision")
def add_decision(ws: sqlite3.Connection, meeting_date: date, text: str, person: Person,
                 initiative_id: int | None = None, kpi_id: str | None = None, at: datetime | None = None) -> int:
    """Record a decision taken at a meeting, optionally about an initiative or a KPI."""
    access.require(person, "edit_joint_work", "Recording a decision")
    at = at or utc_now()
    with workspace.transaction(ws):
        errors = _check_record(ws, "A decision", text, initiative_id, kpi_id)
        if errors:
            raise EditRefused(errors)
        _hold(ws, meeting_date, person, at)
        decision_id = ws.execute(
            "INSERT INTO decisions (meeting_date, text, initiative_id, kpi_id, author, role, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING decision_id",
            [meeting_date.isoformat(), text.strip(), None if initiative_id is None else int(initiative_id), kpi_id,
             person.name, person.role_label, workspace.stored(at)],
        ).fetchall()[0][0]
        log(ws, "decision", decision_id, "text", None, text.strip(), person, at, action="record")
    return decision_id


@guarded("action")
def add_action(ws: sqlite3.Connection, meeting_date: date, text: str, owner: str, due_date: Any,
               person: Person, initiative_id: int | None = None, kpi_id: str | None = None,
               at: datetime | None = None) -> int:
    """Record an action item raised at a meeting; it stays on later agendas until closed."""
    access.require(person, "edit_joint_work", "Recording an action item")
    at = at or utc_now()
    with workspace.transaction(ws):
        errors = _check_record(ws, "An action", text, initiative_id, kpi_id)
        if blank(owner):
            errors.append("An action needs an owner.")
        due = None
        try:
            due = as_date(due_date)
            if due is None:
                errors.append("An action needs a due date.")
        except ValueError:
            errors.append(f"Due date {due_date!r} is not a date (YYYY-MM-DD).")
        if errors:
            raise EditRefused(errors)
        _hold(ws, meeting_date, person, at)
        action_id = ws.execute(
            "INSERT INTO action_items (meeting_date, text, owner, due_date, status, initiative_id, kpi_id, created_at) "
            "VALUES (?, ?, ?, ?, 'open', ?, ?, ?) RETURNING action_id",
            [meeting_date.isoformat(), text.strip(), owner.strip(), due.isoformat(),
             None if initiative_id is None else int(initiative_id), kpi_id, workspace.stored(at)],
        ).fetchall()[0][0]
        for name, value in (("text", text.strip()), ("owner", owner.strip()), ("due_date", due), ("status", "open")):
            log(ws, "action", action_id, name, None, value, person, at, action="create")
    return action_id


@guarded("action")
def set_action_statuses(ws: sqlite3.Connection, changes: dict[int, str], person: Person,
                        on: date | None = None, at: datetime | None = None) -> int:
    """Close (done / dropped) or reopen action items {action_id: status}, all
    or none, auditing each change. Returns how many changed."""
    access.require(person, "edit_joint_work", "Changing an action item's status")
    at = at or utc_now()
    count = 0
    with workspace.transaction(ws):
        errors, planned = [], []
        for action_id, status in changes.items():
            found = workspace.rows(ws, "SELECT status FROM action_items WHERE action_id = ?", [int(action_id)])
            if status not in ACTION_STATUSES:
                errors.append(f"Action {action_id}: status {status!r} must be one of {', '.join(ACTION_STATUSES)}.")
            elif not found:
                errors.append(f"Action {action_id} does not exist.")
            elif found[0][0] != status:
                planned.append((int(action_id), found[0][0], status))
        if errors:
            raise EditRefused(errors)
        for action_id, before, status in planned:
            closed_on = None if status == "open" else (on or at.date())
            ws.execute("UPDATE action_items SET status = ?, closed_on = ? WHERE action_id = ?",
                       [status, workspace.stored(closed_on), action_id])
            log(ws, "action", action_id, "status", before, status, person, at)
            count += 1
    return count


def set_action_status(ws: sqlite3.Connection, action_id: int, status: str, person: Person,
                      on: date | None = None, at: datetime | None = None) -> None:
    """Close (done / dropped) or reopen one action item, logging the change."""
    set_action_statuses(ws, {action_id: status}, person, on, at)


# ---------------------------------------------------------------- reading

def meetings(ws: sqlite3.Connection) -> list[date]:
    """Dates of the recorded steering meetings, oldest first."""
    return [date.fromisoformat(r[0]) for r in workspace.rows(ws, "SELECT meeting_date FROM meetings ORDER BY 1")]


def decisions(ws: sqlite3.Connection, meeting_date: date | None = None) -> pd.DataFrame:
    """Decisions of one meeting (or all), with the linked initiative's title."""
    sql = """SELECT d.decision_id, d.meeting_date, d.text, d.initiative_id, i.title AS initiative, d.kpi_id,
                    d.author, d.role, d.recorded_at
             FROM decisions d LEFT JOIN initiatives i USING (initiative_id)"""
    params: list[Any] = []
    if meeting_date is not None:
        sql += " WHERE d.meeting_date = ?"
        params.append(meeting_date.isoformat())
    out = workspace.frame(ws, sql + " ORDER BY d.meeting_date, d.decision_id", params,
                          dates=["meeting_date", "recorded_at"])
    out["initiative_id"] = out["initiative_id"].astype("Int64")
    return out


def actions(ws: sqlite3.Connection, as_of: date | None = None, raised_at: date | None = None,
            open_only: bool = False) -> pd.DataFrame:
    """Action items with an `overdue` flag as of a day. `raised_at` keeps one
    meeting's items; `open_only` keeps those raised before `as_of` and still
    open on that day (closed later counts as open then)."""
    params: dict[str, Any] = {"as_of": (as_of or date.today()).isoformat()}
    sql = """SELECT a.*, i.title AS initiative,
                    coalesce((a.status = 'open' OR a.closed_on >= :as_of) AND a.due_date < :as_of, 0) AS overdue
             FROM action_items a LEFT JOIN initiatives i USING (initiative_id) WHERE 1"""
    if raised_at is not None:
        sql += " AND a.meeting_date = :raised"
        params["raised"] = raised_at.isoformat()
    if open_only:
        sql += " AND a.meeting_date < :as_of AND (a.status = 'open' OR a.closed_on >= :as_of)"
    out = workspace.frame(ws, sql + " ORDER BY a.due_date, a.action_id", params,
                          dates=["meeting_date", "due_date", "closed_on", "created_at"], flags=["overdue"])
    out["initiative_id"] = out["initiative_id"].astype("Int64")
    return out
