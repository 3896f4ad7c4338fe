"""The demo company: deterministic, scales with --customers, tells its story."""

from __future__ import annotations

import pytest

from cxhub import contract, db, demo
from cxhub.kpis import Filters, Period, kpi_trend, scorecard
from cxhub.kpis.period import add_months, month_end

from conftest import DEMO_END


def checksums(con) -> dict[str, tuple[int, int]]:
    """Order-independent (row count, hash sum) of every contract table."""
    out = {}
    for t in contract.TABLES:
        cols = ", ".join(c.name for c in t.columns)
        out[t.name] = db.query_rows(con, f"SELECT count(*), sum(hash({cols}) % 1000000007) FROM {t.name}")[0]
    return out


def build(path, customers, seed=7):
    con = db.connect(path)
    demo.build_demo(con, customers=customers, seed=seed, end_month=DEMO_END)
    return con


def test_same_seed_same_data(tmp_path):
    a = build(tmp_path / "a.duckdb", 800)
    b = build(tmp_path / "b.duckdb", 800)
    c = build(tmp_path / "c.duckdb", 800, seed=8)
    assert checksums(a) == checksums(b)
    assert checksums(a)["interactions"] != checksums(c)["interactions"]


def test_rebuild_replaces_the_demo(tmp_path):
    con = build(tmp_path / "a.duckdb", 500)
    first = checksums(con)
    demo.build_demo(con, customers=500, seed=7, end_month=DEMO_END)
    assert checksums(con) == first


def test_row_counts_scale_with_customers(tmp_path):
    small = checksums(build(tmp_path / "s.duckdb", 1000))
    large = checksums(build(tmp_path / "l.duckdb", 4000))
    assert small["customers"][0] == 1000 and large["customers"][0] == 4000
    for table in ("interactions", "surveys", "orders"):
        assert large[table][0] / small[table][0] == pytest.approx(4, rel=0.1), table
    assert small["touchpoints"][0] == large["touchpoints"][0] == 7
    assert small["system_health"][0] == large["system_health"][0]  # per touchpoint and day


def test_demo_spans_the_requested_months(demo_db_path):
    con = db.connect(demo_db_path, read_only=True)
    first, last = db.query_rows(con, "SELECT min(occurred_at)::DATE, max(occurred_at)::DATE FROM interactions")[0]
    assert first >= add_months(DEMO_END, -23) and last <= month_end(DEMO_END)
    assert last >= month_end(DEMO_END) - __import__("datetime").timedelta(days=2)


def test_demo_keys_are_unique_and_references_hold(demo_db_path):
    con = db.connect(demo_db_path, read_only=True)
    for t in contract.TABLES:
        key = ", ".join(f"coalesce({k}, '')" if k == "touchpoint_id" and t.name == "kpi_targets" else k for k in t.key)
        dupes = db.query_rows(con, f"SELECT count(*) - count(DISTINCT ({key})) FROM {t.name}")[0][0]
        assert dupes == 0, t.name
        if t.name != "touchpoints" and "touchpoint_id" in {c.name for c in t.columns}:
            orphans = db.query_rows(
                con,
                f"SELECT count(*) FROM {t.name} WHERE touchpoint_id IS NOT NULL "
                "AND touchpoint_id NOT IN (SELECT touchpoint_id FROM touchpoints)",
            )[0][0]
            assert orphans == 0, t.name


def test_demo_has_targets_for_every_kpi(demo_db_path):
    from cxhub.kpis import KPIS

    con = db.connect(demo_db_path, read_only=True)
    ids = {r[0] for r in db.query_rows(con, "SELECT kpi_id FROM kpi_targets WHERE touchpoint_id IS NULL")}
    assert ids == set(KPIS)


