"""KPI math on the tiny hand-built company of conftest.py. Every expected value
is worked out by hand in the comment beside it."""

from __future__ import annotations

import ast
from datetime import date

import pandas as pd
import pytest

from cxhub.kpis import CATALOG, Filters, Period, by_touchpoint, cohort_retention, kpi, kpi_trend, scorecard
from cxhub.kpis.status import status
from cxhub.kpis.period import preset_period

from fixtures import MARCH

JUNE = Period(date(2025, 6, 1), date(2025, 6, 30))
JULY = Period(date(2025, 7, 1), date(2025, 7, 31))
EMPTY = Period(date(2030, 1, 1), date(2030, 1, 31))


def values(con, period=MARCH, filters=Filters(), column="value"):
    card = scorecard(con, period, filters)
    return {r["id"]: (None if r[column] != r[column] else r[column]) for r in card.to_dict("records")}


# ------------------------------------------------------------------ periods

@pytest.mark.parametrize(
    "start, end, prev_start, prev_end",
    [
        ("2025-04-01", "2025-04-30", "2025-03-01", "2025-03-31"),  # a month -> the month before
        ("2025-03-01", "2025-03-31", "2025-02-01", "2025-02-28"),  # 31 days -> 28-day February
        ("2025-04-01", "2025-06-30", "2025-01-01", "2025-03-31"),  # Q2 -> Q1
        ("2025-01-01", "2025-12-31", "2024-01-01", "2024-12-31"),  # a year -> the year before
        ("2025-04-05", "2025-04-11", "2025-03-29", "2025-04-04"),  # 7 days -> the 7 days before
        ("2025-03-15", "2025-03-31", "2025-02-26", "2025-03-14"),  # not a whole month: 17 days
    ],
)
def test_previous_period(start, end, prev_start, prev_end):
    assert Period.parse(start, end).previous() == Period.parse(prev_start, prev_end)


def test_period_end_before_start_is_refused():
    with pytest.raises(ValueError, match="before its start"):
        Period.parse("2025-03-02", "2025-03-01")


def test_presets():
    today = date(2026, 11, 1)
    assert preset_period("last_full_month", today) == Period.parse("2026-10-01", "2026-10-31")
    assert preset_period("last_quarter", today) == Period.parse("2026-07-01", "2026-09-30")
    assert preset_period("year_to_date", today) == Period.parse("2026-01-01", "2026-10-31")


def test_buckets_are_clipped_to_the_period():
    weeks = Period.parse("2025-03-01", "2025-03-12").buckets("week")  # 1 Mar 2025 is a Saturday
    assert [(b.start.day, b.end.day) for b in weeks] == [(1, 2), (3, 9), (10, 12)]


# ------------------------------------------------------------------ orders family

def test_order_kpis(tiny_db):
    v = values(tiny_db)
    # A(Feb) = {c1, c2, c3}; A(Mar) = {c1, c3, c4, c5}; both = {c1, c3}: 2 / 3
    assert v["retention_rate"] == pytest.approx(200 / 3)
    assert v["churn_rate"] == pytest.approx(100 - 200 / 3)
    # March buyers c1 (2 orders), c3, c4, c5: 1 of 4 bought twice
    assert v["repeat_purchase_rate"] == pytest.approx(25.0)
    # (40 + 60 + 90 + 10 + 100) / 4 buyers; o11 at 1 April 00:00 is not in March
    assert v["revenue_per_customer"] == pytest.approx(75.0)


def test_previous_values_are_the_same_kpi_on_the_previous_period(tiny_db):
    prev = values(tiny_db, column="previous")
    # February: A(Jan) = {c1, c2} both bought in Feb (o05 at 28 Feb 23:59:59 is Feb)
    assert prev["retention_rate"] == pytest.approx(100.0)
    assert prev["repeat_purchase_rate"] == pytest.approx(0.0)
    assert prev["revenue_per_customer"] == pytest.approx(180 / 3)
    assert prev["nps"] == pytest.approx(100.0)  # one answer, 9
    assert prev["scv_coverage"] == pytest.approx(100.0)  # i13, c1
    assert prev["availability"] == pytest.approx(99.5)
    assert prev["fcr"] is None  # no assisted contact in February


