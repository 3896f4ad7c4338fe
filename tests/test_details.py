"""Drill-down queries on the tiny hand-built company (see conftest.py)."""

from __future__ import annotations

from datetime import date

import pytest

from cxhub.kpis import Period, by_touchpoint, scorecard
from cxhub.kpis.details import (biggest_moves, channel_switching, detractor_comments, health_events,
                                intent_resolution, volume)
from cxhub.kpis.engine import by_dimension

from fixtures import MARCH


def test_health_events(tiny_db):
    events = health_events(tiny_db, MARCH)
    # web 1 Mar (1 incident), web 2 Mar (97% available), contact center 1 Mar (2 incidents)
    assert sorted(zip(events["day"].astype(str).str[:10], events["touchpoint"])) == [
        ("2025-03-01", "Contact center"), ("2025-03-01", "Website"), ("2025-03-02", "Website")]
    severe = health_events(tiny_db, MARCH, severe_only=True)
    assert len(severe) == 2  # a single incident at 99% availability is not severe
    assert "97.00% available" in " ".join(severe["reason"])  # availability shows 2 decimals (the catalog)


def test_intent_resolution(tiny_db):
    frame = intent_resolution(tiny_db, MARCH)
    got = {r["intent"]: (r["contacts"], r["resolved_pct"]) for r in frame.to_dict("records")}
    assert got["support"] == (2, 50.0)  # i03 no, i04 yes
    assert got["billing"] == (5, 100.0)  # i01 i02 i05 i08 i09
    assert got["purchase"] == (3, 100.0)  # i07 yes; i11, i12 have no flag
    assert "account" not in got  # i06 has no resolution flag
    assert frame["intent"].tolist()[:3] == ["support", "billing", "purchase"]


def test_detractor_comments(tiny_db):
    frame = detractor_comments(tiny_db, MARCH)
    assert frame["comment"].tolist() == ["On hold for ages", "Slow checkout"]  # s06 (nps 0), s03 (nps 6)
    assert "customer_id" not in frame.columns
    assert detractor_comments(tiny_db, MARCH, search="HOLD")["comment"].tolist() == ["On hold for ages"]


def test_channel_switching(tiny_db):
    frame = channel_switching(tiny_db, MARCH)
    # i03: c3 unresolved at the contact center on 20 Mar, in a store on 22 Mar
    assert frame[["from_id", "to_id", "contacts", "customers", "unresolved"]].values.tolist() == [
        ["contact_center", "store", 1, 1, 1]]
    assert frame["share"].tolist() == [100.0]


def test_volume(tiny_db):
    frame = volume(tiny_db, MARCH, "month")
    # 11 March contacts; 8 March answers (the June/July ones are elsewhere)
    assert frame[["contacts", "responses"]].values.tolist() == [[11, 8]]


def test_by_dimension(tiny_db):
    frame = by_dimension(tiny_db, ["csat"], MARCH, "segment")
    got = dict(zip(frame["slice"], frame["value"]))
    # consumer c1 5, c2 4, c1 1 -> 2 of 3; smb c3 2, 5; enterprise c4 4; s05 has no customer, so it is
    # in no segment's group (each group is the scorecard with that segment as a filter)
    assert got == pytest.approx({"consumer": 200 / 3, "smb": 50.0, "enterprise": 100.0})
    assert dict(zip(frame["slice"], frame["n"])) == {"consumer": 3, "smb": 2, "enterprise": 1}
    with pytest.raises(ValueError):
        by_dimension(tiny_db, ["csat"], MARCH, "touchpoint")


def test_biggest_moves(judged_db, tiny_db):
    march = Period(date(2025, 3, 1), date(2025, 3, 31))
    moves = biggest_moves(scorecard(judged_db, march), by_touchpoint(judged_db, None, march), march, limit=20)
    sentences = moves["sentence"].tolist()
    # Revenue per customer 20 -> 30.83 (a capped relative move of 40) leads, company and website alike
    assert sentences[:2] == ["Revenue per customer rose 10.83 since Feb 2025 (now 30.83)",
                             "Website Revenue per customer rose 10.83 since Feb 2025 (now 30.83)"]
    assert "Retention rate fell 25.0 pts since Feb 2025 (now 75.0%)" in sentences  # 40 -> 30 of 40
    assert not moves["kpi_id"].isin(["churn_rate", "availability"]).any()  # mirror / no change at 0.01
    assert not moves["kpi_id"].isin(["nps", "csat", "ces"]).any()  # no February answers to compare with
    assert list(moves["magnitude"]) == sorted(moves["magnitude"], reverse=True)
    # On the tiny company every value rests on fewer than 30: nothing is called a mover.
    tiny = biggest_moves(scorecard(tiny_db, MARCH), by_touchpoint(tiny_db, None, MARCH), MARCH, limit=20)
    assert tiny.empty
