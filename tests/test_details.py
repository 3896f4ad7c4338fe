"""Drill-down queries on the tiny hand-built company (see conftest.py)."""

from __future__ import annotations

import pytest

from cxhub.kpis import by_touchpoint, scorecard
from cxhub.kpis.details import (biggest_moves, channel_switching, detractor_comments, health_events,
                                intent_resolution, volume)
from cxhub.kpis.engine import by_dimension

from test_kpis import MARCH


def test_health_events(tiny_db):
    events = health_events(tiny_db, MARCH)
    # web 1 Mar (1 incident), web 2 Mar (97% available), contact center 1 Mar (2 incidents)
    assert sorted(zip(events["day"].astype(str).str[:10], events["touchpoint"])) == [
        ("2025-03-01", "Contact center"), ("2025-03-01", "Website"), ("2025-03-02", "Website")]
    severe = health_events(tiny_db, MARCH, severe_only=True)
    assert len(severe) == 2  # a single incident at 99% availability is not severe
    assert "97.0% available" in " ".join(severe["reason"])


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
    # consumer c1 5, c2 4, c1 1 -> 2 of 3; smb c3 2, 5; enterprise c4 4; s05 has no customer
    assert got == pytest.approx({"consumer": 200 / 3, "smb": 50.0, "enterprise": 100.0, "(unknown)": 0.0})
    with pytest.raises(ValueError):
        by_dimension(tiny_db, ["csat"], MARCH, "touchpoint")


def test_biggest_moves(tiny_db):
    card = scorecard(tiny_db, MARCH)
    per_tp = by_touchpoint(tiny_db, None, MARCH)
    moves = biggest_moves(card, per_tp, MARCH, limit=20)
    sentences = moves["sentence"].tolist()
    # web contacts: February i13 (c1, known) -> March i08 (c1), i11 (c9, unknown), i12 (anonymous)
    assert sentences[0] == "Website Single-customer-view coverage fell 66.7 pts since Feb 2025 (now 33.3%)"
    # company digital share: February i13 only (web) -> 4 of 11 in March
    assert sentences[1] == "Digital share fell 63.6 pts since Feb 2025 (now 36.4%)"
    assert "Retention rate fell 33.3 pts since Feb 2025 (now 66.7%)" in sentences
    assert not moves["kpi_id"].isin(["churn_rate", "nps", "csat", "ces"]).any()  # mirror / under 30 answers
    assert moves.loc[moves.kpi_id == "revenue_per_customer", "better"].tolist()[0]  # 60 -> 75
    assert list(moves["magnitude"]) == sorted(moves["magnitude"], reverse=True)