def test_segment_filter_drops_unknown_customers(tiny_db):
    v = values(tiny_db, filters=Filters(segments=("consumer",)))
    # consumers c1, c2: A(Feb) = {c1, c2}, A(Mar) = {c1}
    assert v["retention_rate"] == pytest.approx(50.0)
    assert v["repeat_purchase_rate"] == pytest.approx(100.0)  # c1 bought twice
    assert v["revenue_per_customer"] == pytest.approx(100.0)  # (40 + 60) / 1
    # fcr: i01 (came back at exactly 7 days) and i02 (7 days + 1 s): 1 of 2
    assert v["fcr"] == pytest.approx(50.0)
    # system_health is the same for every segment
    assert v["availability"] == pytest.approx((99 + 97 + 100) / 3)


def test_region_filter(tiny_db):
    v = values(tiny_db, filters=Filters(regions=("North",)))
    # North: c1, c3. A(Feb) = {c1, c3} = A(Mar); c1 bought twice; (40 + 60 + 90) / 2
    assert v["retention_rate"] == pytest.approx(100.0)
    assert v["repeat_purchase_rate"] == pytest.approx(50.0)
    assert v["revenue_per_customer"] == pytest.approx(95.0)


def test_touchpoint_filter(tiny_db):
    v = values(tiny_db, filters=Filters(touchpoints=("web",)))
    # web orders: Feb {c1, c3}; Mar c1 40, c4 10, c5 100: both = {c1}
    assert v["retention_rate"] == pytest.approx(50.0)
    assert v["repeat_purchase_rate"] == pytest.approx(0.0)
    assert v["revenue_per_customer"] == pytest.approx(50.0)
    # web surveys s01-s05: csat 5, 4, 2, 4, 3 -> 3 of 5
    assert v["csat"] == pytest.approx(60.0)
    assert v["fcr"] is None  # web is not assisted
    # web health: (99 + 97) / 2, p95 500 (the null is skipped), 1 incident
    assert v["availability"] == pytest.approx(98.0)
    assert v["p95_latency_ms"] == pytest.approx(500.0)
    assert v["incidents"] == pytest.approx(1.0)


def test_several_values_of_one_filter_match_any(tiny_db):
    v = values(tiny_db, filters=Filters(touchpoints=("web", "store")))
    # Feb {c1, c2, c3}; Mar c1 (web 40), c3 (store 90), c4, c5: both = {c1, c3}
    assert v["retention_rate"] == pytest.approx(200 / 3)
    assert v["repeat_purchase_rate"] == pytest.approx(0.0)  # c1's app order is filtered out
    assert v["revenue_per_customer"] == pytest.approx((40 + 90 + 10 + 100) / 4)


# ------------------------------------------------------------------ surveys family

def test_survey_kpis(tiny_db):
    v = values(tiny_db)
    n = values(tiny_db, column="n")
    # nps answers 10, 9, 6, 8, 0, 7, 10: promoters 3, detractors 2, of 7
    assert v["nps"] == pytest.approx(100 * (3 - 2) / 7)
    assert n["nps"] == 7
    # csat answers 5, 4, 2, 4, 3, 1, 5: 4 of 7 are 4 or 5
    assert v["csat"] == pytest.approx(400 / 7)
    assert n["csat"] == 7
    # ces answers 7, 6, 3, 5, 1, 4
    assert v["ces"] == pytest.approx(26 / 6)
    assert n["ces"] == 6


def test_95_percent_intervals(tiny_db):
    import statistics

    from cxhub.kpis.status import wilson

    card = scorecard(tiny_db, MARCH).set_index("id")
    # CSAT 4 of 7: the Wilson interval of 4/7
    assert (card.loc["csat", "interval_low"], card.loc["csat", "interval_high"]) == pytest.approx(wilson(400 / 7, 7))
    # NPS answers 10, 9, 6, 8, 0, 7, 10 score +100, +100, -100, 0, -100, 0, +100: mean ± 1.96·s/√7
    scores = [100, 100, -100, 0, -100, 0, 100]
    half = 1.96 * statistics.stdev(scores) / 7 ** 0.5
    assert card.loc["nps", "interval_low"] == pytest.approx(100 / 7 - half)
    assert card.loc["nps", "interval_high"] == pytest.approx(100 / 7 + half)
    assert pd.isna(card.loc["incidents", "interval_low"])  # a count of the whole, not a sample


