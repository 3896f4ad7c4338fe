"""The steering meeting's agenda and 'is it working?', on the tiny
hand-built database (orders January–April 2025, see conftest.py)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from cxhub import joint
from cxhub.access import AccessRefused
from cxhub.joint import agenda, progress
from cxhub.kpis import Period

from fixtures import TINY_TOUCHPOINTS as TPS

CMO = joint.Person("Claire", "CMO")
CIO = joint.Person("Ian", "CIO")


@pytest.mark.parametrize("meeting, data_end, month", [
    (date(2025, 4, 10), date(2025, 7, 10), date(2025, 3, 1)),   # the month before the meeting
    (date(2025, 4, 1), date(2025, 7, 10), date(2025, 3, 1)),
    (date(2025, 8, 20), date(2025, 7, 10), date(2025, 6, 1)),   # data ends mid-July: June is the last full month
    (date(2025, 8, 20), date(2025, 7, 31), date(2025, 7, 1)),   # ... or ends with July
])
def test_a_meeting_reviews_the_last_full_month_before_it(meeting, data_end, month):
    assert agenda.review_period(meeting, data_end).start == month


def test_red_kpis_and_what_turned_red(judged_db, tiny_db, ws):
    ag = agenda.build_agenda(judged_db, ws, date(2025, 4, 10))
    assert ag.period == Period(date(2025, 3, 1), date(2025, 3, 31))
    assert ag.compared_with == Period(date(2025, 2, 1), date(2025, 2, 28)) and ag.last_meeting is None
    # March by hand (conftest's judged company): churn 10 of 40 February buyers = 25% against a 20%
    # ceiling (band 1): red; in February nobody churned (0%): green, so it turned red.
    assert list(ag.red_kpis["id"]) == ["churn_rate"]
    assert ag.red_kpis["newly_red"].tolist() == [True]
    assert ag.red_kpis["value"].iloc[0] == pytest.approx(25.0)
    # Repeat purchase: 0 of 40 February buyers bought twice (red), 5 of 30 in March (16.7% ≥ 10).
    # Revenue per customer: 20 in February (target 30: red), 925 / 30 = 30.83 in March.
    assert list(ag.recovered["id"]) == ["repeat_purchase_rate", "revenue_per_customer"]
    # The tiny company's March rests on fewer than 30 everywhere: nothing is judged, nothing is red.
    assert agenda.build_agenda(tiny_db, ws, date(2025, 4, 10)).red_kpis.empty


def test_the_last_meeting_sets_what_we_compare_with(judged_db, ws):
    joint.hold_meeting(ws, date(2025, 2, 5), CMO)  # it reviewed January
    ag = agenda.build_agenda(judged_db, ws, date(2025, 4, 10))
    assert ag.last_meeting == date(2025, 2, 5)
    assert ag.compared_with == Period(date(2025, 1, 1), date(2025, 1, 31))
    # January has no earlier buyers: no churn figure, so March's red is new since then too.
    assert ag.red_kpis.set_index("id").loc["churn_rate", "status_then"] == "none"
    # January: j00-j39 bought once each, 10 each: repeat purchase 0% and revenue per customer 10
    # (target 30), both red; in March 16.7% and 30.83, both on target.
    assert list(ag.recovered["id"]) == ["repeat_purchase_rate", "revenue_per_customer"]


def test_initiatives_and_actions_on_the_agenda(tiny_db, ws):
    def add(title, status, cmo, cio, due=None, start=None):
        new_id = joint.create_initiative(ws, {"title": title, "owner": "Joint", "cost_band": "S",
                                                   "status": status, "due_date": due, "started_on": start,
                                                   "cmo_impact": cmo[0], "cmo_effort": cmo[1]}, CMO, known_touchpoints=TPS)
        if cio:
            joint.update_initiatives(ws, {new_id: {"cio_impact": cio[0], "cio_effort": cio[1]}}, CIO, known_touchpoints=TPS)
        return new_id

    add("apart", "approved", (5, 2), (3, 2))
    add("proposed", "proposed", (3, 3), (3, 3))
    add("late", "in progress", (3, 3), (3, 3), due="2025-04-01", start="2025-01-01")
    add("apart but done", "done", (5, 1), (1, 5), start="2025-01-01")
    add("fine", "approved", (3, 3), (4, 3), due="2025-12-31")
    add("unscored", "approved", (3, 3), None)
    raised = joint.add_action(ws, date(2025, 3, 10), "Cost it", "Ian", "2025-03-31", CIO)
    joint.add_action(ws, date(2025, 4, 10), "Raised today", "Ian", "2025-05-31", CIO)
    ag = agenda.build_agenda(tiny_db, ws, date(2025, 4, 10))
    reasons = dict(zip(ag.initiatives["title"], ag.initiatives["reasons"]))
    assert reasons == {
        "apart": "scores differ by 2 or more",
        "proposed": "awaiting approval",
        "late": "overdue",
        "unscored": "awaiting the CIO's score",
    }
    # Only actions from earlier meetings, still open on the day.
    assert list(ag.open_actions["action_id"]) == [raised] and ag.open_actions["overdue"].all()


def test_is_it_working_compares_with_the_months_before_the_start(tiny_db, ws):
    new_id = joint.create_initiative(ws, {
        "title": "Web retention", "owner": "CMO", "cost_band": "S", "status": "in progress",
        "started_on": "2025-03-01", "touchpoints": ["web"], "kpi_ids": ["retention_rate", "digital_share"],
        "expected_effect": "+5 pts retention"}, CMO, at=datetime(2025, 3, 1), known_touchpoints=TPS)
    row = joint.initiatives(ws).set_index("initiative_id").loc[new_id].to_dict()
    trend, summary = progress.progress(tiny_db, row)
    s = summary.set_index("kpi_id")
    # Web orders by hand. December and January have no web retention (no buyers before them);
    # February: of January's web buyers c1, c2 only c1 bought on the web: 50%, the baseline alone.
    assert s.loc["retention_rate", "baseline"] == pytest.approx(50.0)
    # Orders end on 1 April, so April is partial and May has none: the last complete month is March.
    # Of February's web buyers c1, c3 only c1 bought on the web in March: 50%.
    assert s.loc["retention_rate", "latest"] == pytest.approx(50.0)
    assert s.loc["retention_rate", "change"] == pytest.approx(0.0)
    # Web retention rests on 2 and 3 customers: shown, but too few to call better or worse.
    assert s.loc["retention_rate", "expected"] == 5.0 and s.loc["retention_rate", "better"] is None
    assert s.loc["retention_rate", "small"]
    assert s.loc["retention_rate", "scope"] == "web"
    # The channel mix is followed company-wide, whatever the initiative's touchpoints.
    assert s.loc["digital_share", "scope"] == "company"
    months = sorted(trend.loc[trend["kpi_id"] == "retention_rate", "bucket_start"])
    assert months[0] == date(2024, 12, 1) and months[-1] == date(2025, 6, 1)  # 3 months before → last full month


def test_one_dip_before_the_start_does_not_set_the_baseline():
    # An incident month (60) right before the start between two ordinary ones (80, 82).
    months = pd.DataFrame({
        "bucket_start": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)],
        "value": [80.0, 82.0, 60.0, 81.0, None], "complete": [True, True, True, True, False],
        "small_sample": [False, False, False, False, False]})
    assert progress.baseline_of(months, date(2025, 4, 10)) == (80.0, False)  # median of 80, 82, 60
    # Months the data does not cover, or that are partial, do not count; a month on few responses marks it.
    assert progress.baseline_of(months.assign(small_sample=[False, True, False, False, False]),
                                date(2025, 3, 15)) == (81.0, True)  # median of 80 and 82
    assert progress.baseline_of(months, date(2025, 1, 20)) == (None, False)


def test_no_progress_before_the_start(tiny_db, ws):
    new_id = joint.create_initiative(ws, {"title": "Later", "owner": "CMO", "cost_band": "S",
                                               "kpi_ids": ["csat"]}, CMO, known_touchpoints=TPS)
    row = joint.initiatives(ws).set_index("initiative_id").loc[new_id].to_dict()
    trend, summary = progress.progress(tiny_db, row)
    assert trend.empty and summary.empty


# ------------------------------------------------------------------ what just broke

def _spiky_latency(tmp_path):
    """A year of web latency (500 ms ± 10) with one bad spike on 27 Nov 2025."""
    import numpy as np

    from fixtures import build_health_series

    start = date(2025, 1, 1)
    values = 500 + np.random.default_rng(4).normal(0, 10, 400)
    spike = (date(2025, 11, 27) - start).days
    values[spike] += 200
    return build_health_series(tmp_path / "spiky.duckdb", [float(v) for v in values], start)


def test_new_bad_alerts_open_the_agenda_until_someone_reviews_them(tmp_path, ws):
    con = _spiky_latency(tmp_path)
    ag = agenda.build_agenda(con, ws, date(2025, 12, 10))  # reviews November 2025
    assert ag.period == Period(date(2025, 11, 1), date(2025, 11, 30))
    assert [(a["metric"], a["day"], a["kind"]) for a in ag.alerts] == [("p95_latency_ms", date(2025, 11, 27), "spike")]
    assert not ag.is_empty

    analyst = joint.Person("Ana", "analyst")
    assert joint.acknowledge(ws, ag.alerts[0], analyst) is True
    assert joint.acknowledge(ws, ag.alerts[0], analyst) is False  # once is enough
    assert agenda.build_agenda(con, ws, date(2025, 12, 10)).alerts == ()
    assert joint.history(ws, "alert")["author"].tolist() == ["Ana"]


def test_an_alert_made_an_action_stays_on_the_agenda_as_that_action(tmp_path, ws):
    con = _spiky_latency(tmp_path)
    ag = agenda.build_agenda(con, ws, date(2025, 12, 10))
    action_id = joint.make_action(ws, ag.alerts[0], date(2025, 12, 10), "CIO", "2025-12-31", CIO)
    later = agenda.build_agenda(con, ws, date(2025, 12, 11))
    assert later.alerts == ()
    raised = later.open_actions.set_index("action_id").loc[action_id]
    assert raised["text"].startswith("Look into: p95_latency_ms spike at web on 2025-11-27") and raised["owner"] == "CIO"


def test_a_viewer_cannot_review_an_alert_and_the_refusal_is_audited(tmp_path, ws):
    con = _spiky_latency(tmp_path)
    alert = agenda.build_agenda(con, ws, date(2025, 12, 10)).alerts[0]
    with pytest.raises(AccessRefused):
        joint.acknowledge(ws, alert, joint.Person("Vic", "viewer"))
    assert agenda.build_agenda(con, ws, date(2025, 12, 10)).alerts != ()
    refused = joint.audit(ws)
    assert refused.iloc[-1]["allowed"] == 0 and refused.iloc[-1]["entity"] == "alert"