def test_mobile_release_is_visible_in_the_scorecard(demo_db_path):
    con = db.connect(demo_db_path, read_only=True)
    release = add_months(DEMO_END, -demo.Story().release_months_before_end)
    month = Period(release, month_end(release))
    app = Filters(touchpoints=("mobile_app",))
    during = scorecard(con, month, app).set_index("id")
    # app CSAT falls against the month before, and the systems show why
    assert during.loc["csat", "previous"] - during.loc["csat", "value"] > 8
    assert during.loc["csat", "status"] == "red"
    assert during.loc["incidents", "value"] >= 10 > during.loc["incidents", "previous"]
    assert during.loc["availability", "status"] == "red"
    # company-wide churn is higher in the two bad months than in the two before
    window = Period(add_months(release, -2), month_end(add_months(release, 1)))
    churn = kpi_trend(con, "churn_rate", window, "month")["value"].tolist()
    assert min(churn[2:]) > max(churn[:2])


def test_contact_center_is_slow_and_resolves_less(demo_db_path):
    con = db.connect(demo_db_path, read_only=True)
    year = Period(add_months(DEMO_END, -11), month_end(DEMO_END))
    cc = scorecard(con, year, Filters(touchpoints=("contact_center",))).set_index("id")
    chat = scorecard(con, year, Filters(touchpoints=("chat",))).set_index("id")
    assert cc.loc["fcr", "value"] < chat.loc["fcr", "value"] - 5
    handle = dict(db.query_rows(con, "SELECT touchpoint_id, avg(handle_seconds) FROM interactions GROUP BY 1"))
    assert handle["contact_center"] == max(handle.values())


def test_anonymous_share_falls(demo_db_path):
    con = db.connect(demo_db_path, read_only=True)
    span = Period(add_months(DEMO_END, -23), month_end(DEMO_END))
    coverage = kpi_trend(con, "scv_coverage", span, "quarter")["value"].tolist()
    assert coverage[-1] > coverage[0] + 3


def test_demo_refuses_to_overwrite_imported_data(tmp_path):
    con = db.connect(tmp_path / "real.duckdb")
    con.execute(
        "INSERT INTO import_log (table_name, source, started_at, outcome) "
        "VALUES ('customers', 'crm.csv', now()::TIMESTAMP, 'loaded')"
    )
    with pytest.raises(demo.DemoRefused):
        demo.build_demo(con, customers=10, end_month=DEMO_END)


def test_the_insights_tell_the_demo_stories(tmp_path):
    """The README's demo company (20,000 customers): the app release is the
    top CIO driver of NPS and a latency shift on its day; the contact
    center's staffing change shifts contacts to the chat; the app's comments
    are the quarter's biggest theme; and the comments are phrased thousands
    of ways."""
    from cxhub.insights import alerts, drivers, themes

    con = db.connect(tmp_path / "story.duckdb")
    demo.build_demo(con, end_month=DEMO_END)
    story = demo.Story()
    release = add_months(DEMO_END, -story.release_months_before_end).replace(day=story.release_day)
    quarter = Period(add_months(release.replace(day=1), -1), month_end(add_months(release.replace(day=1), 1)))

    doc = drivers.drivers(con, "nps", quarter)
    cio = [d for d in doc["drivers"] if d["owner"] == "CIO"]
    assert cio[0]["id"] == "latency" and cio[0]["direction"] == "−", doc["drivers"]

    month = Period(release.replace(day=1), month_end(release))
    app = [(a["day"], a["kind"], a["bad"]) for a in alerts.alerts(con, month, Filters(touchpoints=("mobile_app",)))
           if a["metric"] == "p95_latency_ms"]
    assert (release, "shift", True) in app

    last = Period(DEMO_END, month_end(DEMO_END))
    staffing = DEMO_END.replace(day=story.staffing_day)
    contacts = {(a["touchpoint"], a["kind"], a["score"] > 0): a["day"] for a in alerts.alerts(con, last)
                if a["metric"] == "contacts"}
    assert contacts[("contact_center", "shift", False)] == staffing
    assert abs((contacts[("chat", "shift", True)] - staffing).days) <= 1

    top = themes.themes(con, quarter, Filters(touchpoints=("mobile_app",)))["themes"][0]
    assert "app" in " ".join(top["terms"]) and top["nps"] < 0
    assert db.query_rows(con, "SELECT count(DISTINCT comment) FROM surveys")[0][0] > 1000