def test_channel_consistency_counts_touchpoints_with_30_responses(tiny_db):
    # June: web 80% (30 answers), mobile_app 50% (30), contact_center 100% but 29 answers
    assert values(tiny_db, JUNE)["channel_consistency"] == pytest.approx(100 - (80 - 50))
    # July: only web has 30 answers -> fewer than 2 touchpoints qualify
    assert values(tiny_db, JULY)["channel_consistency"] is None
    # one touchpoint selected can never compare two
    assert values(tiny_db, JUNE, Filters(touchpoints=("web",)))["channel_consistency"] is None
    assert values(tiny_db, JUNE, Filters(touchpoints=("web", "contact_center")))["channel_consistency"] is None
    assert values(tiny_db, JUNE, Filters(touchpoints=("web", "mobile_app")))["channel_consistency"] == pytest.approx(70)


# ------------------------------------------------------------------ interactions family

def test_fcr_seven_day_rule(tiny_db):
    v = values(tiny_db)
    # assisted with a resolution flag: i01-i05 (i06 has none, i07 is a store)
    # i01 resolved, back at exactly +7 days (i08)      -> not first contact
    # i02 resolved, next contact at +7 days + 1 s (i09) -> first contact
    # i03 unresolved                                     -> not
    # i04 anonymous and resolved                         -> first contact
    # i05 resolved, back on 2 April, after the period    -> not
    assert v["fcr"] == pytest.approx(40.0)


def test_fcr_repeat_search_ignores_filters(tiny_db):
    # i01's repeat contact is on the web, which the filter hides: it still counts
    v = values(tiny_db, filters=Filters(touchpoints=("contact_center",)))
    assert v["fcr"] == pytest.approx(40.0)


def test_interaction_mix_kpis(tiny_db):
    v = values(tiny_db)
    # 11 March contacts; i04, i12 anonymous and i11 (c9) unknown -> 8 known
    assert v["scv_coverage"] == pytest.approx(800 / 11)
    # digital: i08 (web), i09 (app), i11, i12 (web) -> 4 of 11
    assert v["digital_share"] == pytest.approx(400 / 11)


# ------------------------------------------------------------------ health family

def test_health_kpis(tiny_db):
    v = values(tiny_db)
    assert v["availability"] == pytest.approx((99 + 97 + 100) / 3)
    assert v["p95_latency_ms"] == pytest.approx((500 + 800) / 2)
    assert v["incidents"] == pytest.approx(3)


# ------------------------------------------------------------------ empty data

def test_no_data_is_null_never_zero(tiny_db):
    v = values(tiny_db, EMPTY)
    assert all(v[k.id] is None for k in CATALOG), v
    card = scorecard(tiny_db, EMPTY)
    assert set(card["status"]) == {"none"}


def test_empty_database(empty_db_path):
    from cxhub import db

    con = db.connect(empty_db_path)
    card = scorecard(con, MARCH)
    assert card["value"].isna().all() and len(card) == len(CATALOG)
    assert kpi_trend(con, "csat", MARCH, "week")["value"].isna().all()
    assert by_touchpoint(con, ["csat"], MARCH).empty
    assert cohort_retention(con, MARCH).empty


# ------------------------------------------------------------------ targets & status

def test_statuses_against_targets(tiny_db):
    """Every March value of the tiny company rests on fewer than 30 (or its
    source ends mid-March): none is judged, and each says why. Colours on
    enough data are in test_judging.py."""
    card = scorecard(tiny_db, MARCH).set_index("id")
    assert set(card["status"]) == {"none"}
    assert card.loc["retention_rate", "note"] == "n = 3, too few to judge"  # 3 February buyers
    assert card.loc["csat", "note"] == "n = 7, too few to judge"
    assert card.loc["channel_consistency", "note"] == "No data"  # target 80 but no value
    # system_health ends on 2 March: partial, whatever the target
    assert card.loc["p95_latency_ms", "note"] == "partial: system health through 2025-03-02"
    assert card.loc["p95_latency_ms", "target"] == 640 and card.loc["incidents", "target"] != card.loc["incidents", "target"]


