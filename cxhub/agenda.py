"""The steering meeting's agenda, built from data: KPIs in red (and those
that turned red since the last meeting), the biggest movers, initiatives to
discuss, and the action items still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

from cxhub import joint
from cxhub.kpis import KPIS, Period, data_span, engine
from cxhub.kpis.details import biggest_moves
from cxhub.kpis.period import add_months, month_end
from cxhub.kpis.status import judge


@dataclass(frozen=True)
class Agenda:
    meeting_date: date
    last_meeting: date | None  # the meeting before this one, if any
    period: Period  # the month this meeting reviews
    compared_with: Period  # the month the last meeting reviewed (else the month before)
    scorecard: pd.DataFrame  # engine.scorecard() of the period
    red_kpis: pd.DataFrame  # id, name, owner, value, target, status_then, newly_red
    recovered: pd.DataFrame  # red then, not red now
    movers: pd.DataFrame  # details.biggest_moves()
    initiatives: pd.DataFrame  # joint.initiatives() rows to discuss, with `reasons`
    open_actions: pd.DataFrame  # joint.actions(open_only=True)

    @property
    def is_empty(self) -> bool:
        return self.red_kpis.empty and self.movers.empty and self.initiatives.empty and self.open_actions.empty


def review_period(meeting_date: date, data_end: date | None) -> Period:
    """The month a meeting reviews: the last full month before it, or the
    last full month of data when the data ends earlier."""
    month = add_months(meeting_date.replace(day=1), -1)
    if data_end is not None and month_end(month) > data_end:
        last_full = data_end if data_end == month_end(data_end) else data_end.replace(day=1) - timedelta(days=1)
        month = last_full.replace(day=1)
    return Period(month, month_end(month))


def last_meeting_before(con: duckdb.DuckDBPyConnection, meeting_date: date) -> date | None:
    earlier = [d for d in joint.meetings(con) if d < meeting_date]
    return earlier[-1] if earlier else None


def _statuses_then(con, card: pd.DataFrame, period: Period, then: Period) -> dict[str, str]:
    """Each KPI's status in the earlier month: from the scorecard's previous
    values when that is the month before (no extra query), else computed."""
    if then == period.previous():
        # Review periods are whole months: the target is the same figure for both.
        return {r["id"]: judge(KPIS[r["id"]], None if pd.isna(r["previous"]) else r["previous"], r["previous_n"],
                               r["previous_complete"],
                               None if pd.isna(r["target"]) else (r["target"], r["amber_band"]))
                for r in card.to_dict("records")}
    earlier = engine.scorecard(con, then)
    return dict(zip(earlier["id"], earlier["status"]))


REASONS = {
    "needs_discussion": "scores differ by 2 or more",
    "overdue": "overdue",
    "proposed": "awaiting approval",
}


def initiatives_to_discuss(frame: pd.DataFrame) -> pd.DataFrame:
    """Open initiatives that need the meeting: scores apart, overdue, or
    proposed and awaiting approval; `reasons` says which."""
    open_ = frame[~frame["status"].isin(joint.CLOSED)].copy()
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


def kpi_review(con: duckdb.DuckDBPyConnection, period: Period, then: Period
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The KPI part of an agenda: (scorecard with status_then, red KPIs with
    newly_red, KPIs back from red, biggest movers)."""
    card = engine.scorecard(con, period)
    before = _statuses_then(con, card, period, then)
    card = card.assign(status_then=card["id"].map(before))
    # Partial values and those from fewer than 30 are never judged (status none): not news, red or not.
    red = card[card["status"] == "red"].assign(newly_red=lambda f: f["status_then"] != "red")
    red = red.sort_values(["newly_red", "group"], ascending=[False, True]).reset_index(drop=True)
    recovered = card[(card["status_then"] == "red") & card["status"].isin(["green", "amber"])].reset_index(drop=True)
    movers = biggest_moves(card, engine.by_touchpoint(con, list(KPIS), period), period)
    return card, red, recovered, movers


def build_agenda(con: duckdb.DuckDBPyConnection, meeting_date: date, review=kpi_review) -> Agenda:
    """Everything the meeting on `meeting_date` should look at. `review`
    computes the KPI part (the app passes a cached kpi_review)."""
    _, data_end = data_span(con)
    period = review_period(meeting_date, data_end)
    last = last_meeting_before(con, meeting_date)
    then = review_period(last, data_end) if last else period.previous()
    if then >= period:
        then = period.previous()
    card, red, recovered, movers = review(con, period, then)
    return Agenda(
        meeting_date=meeting_date, last_meeting=last, period=period, compared_with=then, scorecard=card,
        red_kpis=red, recovered=recovered, movers=movers,
        initiatives=initiatives_to_discuss(joint.initiatives(con, as_of=meeting_date)),
        open_actions=joint.actions(con, as_of=meeting_date, open_only=True),
    )
