"""The steering meeting's agenda, built from data: first what just broke
(bad alerts of the month nobody has reviewed yet), then KPIs in red (and
those that turned red since the last meeting), the biggest movers,
initiatives to discuss, and the action items still open."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from cxhub.joint.alert_reviews import key, reviewed
from cxhub.joint.initiatives import CLOSED, initiatives
from cxhub.joint.meetings import actions, meetings
from cxhub.kpis import Period, data_span
from cxhub.kpis.period import add_months, month_end
from cxhub.kpis.review import kpi_review


@dataclass(frozen=True)
class Agenda:
    meeting_date: date
    last_meeting: date | None  # the meeting before this one, if any
    period: Period  # the month this meeting reviews
    compared_with: Period  # the month the last meeting reviewed (else the month before)
    scorecard: pd.DataFrame  # engine.scorecard() of the period
    red_kpis: pd.DataFrame  # id, name, owner, value, target, status_then, newly_red
    recovered: pd.DataFrame  # red then, not red now
    movers: pd.DataFrame  # kpis.details.biggest_moves()
    initiatives: pd.DataFrame  # joint.initiatives() rows to discuss, with `reasons`
    open_actions: pd.DataFrame  # joint.actions(open_only=True)
    alerts: tuple = ()  # new bad alerts of the period (insights.alerts rows nobody has reviewed), worst first

    @property
    def is_empty(self) -> bool:
        return (self.red_kpis.empty and self.movers.empty and self.initiatives.empty and self.open_actions.empty
                and not self.alerts)


def review_period(meeting_date: date, data_end: date | None) -> Period:
    """The month a meeting reviews: the last full month before it, or the
    last full month of data when the data ends earlier."""
    month = add_months(meeting_date.replace(day=1), -1)
    if data_end is not None and month_end(month) > data_end:
        last_full = data_end if data_end == month_end(data_end) else data_end.replace(day=1) - timedelta(days=1)
        month = last_full.replace(day=1)
    return Period(month, month_end(month))


def last_meeting_before(meetings: list[date], meeting_date: date) -> date | None:
    earlier = [d for d in meetings if d < meeting_date]
    return earlier[-1] if earlier else None


@dataclass(frozen=True)
class Plan:
    """What a meeting reviews: the month, the month it is compared with,
    and the meeting before it."""

    meeting_date: date
    period: Period
    compared_with: Period
    last_meeting: date | None


def plan(ws: sqlite3.Connection, meeting_date: date, data_end: date | None) -> Plan:
    """The month a meeting reviews and what it compares with: the month the
    last meeting reviewed, else the month before."""
    period = review_period(meeting_date, data_end)
    last = last_meeting_before(meetings(ws), meeting_date)
    then = review_period(last, data_end) if last else period.previous()
    if then >= period:
        then = period.previous()
    return Plan(meeting_date, period, then, last)


REASONS = {
    "needs_discussion": "scores differ by 2 or more",
    "overdue": "overdue",
    "proposed": "awaiting approval",
}


def initiatives_to_discuss(frame: pd.DataFrame) -> pd.DataFrame:
    """Open initiatives that need the meeting: scores apart, overdue, or
    proposed and awaiting approval; `reasons` says which."""
    open_ = frame[~frame["status"].isin(CLOSED)].copy()
    reasons = []
    for r in open_.to_dict("records"):
        why = [REASONS["needs_discussion"]] if r["needs_discussion"] else []
        why += [REASONS["overdue"]] if r["overdue"] else []
        why += [REASONS["proposed"]] if r["status"] == "proposed" else []
        if isinstance(r["awaiting_score"], str):
            why.append(f"awaiting the {r['awaiting_score']}'s score")
        reasons.append("; ".join(why))
    open_["reasons"] = reasons
    return open_[open_["reasons"] != ""].reset_index(drop=True)


def new_alerts(ws: sqlite3.Connection, found: list[dict]) -> tuple:
    """The bad alerts nobody has acknowledged or acted on yet."""
    seen = reviewed(ws)
    return tuple(a for a in found if a["bad"] and key(a) not in seen)


def assemble(ws: sqlite3.Connection, plan: Plan, review: tuple, found: list[dict] = ()) -> Agenda:
    """The agenda from its plan, the KPI review of the plan's months
    (cxhub.kpis.review.kpi_review, which the app caches as a named query),
    the alerts of the plan's month (cxhub.insights.alerts, cached likewise)
    and the joint work in the workspace."""
    card, red, recovered, movers = review
    return Agenda(
        alerts=new_alerts(ws, list(found)),
        meeting_date=plan.meeting_date, last_meeting=plan.last_meeting, period=plan.period,
        compared_with=plan.compared_with, scorecard=card, red_kpis=red, recovered=recovered, movers=movers,
        initiatives=initiatives_to_discuss(initiatives(ws, as_of=plan.meeting_date)),
        open_actions=actions(ws, as_of=plan.meeting_date, open_only=True),
    )


def build_agenda(con: duckdb.DuckDBPyConnection, ws: sqlite3.Connection, meeting_date: date) -> Agenda:
    """Everything the meeting on `meeting_date` should look at."""
    from cxhub.insights.alerts import alerts  # the statistics load with the first agenda

    _, data_end = data_span(con)
    p = plan(ws, meeting_date, data_end)
    return assemble(ws, p, kpi_review(con, p.period, p.compared_with), alerts(con, p.period))