def test_touchpoint_target_applies_when_exactly_one_touchpoint_is_selected(tiny_db):
    one = scorecard(tiny_db, MARCH, Filters(touchpoints=("web",))).set_index("id")
    assert one.loc["csat", "target"] == 50
    two = scorecard(tiny_db, MARCH, Filters(touchpoints=("web", "contact_center"))).set_index("id")
    # web + contact center csat: 5,4,2,4,3 and 1,5 -> 4 of 7, against the company-wide 60
    assert two.loc["csat", "target"] == 60 and two.loc["csat", "value"] == pytest.approx(400 / 7)
    # no web target for retention: the company-wide one applies
    assert one.loc["retention_rate", "target"] == 70


@pytest.mark.parametrize(
    "kpi_id, value, target, expected",
    [
        ("csat", 80.0, (80.0, 4.0), "green"),
        ("csat", 76.0, (80.0, 4.0), "amber"),  # exactly the band
        ("csat", 75.99, (80.0, 4.0), "red"),
        ("incidents", 5.0, (5.0, 1.0), "green"),
        ("incidents", 6.0, (5.0, 1.0), "amber"),
        ("incidents", 6.01, (5.0, 1.0), "red"),
        ("incidents", 0.0, (5.0, 1.0), "green"),
        ("csat", None, (80.0, 4.0), "none"),
        ("csat", 50.0, None, "none"),
    ],
)
def test_status_rule(kpi_id, value, target, expected):
    assert status(kpi(kpi_id), value, target) == expected


# ------------------------------------------------------------------ trend, by touchpoint, cohorts

def test_trend_by_month(tiny_db):
    trend = kpi_trend(tiny_db, "revenue_per_customer", Period.parse("2025-01-01", "2025-03-31"), "month")
    # Jan (10 + 20) / 2, Feb (100 + 50 + 30) / 3, Mar 300 / 4
    assert trend["value"].tolist() == pytest.approx([15.0, 60.0, 75.0])
    retention = kpi_trend(tiny_db, "retention_rate", Period.parse("2025-01-01", "2025-03-31"), "month")
    # January has no buyers in December: null, not 0
    assert retention["value"].isna().tolist() == [True, False, False]
    assert retention["value"].tolist()[1:] == pytest.approx([100.0, 200 / 3])
    assert retention["target"].tolist() == [70.0] * 3


def test_trend_by_week(tiny_db):
    trend = kpi_trend(tiny_db, "csat", Period.parse("2025-03-01", "2025-03-16"), "week")
    # weeks: 1-2 Mar (s01: 5), 3-9 Mar (s02 4, s03 2, s04 4, s05 3, s06 1), 10-16 Mar (none)
    assert [b.day for b in trend["bucket_start"]] == [1, 3, 10]
    assert trend["value"].tolist()[:2] == pytest.approx([100.0, 40.0])
    assert trend["value"].isna().tolist()[2]


def test_by_touchpoint(tiny_db):
    frame = by_touchpoint(tiny_db, ["csat", "fcr"], MARCH)
    got = {(r["touchpoint_id"], r["kpi_id"]): r for r in frame.to_dict("records")}
    assert got[("web", "csat")]["value"] == pytest.approx(60.0)
    assert got[("web", "csat")]["target"] == 50  # web's own target
    assert got[("contact_center", "csat")]["value"] == pytest.approx(50.0)  # 1 and 5
    assert got[("contact_center", "csat")]["target"] == 60  # company-wide
    assert got[("contact_center", "csat")]["note"] == "n = 2, too few to judge"
    assert got[("contact_center", "fcr")]["value"] == pytest.approx(40.0)
    assert got[("store", "csat")]["value"] != got[("store", "csat")]["value"]  # NaN: no answers
    assert len(frame) == 4 * 2


