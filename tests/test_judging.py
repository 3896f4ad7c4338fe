"""KPI contract v2 on the judged company of conftest.py: coverage (partial
periods), n and the small-sample rule, count targets scaled to the period,
breakdowns, display rules and the strict JSON of the CLI. Every expected
figure is worked out by hand beside it."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxhub import charts, cli, db
from cxhub.kpis import CATALOG, KPIS, Filters, Period, breakdown, by_touchpoint, kpi_trend, scorecard
from cxhub.kpis.engine import by_dimension
from cxhub.kpis.status import (STATUS_WORDS, Coverage, judge, orders_present, scaled_target, status_words, wilson)

MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))
APRIL = Period(date(2025, 4, 1), date(2025, 4, 30))
MAY = Period(date(2025, 5, 1), date(2025, 5, 31))
Q1 = Period(date(2025, 1, 1), date(2025, 3, 31))


def card(con, period, filters=Filters()):
    return {r["id"]: r for r in scorecard(con, period, filters).to_dict("records")}


def null(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# ------------------------------------------------------------------ coverage

def test_a_period_after_the_last_order_has_no_retention_not_zero(judged_db):
    may = card(judged_db, MAY)
    # No order at all in May: retention and churn are null (no data is not churn) ...
    assert null(may["retention_rate"]["value"]) and null(may["churn_rate"]["value"])
    # ... while n still counts A(April) = j00-j29, and previous_n A(March) = j00-j29.
    assert may["retention_rate"]["n"] == 30 and may["retention_rate"]["previous_n"] == 30
    assert may["churn_rate"]["status"] == "none" and may["churn_rate"]["note"] == "No data"
    assert not may["churn_rate"]["complete"] and null(may["churn_rate"]["change"])
    assert orders_present(judged_db, [MARCH, MAY, APRIL]) == {0, 2}


def test_a_period_running_past_the_data_is_partial_but_exact(judged_db):
    april = card(judged_db, APRIL)
    r = april["retention_rate"]
    # A(March) = j00-j29, all back on 5 April: 100%, exact, but orders end on 5 April.
    assert r["value"] == pytest.approx(100.0) and r["n"] == 30
    assert not r["complete"] and r["data_through"] == date(2025, 4, 5)
    assert april["churn_rate"]["status"] == "none"  # 0% is under the 20% ceiling, but partial: not judged
    assert april["churn_rate"]["note"] == "partial: orders through 2025-04-05"
    assert null(r["change"])  # no delta against a complete March


def test_a_period_ending_mid_way_through_the_data(judged_db):
    period = Period(date(2025, 3, 16), date(2025, 4, 15))  # 31 days; previous 13 Feb - 15 Mar
    got = card(judged_db, period)
    # A(prev) = March 10 buyers j00-j29; A(P) = j00-j04 (20 Mar) and j00-j29 (5 Apr): all 30 back.
    assert got["retention_rate"]["value"] == pytest.approx(100.0) and got["retention_rate"]["n"] == 30
    # Revenue: 5 × 5 + 30 × 40 = 1225 over 30 buyers.
    assert got["revenue_per_customer"]["value"] == pytest.approx(1225 / 30)
    assert not got["revenue_per_customer"]["complete"] and got["revenue_per_customer"]["status"] == "none"


def test_a_period_starting_before_the_data_is_partial():
    cover = Coverage({"orders": (date(2025, 1, 10), date(2025, 3, 31))})
    assert not cover.complete("orders", Period(date(2025, 1, 1), date(2025, 1, 31)))
    assert cover.complete("orders", Period(date(2025, 1, 10), date(2025, 3, 31)))
    assert not cover.complete("surveys", MARCH)  # an empty source covers nothing


def test_a_complete_month_is_judged(judged_db):
    march = card(judged_db, MARCH)
    # Churn: 10 of February's 40 buyers (j30-j39) did not buy in March: 25% against 20 (band 1): red.
    assert march["churn_rate"]["value"] == pytest.approx(25.0) and march["churn_rate"]["status"] == "red"
    assert march["churn_rate"]["complete"] and march["churn_rate"]["change"] == pytest.approx(25.0)  # Feb: 0%
    assert march["churn_rate"]["note"] == "Off target"
    # Repeat purchase: j00-j04 bought twice of 30 March buyers: 16.7% ≥ 10: green.
    assert march["repeat_purchase_rate"]["value"] == pytest.approx(500 / 30)
    assert march["repeat_purchase_rate"]["status"] == "green"


# ------------------------------------------------------------------ n and the small-sample rule

def test_every_value_carries_n(judged_db):
    march = card(judged_db, MARCH)
    expected_n = {
        "retention_rate": 40, "churn_rate": 40,              # February's buyers j00-j39
        "repeat_purchase_rate": 30, "revenue_per_customer": 30,  # March buyers j00-j29
        "nps": 52, "csat": 52,                               # 12 March answers j00-j51
        "ces": 40,                                           # only j00-j39 gave a CES
        "channel_consistency": 52,                           # web alone has 30+ csat answers
        "fcr": 40, "scv_coverage": 40, "digital_share": 40,  # 40 contact-center contacts on 5 March
        "availability": 31, "p95_latency_ms": 31, "incidents": 31,  # web, every day of March
    }
    assert {k: march[k]["n"] for k in expected_n} == expected_n
    assert march["channel_consistency"]["note"] == "No data"  # one touchpoint qualifies: no value, n still counted
    assert march["nps"]["previous_n"] == 0 and march["incidents"]["previous_n"] == 28


def test_a_segment_of_12_answers_is_shown_greyed_and_not_ranked(judged_db):
    frame = by_dimension(judged_db, ["csat"], MARCH, "segment")
    got = frame.set_index("slice")
    # smb: j40-j51 all satisfied: 100% from 12 answers; consumer: 30 of 40 = 75%.
    assert got.loc["smb", "value"] == pytest.approx(100.0) and got.loc["smb", "n"] == 12
    assert got.loc["smb", "small_sample"] and got.loc["smb", "status"] == "none"
    assert got.loc["smb", "note"] == "n = 12, too few to judge"
    assert got.loc["consumer", "value"] == pytest.approx(75.0) and got.loc["consumer", "status"] == "green"
    bars = charts.breakdown_bars(frame, "csat", "segment").data[0]
    # Ranked: the judged consumer first although smb's value is higher; smb pale grey with its n.
    assert list(bars.x) == ["consumer", "smb"]
    assert bars.marker.color[1] == charts.STATUS_COLORS["few"] and bars.text[1] == "100.0% (n = 12)"


def test_small_sample_rule_is_for_counts_of_people_and_answers():
    csat, incidents, consistency = KPIS["csat"], KPIS["incidents"], KPIS["channel_consistency"]
    assert judge(csat, 100.0, 29, True, (70.0, 3.5)) == "none"
    assert judge(csat, 100.0, 30, True, (70.0, 3.5)) == "green"
    assert judge(csat, 100.0, 30, False, (70.0, 3.5)) == "none"  # partial
    assert judge(incidents, 0.0, 5, True, (2.0, 0.5)) == "green"  # system health: no sample rule
    assert judge(consistency, 90.0, 12, True, (80.0, 4.0)) == "green"


def test_trend_points_and_cohort_cells_follow_the_rule(judged_db):
    trend = kpi_trend(judged_db, "csat", Period(date(2025, 1, 1), date(2025, 4, 30)), "month")
    by_month = trend.set_index("bucket_start")
    # January: one answer (s-first), greyed; March: 52 answers, judged green; April: partial (through 5 Apr).
    assert by_month.loc[date(2025, 1, 1), "small_sample"] and by_month.loc[date(2025, 1, 1), "status"] == "none"
    assert by_month.loc[date(2025, 3, 1), "status"] == "green"
    assert not by_month.loc[date(2025, 4, 1), "complete"] and by_month.loc[date(2025, 4, 1), "status"] == "none"
    figure = charts.trend_chart(trend, "csat")
    colors = figure.data[0].marker.color
    assert colors[0] == charts.HOLLOW and colors[2] != charts.HOLLOW  # hollow point for January, full for March


def test_cohort_cells_of_fewer_than_30_customers_get_no_colour(tiny_db, judged_db):
    from cxhub.kpis import cohort_retention

    small = cohort_retention(tiny_db, Period(date(2025, 1, 1), date(2025, 3, 31)))
    assert small["small_sample"].all()  # cohorts of 2, 1 and 2 customers
    fig = charts.cohort_heatmap(small)
    assert all(null(v) for row in fig.data[0].z for v in row)
    assert fig.data[0].text[0][0] == "100.0"  # the value is still shown
    big = cohort_retention(judged_db, Q1)
    # January cohort j00-j39: 40 customers, all back in February, 30 in March.
    assert big["customers"].tolist() == [40, 40, 40] and big["pct"].tolist() == pytest.approx([100, 100, 75])
    assert not big["small_sample"].any()


def test_wilson_interval_by_hand():
    # 8 of 10: p = 0.8, z² = 3.8416; centre (0.8 + 0.19208) / 1.38416, half 1.96·sqrt(0.016 + 0.009604) / 1.38416
    low, high = wilson(80.0, 10)
    assert low == pytest.approx(100 * (0.99208 - 1.96 * math.sqrt(0.025604)) / 1.38416)
    assert high == pytest.approx(100 * (0.99208 + 1.96 * math.sqrt(0.025604)) / 1.38416)
    assert (round(low, 1), round(high, 1)) == (49.0, 94.3)  # the published Wilson interval of 8/10


def test_mean_intervals_in_the_scorecard(judged_db):
    march = card(judged_db, MARCH)
    # CES: 30 answers of 6 and 10 of 2: mean 5, sample sd sqrt((30·1 + 10·9) / 39)
    sd = math.sqrt(120 / 39)
    assert march["ces"]["interval_low"] == pytest.approx(5 - 1.96 * sd / math.sqrt(40))
    # Revenue per customer: j00-j04 spent 35, j05-j29 30; mean 185/6, sd over 30 buyers
    spend = [35] * 5 + [30] * 25
    mean = sum(spend) / 30
    sd = math.sqrt(sum((x - mean) ** 2 for x in spend) / 29)
    assert march["revenue_per_customer"]["interval_high"] == pytest.approx(mean + 1.96 * sd / math.sqrt(30))
    # CSAT: 42 of 52, Wilson
    assert (march["csat"]["interval_low"], march["csat"]["interval_high"]) == pytest.approx(wilson(4200 / 52, 52))


# ------------------------------------------------------------------ count targets

def test_a_quarters_incident_target_is_three_months(judged_db):
    q1 = card(judged_db, Q1)["incidents"]
    # 15 Jan, 15 Feb, 15 and 16 Mar: 4 incidents against 3 × 2 = 6 (band 3 × 0.5): green.
    assert q1["value"] == 4 and q1["target"] == pytest.approx(6.0) and q1["amber_band"] == pytest.approx(1.5)
    assert q1["status"] == "green"
    assert card(judged_db, MARCH)["incidents"]["target"] == pytest.approx(2.0)  # 2 incidents: on target


def test_a_part_month_scales_by_days():
    half = Period(date(2025, 3, 1), date(2025, 3, 15))
    assert scaled_target(KPIS["incidents"], (2.0, 0.5), half) == pytest.approx((2 * 15 / 30.4375, 0.5 * 15 / 30.4375))
    assert scaled_target(KPIS["csat"], (70.0, 3.5), Q1) == (70.0, 3.5)  # only counts scale


def test_part_month_incidents_in_the_scorecard(judged_db):
    got = card(judged_db, Period(date(2025, 3, 1), date(2025, 3, 15)))["incidents"]
    # 1 incident (15 Mar) against 2 × 15 / 30.4375 = 0.986 with a band of 0.246: 0.014 over: amber.
    assert got["value"] == 1 and got["status"] == "amber"


# ------------------------------------------------------------------ words and colours

@pytest.mark.parametrize("kpi_id", [k.id for k in CATALOG])
@pytest.mark.parametrize("value, n, complete, target", [
    (None, 0, True, (70.0, 3.5)), (None, 0, True, None), (50.0, 12, True, (70.0, 3.5)),
    (50.0, 300, False, (70.0, 3.5)), (50.0, 300, True, None), (90.0, 300, True, (70.0, 3.5)),
    (68.0, 300, True, (70.0, 3.5)), (10.0, 300, True, (70.0, 3.5)), (0.0, 300, True, (0.0, 0.0)),
])
def test_status_colour_never_disagrees_with_its_words(kpi_id, value, n, complete, target):
    k = KPIS[kpi_id]
    state = judge(k, value, n, complete, target)
    words = status_words(k, value, state, target[0] if target else None, n, complete, "partial: x through y")
    if state in STATUS_WORDS:
        assert words == STATUS_WORDS[state]
        assert complete and value is not None and target is not None
    else:
        assert state == "none" and words not in STATUS_WORDS.values()
        if value is None:
            assert words == "No data"  # never "No target" when the value is what is missing
        elif not complete:
            assert words.startswith("partial")
        elif k.sample_rule and n < 30:
            assert words == f"n = {n}, too few to judge"
        else:
            assert words == "No target" and target is None


def test_display_rules():
    assert KPIS["availability"].format(99.86) == "99.86%" and KPIS["availability"].format(99.94) == "99.94%"
    assert KPIS["p95_latency_ms"].format(412.6) == "413 ms"
    assert KPIS["nps"].format(12.34) == "+12.3" and KPIS["nps"].format(-0.04) == "0.0"
    assert KPIS["csat"].format(-0.04) == "0.0%" and KPIS["csat"].format(None) == "–"
    assert KPIS["csat"].format(float("nan")) == "–"
    assert KPIS["csat"].format_change(-0.04) == "no change" and KPIS["csat"].format_change(-0.05) == "-0.1 pts"
    assert KPIS["incidents"].format_change(2) == "+2"


# ------------------------------------------------------------------ breakdowns

def assert_same_kpis(group, whole):
    for got, want in zip(group, whole):
        assert got["id"] == want["id"]
        for field in ("value", "previous", "target", "n", "previous_n", "complete", "small_sample", "status"):
            g, w = got[field], want[field]
            if null(w):
                assert null(g), (got["id"], field)
            elif isinstance(w, float):
                assert g == pytest.approx(w, rel=1e-9), (got["id"], field)
            else:
                assert g == w, (got["id"], field)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.dates(date(2026, 1, 1), date(2026, 10, 31)), days=st.integers(1, 120),
       by=st.sampled_from(["touchpoint", "segment", "region"]),
       segment=st.sampled_from([None, "smb", "consumer"]))
def test_a_breakdown_group_is_the_scorecard_with_that_filter_added(demo_con, start, days, by, segment):
    period = Period(start, start + timedelta(days=days - 1))
    filters = Filters(segments=(segment,) if segment and by != "segment" else ())
    frame = breakdown(demo_con, period, by, filters)
    assert list(frame["slice"]) == sorted(frame["slice"])
    for key, part in frame.groupby("slice"):
        narrowed = {"touchpoint": Filters((key,), filters.segments), "segment": Filters(segments=(key,)),
                    "region": Filters((), filters.segments, (key,))}[by]
        whole = scorecard(demo_con, period, narrowed)
        assert_same_kpis(cli.kpi_records(part), cli.kpi_records(whole))


def test_month_breakdown_clips_the_period(judged_db):
    frame = breakdown(judged_db, Period(date(2025, 2, 15), date(2025, 3, 31)), "month")
    assert sorted(set(frame["slice"])) == ["2025-02", "2025-03"]
    feb = frame[(frame["slice"] == "2025-02") & (frame["id"] == "retention_rate")].iloc[0]
    # 15-28 Feb (14 days) against 1-14 Feb: A(1-14 Feb) = j00-j39, but the orders table has no order
    # at all in 15-28 Feb (orders on 10 Feb, then 10 Mar): retention is null, n still 40.
    assert null(feb["value"]) and feb["n"] == 40
    march = frame[(frame["slice"] == "2025-03") & (frame["id"] == "churn_rate")].iloc[0]
    assert march["value"] == pytest.approx(25.0)  # the month as a whole month, against February


def test_by_touchpoint_lists_every_touchpoint(judged_db):
    frame = by_touchpoint(judged_db, ["csat"], MARCH)
    assert list(frame["touchpoint_id"]) == ["contact_center", "store", "web"]
    store = frame.set_index("touchpoint_id").loc["store"]
    assert null(store["value"]) and store["n"] == 0 and store["note"] == "No data"


# ------------------------------------------------------------------ CLI

def strict(text: str):
    """Parse JSON refusing NaN and Infinity, which are not JSON."""
    def refuse(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_cli_json_v2_fields(judged_db_path, capsys):
    assert cli.main(["kpis", "--db", str(judged_db_path), "--start", "2025-04-01", "--end", "2025-04-30",
                     "--format", "json"]) == 0
    doc = strict(capsys.readouterr().out)
    r = {k["id"]: k for k in doc["kpis"]}
    assert list(r["retention_rate"]) == list(cli.KPI_FIELDS)
    assert r["retention_rate"] == {
        "id": "retention_rate", "name": "Retention rate", "unit": "%", "owner": "Joint", "value": 100.0,
        "previous": 75.0, "target": None, "status": "none", "n": 30, "previous_n": 40, "complete": False,
        "data_through": "2025-04-05", "small_sample": False}
    assert r["incidents"]["target"] == pytest.approx(2.0) and r["incidents"]["n"] == 5


@pytest.mark.parametrize("by", ["touchpoint", "segment", "region", "month"])
def test_cli_breakdowns_are_strict_json_and_csv(judged_db_path, capsys, by):
    args = ["kpis", "--db", str(judged_db_path), "--start", "2025-02-01", "--end", "2025-04-30", "--by", by]
    assert cli.main([*args, "--format", "json"]) == 0
    doc = strict(capsys.readouterr().out)
    keys = {"touchpoint": ["contact_center", "store", "web"], "segment": ["consumer", "smb"],
            "region": ["North", "South"], "month": ["2025-02", "2025-03", "2025-04"]}[by]
    assert doc["by"] == by and [g["group"] for g in doc["groups"]] == keys
    assert all([k["id"] for k in g["kpis"]] == [k.id for k in CATALOG] for g in doc["groups"])
    assert cli.main([*args, "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ",".join([by, *cli.KPI_FIELDS]) and len(lines) == 1 + len(keys) * len(CATALOG)


def test_cli_never_prints_nan(judged_db_path, capsys):
    con = db.connect(judged_db_path)
    with con.cursor() as cur:
        cur.execute("UPDATE system_health SET p95_latency_ms = 'inf'::DOUBLE WHERE day = DATE '2025-03-01'")
    con.close()
    assert cli.main(["kpis", "--db", str(judged_db_path), "--start", "2025-03-01", "--end", "2025-03-31",
                     "--format", "json"]) == 0
    doc = strict(capsys.readouterr().out)
    assert {k["id"]: k for k in doc["kpis"]}["p95_latency_ms"]["value"] is None
