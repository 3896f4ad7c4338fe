"""Alerts the steering group has seen: "acknowledge" takes a new alert off
the agenda; "make an action" raises an action item about it and does the
same. Analysts and up (edit_joint_work) may; every review is audited."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

from cxhub import access, workspace
from cxhub.access import Person
from cxhub.db import utc_now
from cxhub.joint.changes import guarded, log
from cxhub.joint.meetings import add_action

KINDS = ("spike", "dip", "shift")


def key(alert: dict) -> tuple[str, str, str, str]:
    """What an alert is known by: its series, its day and its kind."""
    day = alert["day"].isoformat() if isinstance(alert["day"], date) else str(alert["day"])
    return alert["metric"], alert["touchpoint"], day, alert["kind"]


def describe(alert: dict, touchpoint_name: str | None = None, metric_label: str | None = None) -> str:
    """'p95 latency (ms) shift at Mobile app on 2026-05-04: 1317.00, expected 567.00'."""
    metric, touchpoint, day, kind = key(alert)
    return (f"{metric_label or metric} {kind} at {touchpoint_name or touchpoint} on {day}: "
            f"{alert['value']:,.2f}, expected {alert['expected']:,.2f}")  # not a KPI value


def _review(ws: sqlite3.Connection, alert: dict, person: Person, at: datetime, action_id: int | None) -> bool:
    metric, touchpoint, day, kind = key(alert)
    if kind not in KINDS:
        raise ValueError(f"an alert's kind is one of {', '.join(KINDS)}, not {kind!r}")
    added = ws.execute(
        "INSERT INTO alert_reviews VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [metric, touchpoint, day, kind, person.name, person.role_label, workspace.stored(at), action_id]).rowcount
    if added:
        log(ws, "alert", action_id, "acknowledged" if action_id is None else "made an action",
            None, " ".join(key(alert)), person, at, action="record")
    return bool(added)


@guarded("alert")
def acknowledge(ws: sqlite3.Connection, alert: dict, person: Person, at: datetime | None = None) -> bool:
    """Take an alert off the agenda (False when it was already reviewed)."""
    access.require(person, "edit_joint_work", "Acknowledging an alert")
    with workspace.transaction(ws):
        return _review(ws, alert, person, at or utc_now(), None)


@guarded("alert")
def make_action(ws: sqlite3.Connection, alert: dict, meeting_date: date, owner: str, due_date: Any,
                person: Person, text: str | None = None, at: datetime | None = None) -> int:
    """Raise an action item about an alert at a meeting, and mark the alert
    reviewed with it. Returns the action item's id."""
    access.require(person, "edit_joint_work", "Making an action of an alert")
    at = at or utc_now()
    action_id = add_action(ws, meeting_date, text or f"Look into: {describe(alert)}", owner, due_date, person, at=at)
    with workspace.transaction(ws):
        _review(ws, alert, person, at, action_id)
    return action_id


def reviewed(ws: sqlite3.Connection) -> set[tuple[str, str, str, str]]:
    """The keys of every reviewed alert."""
    return {tuple(r) for r in workspace.rows(ws, "SELECT metric, touchpoint_id, day, kind FROM alert_reviews")}