def test_cohort_retention(tiny_db):
    frame = cohort_retention(tiny_db, Period.parse("2025-01-01", "2025-03-31"))
    cells = {(r["cohort"].month, r["month_index"]): (r["customers"], r["pct"]) for r in frame.to_dict("records")}
    # January cohort c1, c2: both in Feb, c1 in March
    assert cells[(1, 0)] == (2, 100.0) and cells[(1, 1)] == (2, 100.0) and cells[(1, 2)] == (2, 50.0)
    # February cohort c3: back in March
    assert cells[(2, 0)] == (1, 100.0) and cells[(2, 1)] == (1, 100.0)
    # March cohort c4, c5 (c4's April order is after the period)
    assert cells[(3, 0)] == (2, 100.0) and (3, 1) not in cells


def _hand_value(node: ast.expr) -> bool:
    """A value worked out by hand: numbers and arithmetic, optionally in
    pytest.approx(...) — nothing the engine computed."""
    if isinstance(node, ast.Call):
        return (ast.unparse(node.func) == "pytest.approx" and len(node.args) == 1
                and _hand_value(node.args[0]))
    return all(isinstance(n, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop, ast.expr_context))
               for n in ast.walk(node)) and not (isinstance(node, ast.Constant) and node.value is None)


def test_every_kpi_has_a_hand_computed_test():
    """A KPI added to the catalog must get a test in this file that asserts
    its value (`<frame>["<kpi_id>"] == <a number worked out by hand>`), not
    merely mentions it."""
    import inspect
    import sys

    tree = ast.parse(inspect.getsource(sys.modules[__name__]))
    asserted = set()
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")):
        for check in (n for n in ast.walk(fn) if isinstance(n, ast.Assert)):
            for cmp in (n for n in ast.walk(check.test) if isinstance(n, ast.Compare)):
                left = cmp.left
                if (isinstance(left, ast.Subscript) and isinstance(left.slice, ast.Constant)
                        and [type(o) for o in cmp.ops] == [ast.Eq] and _hand_value(cmp.comparators[0])):
                    asserted.add(left.slice.value)
    missing = [k.id for k in CATALOG if k.id not in asserted]
    assert not missing, f"KPIs whose value no test asserts against a hand-computed number: {missing}"


def test_every_kpi_is_written_once_in_its_familys_sql_file():
    """A KPI's expression (`AS <kpi_id>`) is in kpis/sql/<family>.sql and in
    no other SQL file: each source gives counts, never its own formulas."""
    import re
    from importlib import resources

    files = {f.name: f.read_text(encoding="utf-8")
             for f in resources.files("cxhub.kpis.sql").iterdir() if f.name.endswith(".sql")}
    for k in CATALOG:
        written = sorted(name for name, sql in files.items() if re.search(rf"\bAS\s+{k.id}\b", sql))
        assert written == [f"{k.family}.sql"], (k.id, written)


def test_the_hand_computed_check_tells_a_value_from_a_mention():
    assert _hand_value(ast.parse("pytest.approx(200 / 3)", mode="eval").body)
    assert _hand_value(ast.parse("-1.5", mode="eval").body)
    assert not _hand_value(ast.parse("None", mode="eval").body)
    assert not _hand_value(ast.parse("pytest.approx(values(con)['nps'])", mode="eval").body)
    assert not _hand_value(ast.parse("expected", mode="eval").body)


def test_trend_window_gives_context_to_short_periods():
    from cxhub.kpis.period import trend_window

    october = Period.parse("2026-10-01", "2026-10-31")
    assert trend_window(october, "month") == Period.parse("2025-11-01", "2026-10-31")  # 12 months
    weeks = trend_window(october, "week")
    assert weeks.start.weekday() == 0 and weeks.end == october.end and len(weeks.buckets("week")) == 14
    assert trend_window(Period.parse("2026-07-01", "2026-09-30"), "quarter").start.isoformat() == "2024-10-01"
    # a long period is never cut
    two_years = Period.parse("2024-11-01", "2026-10-31")
    assert trend_window(two_years, "month") == two_years
