"""Rollups: the engine reads them only where they give the fact tables'
numbers, and every load rebuilds them (never stale)."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd
import pytest

from cxhub import db, rollups
from cxhub.kpis import details, engine, sources
from cxhub.kpis.period import Filters, Period

from fixtures import TOUCHPOINTS, load, snapshot, write

OCTOBER = Period(date(2026, 10, 1), date(2026, 10, 31))
Q3 = Period(date(2026, 7, 1), date(2026, 9, 30))
MID_MONTH = Period(date(2026, 9, 10), date(2026, 10, 20))
YEAR = Period(date(2025, 11, 1), date(2026, 10, 31))


def both_ways(con, periods, filters, slice_by):
    """kpi_values from the rollups and from the fact tables, side by side."""
    key = ["pid", "slice", "kpi_id"]
    fast = engine.kpi_values(con, periods, filters, slice_by=slice_by).sort_values(key).reset_index(drop=True)
    slow = engine.kpi_values(con, periods, filters, slice_by=slice_by, use_rollups=False)
    return fast, slow.sort_values(key).reset_index(drop=True)


@pytest.mark.parametrize("periods", [
    [OCTOBER, OCTOBER.previous()],           # the scorecard
    [Q3, Q3.previous()],                     # a quarter
    YEAR.buckets("month"),                   # a 12-month trend
    [MID_MONTH, MID_MONTH.previous()],       # not whole months: orders from the fact table
    Period(date(2026, 9, 1), date(2026, 10, 31)).buckets("week"),
], ids=["month", "quarter", "12 months", "mid-month", "weeks"])
@pytest.mark.parametrize("filters, slice_by", [
    (Filters(), None),
    (Filters(), "touchpoint"),
    (Filters(), "segment"),
    (Filters(), "region"),
    (Filters(touchpoints=("contact_center",)), None),
    (Filters(touchpoints=("web", "mobile_app")), "touchpoint"),
    (Filters(segments=("smb",)), None),
    (Filters(segments=("consumer",), regions=("North",)), "region"),
], ids=["all", "by touchpoint", "by segment", "by region", "one touchpoint", "two touchpoints", "smb",
        "segment and region"])
def test_rollups_give_the_fact_tables_numbers(demo_con, periods, filters, slice_by):
    fast, slow = both_ways(demo_con, periods, filters, slice_by)
    assert len(fast) == len(slow) > 0
    assert fast[["pid", "slice", "kpi_id", "n"]].equals(slow[["pid", "slice", "kpi_id", "n"]])
    # a null value with a counted n (e.g. channel consistency with one qualifying touchpoint) is null both ways
    assert fast["value"].to_numpy() == pytest.approx(slow["value"].to_numpy(), rel=1e-12, abs=1e-9, nan_ok=True)


@pytest.mark.parametrize("period", [OCTOBER, Q3, MID_MONTH], ids=["month", "quarter", "mid-month"])
@pytest.mark.parametrize("filters, slice_by, where", [
    (Filters(), None, "true"),
    (Filters(), "touchpoint", "true"),
    (Filters(segments=("smb",)), "region", "c.segment = 'smb'"),
    (Filters(touchpoints=("web", "store")), None, "x.touchpoint_id IN ('web', 'store')"),
], ids=["all", "by touchpoint", "smb by region", "two touchpoints"])
def test_revenue_per_customers_interval_is_the_spread_of_each_buyers_spend(demo_con, period, filters, slice_by, where):
    """Whichever rollup answers, the interval is value ± 1.96·s/√n with s the
    standard deviation of what each buyer spent, counted here from the orders."""
    group = {"touchpoint": "x.touchpoint_id", "region": "c.region"}.get(slice_by, "'all'")
    expected = dict(db.query_rows(demo_con, f"""
        SELECT slice, stddev_samp(spent) FROM (
            SELECT {group} AS slice, x.customer_id, sum(x.amount) AS spent FROM orders x
            LEFT JOIN customers c USING (customer_id)
            WHERE x.ordered_at >= ? AND x.ordered_at < ? AND {where} GROUP BY ALL) GROUP BY ALL""",
        [period.start, period.end + pd.Timedelta(days=1)]))
    card = engine.scorecards(demo_con, [period], filters, slice_by=slice_by, kpi_ids=["revenue_per_customer"],
                             intervals=True)
    card = card[card["n"] > 1]
    assert len(card) >= 1
    for row in card.itertuples():
        half = 1.96 * expected[row.slice] / row.n ** 0.5
        assert row.interval_high - row.value == pytest.approx(half, rel=1e-9), row.slice
        assert row.value - row.interval_low == pytest.approx(half, rel=1e-9), row.slice


@pytest.mark.parametrize("filters", [Filters(), Filters(segments=("enterprise",)), Filters(regions=("South",)),
                                     Filters(touchpoints=("store",)), Filters(touchpoints=("web", "store"))],
                         ids=["all", "enterprise", "South", "store", "web and store"])
def test_cohorts_from_the_rollup_match_the_orders(demo_con, filters):
    fast = engine.cohort_retention(demo_con, YEAR, filters)
    slow = engine.cohort_retention(demo_con, YEAR, filters, use_rollups=False)
    assert len(fast) == len(slow) > 12
    pd.testing.assert_frame_equal(fast, slow, check_dtype=False)


def test_the_engine_reads_the_rollups_where_it_can():
    def table(family, periods, filters=Filters(), slice_by=None):
        sql, _ = sources.family_query(family, periods, filters, slice_by)
        names = ("customer_days", "customer_touchpoint_days", "order_months", "order_touchpoint_months",
                 "interaction_days", "survey_days")
        return next((n for n in names if f"FROM {n} x" in sql), "facts")
    # Single whole months (a month's scorecard, a monthly trend): the month rollups.
    assert table("orders", [OCTOBER, OCTOBER.previous()]) == "order_months"
    assert table("orders", YEAR.buckets("month"), slice_by="touchpoint") == "order_touchpoint_months"
    assert table("orders", [OCTOBER], Filters(touchpoints=("web",)), "segment") == "order_touchpoint_months"
    # A quarter, or days: the day rollups.
    assert table("orders", [Q3]) == "customer_days"
    assert table("orders", [OCTOBER, Q3]) == "customer_days"
    assert table("orders", [MID_MONTH], Filters(segments=("smb",)), "region") == "customer_days"
    assert table("orders", [Q3], Filters(touchpoints=("web",))) == "customer_touchpoint_days"
    assert table("orders", [MID_MONTH], slice_by="touchpoint") == "customer_touchpoint_days"
    # A customer of web or store: the rollups cannot tell across two touchpoints.
    assert table("orders", [OCTOBER], Filters(touchpoints=("web", "store"))) == "facts"
    assert table("interactions", [MID_MONTH], Filters(touchpoints=("web", "store")), "segment") == "interaction_days"
    assert table("surveys", [MID_MONTH], Filters(touchpoints=("web", "store"), regions=("North",)), "segment") \
        == "survey_days"
    assert sources.family_query("surveys", [OCTOBER], Filters(), use_rollups=False)[0].count("FROM surveys x") == 1
    assert sources.family_query("orders", [OCTOBER], Filters(), use_rollups=False)[0].count("FROM orders x") == 1


# ------------------------------------------------------------------ kept current

ORDERS = "order_id,customer_id,touchpoint_id,ordered_at,amount\n"


def customer_days(path):
    con = db.connect(path, read_only=True)
    try:
        return db.query_rows(con, "SELECT customer_id, d, orders, amount, first_day, prev_day, next_day "
                                  "FROM customer_days ORDER BY customer_id, d")
    finally:
        con.close()


@pytest.fixture
def base(tmp_path):
    path = tmp_path / "cx.duckdb"
    load(path, "touchpoints", write(tmp_path, "tp.csv", TOUCHPOINTS))
    return path


def test_each_import_rebuilds_the_rollups(base, tmp_path):
    assert customer_days(base) == []
    load(base, "orders", write(tmp_path, "o1.csv", ORDERS
                                             + "o1,c1,web,2026-01-05 10:00:00,10\n"
                                             + "o2,c1,web,2026-01-05 18:00:00,5\n"
                                             + "o3,c1,web,2026-03-02 10:00:00,7\n"))
    jan5, mar2 = date(2026, 1, 5), date(2026, 3, 2)
    # c1: two orders on 5 January (15.00), one on 2 March.
    assert [r[:3] + (float(r[3]),) + r[4:] for r in customer_days(base)] == [
        ("c1", jan5, 2, 15.0, jan5, None, mar2),
        ("c1", mar2, 1, 7.0, jan5, jan5, None),
    ]
    # A second file adds an earlier order: first day, links and counts follow.
    load(base, "orders", write(tmp_path, "o2.csv", ORDERS + "o4,c1,web,2025-12-31 23:00:00,1\n"))
    dec31 = date(2025, 12, 31)
    assert [(r[1], r[2], r[4], r[5], r[6]) for r in customer_days(base)] == [
        (dec31, 1, dec31, None, jan5), (jan5, 2, dec31, dec31, mar2), (mar2, 1, dec31, jan5, None),
    ]


def test_interaction_days_follow_customer_imports(base, tmp_path):
    load(base, "interactions", write(
        tmp_path, "i.csv", "interaction_id,customer_id,touchpoint_id,occurred_at,intent,resolved,handle_seconds\n"
        "i1,c1,contact_center,2026-02-01 09:00:00,billing,true,60\n"
        "i2,c1,web,2026-02-05 09:00:00,billing,,\n"          # c1 came back within 7 days: i1 is no FCR
        "i3,c2,contact_center,2026-02-01 10:00:00,billing,true,60\n"
        "i4,,contact_center,2026-02-20 10:00:00,billing,,60\n"))   # no resolved flag: not in FCR
    feb = Period(date(2026, 2, 1), date(2026, 2, 28))

    def read():
        con = db.connect(base, read_only=True)
        try:
            v = engine.kpi_values(con, [feb], kpi_ids=["fcr", "scv_coverage"]).set_index("kpi_id")["value"]
            segs = engine.kpi_values(con, [feb], kpi_ids=["scv_coverage"], slice_by="segment")
            return dict(v), dict(zip(segs["slice"], segs["n"]))
        finally:
            con.close()

    # No customers yet: none of the 4 is known; FCR 1 of 2 (i3 only; i4 has no flag).
    assert read() == ({"fcr": 50.0, "scv_coverage": 0.0}, {"(unknown)": 4})
    load(base, "customers", write(tmp_path, "c.csv", "customer_id,signup_date,segment,region\n"
                                                "c1,2025-01-01,smb,North\n"))
    # c1's two interactions are now known and in segment smb.
    assert read() == ({"fcr": 50.0, "scv_coverage": 50.0}, {"(unknown)": 2, "smb": 2})


def test_a_refused_import_leaves_the_rollups_as_they_were(base, tmp_path):
    load(base, "orders", write(tmp_path, "o1.csv", ORDERS + "o1,c1,web,2026-01-05 10:00:00,10\n"))
    before = snapshot(base)
    bad = write(tmp_path, "bad.csv", "order_id,customer_id\no2,c1\n")  # lacks required columns
    assert load(base, "orders", bad).outcome == "refused"
    assert snapshot(base) == before


def test_a_failed_rebuild_rolls_the_load_back(base, tmp_path, monkeypatch):
    before = snapshot(base)

    def broken(con, changed=None, touched=None):
        raise duckdb.Error("disk full while rebuilding")
    monkeypatch.setattr(rollups, "refresh", broken)
    # Not the file's fault: the import fails with the database's reason and changes nothing.
    with pytest.raises(db.DatabaseError, match="refreshing the rollups failed .disk full while rebuilding"):
        load(base, "orders", write(tmp_path, "o.csv", ORDERS + "o1,c1,web,2026-01-05 10:00:00,10\n"))
    assert snapshot(base) == before


def test_an_answers_contacts_and_orders_before_it(base, tmp_path):
    """What the drivers of NPS read: whether the customer is known, their days
    since sign-up, contacts in the 7 days before an answer (from exactly 7
    days before, up to but not at its moment) and orders in the 90 days
    before, at any touchpoint; an answer with no customer has no row."""
    load(base, "customers", write(tmp_path, "c.csv", "customer_id,signup_date,segment,region\n"
                                                "c1,2026-03-01,smb,North\n"))
    load(base, "interactions", write(
        tmp_path, "i.csv", "interaction_id,customer_id,touchpoint_id,occurred_at,intent,resolved,handle_seconds\n"
        "i1,c1,web,2026-03-03 12:00:00,billing,true,\n"             # exactly 7 days before: counted
        "i2,c1,web,2026-03-03 11:59:59,billing,false,\n"            # a second earlier: not
        "i3,c1,contact_center,2026-03-10 11:00:00,billing,false,60\n"  # unresolved, an hour before
        "i4,c1,web,2026-03-10 12:00:00,billing,true,\n"             # at the answer's moment: not before it
        "i5,c2,web,2026-03-09 12:00:00,billing,,\n"))
    load(base, "orders", write(tmp_path, "o.csv", ORDERS + "o1,c1,web,2025-12-10 12:00:00,5\n"  # 90 days before
                                                      "o2,c1,web,2025-12-10 11:59:59,5\n"
                                                      "o3,c1,contact_center,2026-03-01 09:00:00,5\n"))
    load(base, "surveys", write(tmp_path, "s.csv", "response_id,customer_id,touchpoint_id,responded_at,nps,csat,ces,"
                                                   "comment\nr1,c1,web,2026-03-10 12:00:00,3,,,\n"
                                                   "r2,c2,web,2026-03-10 12:00:00,9,,,\nr3,,web,2026-03-10 12:00:00,9,,,\n"))
    con = db.connect(base, read_only=True)
    try:
        got = db.query_rows(con, "SELECT response_id, d, known, tenure_days, recent_contacts, unresolved_contact, "
                                 "recent_orders FROM response_context ORDER BY response_id")
    finally:
        con.close()
    mar10 = date(2026, 3, 10)
    # c2 is not in the customers table: counted, but the drivers leave them out as unknown.
    assert got == [("r1", mar10, True, 9, 2, 1, 2), ("r2", mar10, False, None, 1, 0, 0)]


def test_an_older_database_gets_its_rollups_on_upgrade(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    db.migrate(con, target=3)
    con.execute("INSERT INTO touchpoints VALUES ('web', 'Website', 'digital', 'CMO')")
    con.execute("INSERT INTO orders VALUES ('o1', 'c9', 'web', TIMESTAMP '2026-05-31 23:59:59', 3.5)")
    con.close()
    con = db.connect(path)  # opened for writing: migrates
    try:
        may31 = date(2026, 5, 31)
        assert db.query_rows(con, "SELECT customer_id, d, orders, first_day FROM customer_days") == [
            ("c9", may31, 1, may31)]
    finally:
        con.close()


def test_a_database_before_the_newer_rollups_gets_them_on_upgrade(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    db.migrate(con, target=6)
    con.execute("INSERT INTO touchpoints VALUES ('web', 'Website', 'digital', 'CMO')")
    con.execute("INSERT INTO orders VALUES ('o1', 'c9', 'web', TIMESTAMP '2026-04-30 10:00:00', 3.5), "
                "('o2', 'c9', 'web', TIMESTAMP '2026-05-02 10:00:00', 1.5)")
    con.execute("INSERT INTO surveys VALUES ('r1', 'c9', 'web', TIMESTAMP '2026-05-03 10:00:00', 9, NULL, NULL, NULL)")
    rollups.build(con, ("customer_days", "customer_touchpoint_days"))  # what that release's loads kept current
    assert "order_months" not in {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    con = db.connect(path)  # opened for writing: migrates
    try:
        # April: one buyer of one order (3.50), who came back in May; May: one buyer.
        assert db.query_rows(con, "SELECT month, buyers, single_order_buyers, revenue::DOUBLE, came_back "
                                  "FROM order_months ORDER BY month") == [
            (date(2026, 4, 1), 1, 1, 3.5, 1), (date(2026, 5, 1), 1, 1, 1.5, 0)]
        assert db.query_rows(con, "SELECT touchpoint_id, count(*) FROM order_touchpoint_months GROUP BY 1") == [
            ("web", 2)]
        assert db.query_rows(con, "SELECT response_id, recent_orders FROM response_context") == [("r1", 2)]
        assert db.query_rows(con, "SELECT d, n_nps, promoters FROM survey_days") == [(date(2026, 5, 3), 1, 1)]
    finally:
        con.close()


@pytest.mark.parametrize("filters, where", [
    (Filters(), "true"),
    (Filters(touchpoints=("web",), segments=("smb",)), "x.touchpoint_id = 'web' AND c.segment = 'smb'"),
], ids=["all", "web smb"])
def test_contact_volume_counts_every_interaction(demo_con, filters, where):
    got = details.volume(demo_con, YEAR, "quarter", filters)
    # Counted straight from the fact table, by quarter.
    expected = db.query_rows(demo_con, f"""
        SELECT date_trunc('quarter', x.occurred_at)::DATE, count(*) FROM interactions x
        LEFT JOIN customers c USING (customer_id)
        WHERE x.occurred_at >= TIMESTAMP '2025-11-01' AND {where} GROUP BY 1 ORDER BY 1""")
    # YEAR starts in November: its first quarter bucket is Nov-Dec 2025 (Q4 2025 from November on).
    assert [(b.date(), int(n)) for b, n in zip(got["bucket_start"], got["contacts"])][1:] == expected[1:]
    assert int(got["contacts"].iloc[0]) == expected[0][1]
