"""Alerts: a series with a planted spike, dip and shift (each found on its
day, nothing else), a clean series that raises none, and each field against
a second computation."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

from cxhub.insights import alerts
from cxhub.kpis.period import Period

from fixtures import build_health_series

START = date(2025, 1, 1)
DAYS = 400
SPIKE, DIP, SHIFT = 330, 350, 370  # day numbers: all in the judged period
PERIOD = Period(START + timedelta(days=320), START + timedelta(days=DAYS - 1))


def latency(planted: bool, seed: int = 1) -> list[float]:
    """500 ms, 60 ms more at weekends, noise of σ 10 ms; planted: +150 ms on
    one day, −150 ms on another, +120 ms from a day on."""
    rng = np.random.default_rng(seed)
    days = [START + timedelta(days=i) for i in range(DAYS)]
    values = np.array([500.0 + (60 if d.weekday() >= 5 else 0) for d in days]) + rng.normal(0, 10, DAYS)
    if planted:
        values[SPIKE] += 150
        values[DIP] -= 150
        values[SHIFT:] += 120
    return [round(float(v), 1) for v in values]


def day(i: int) -> date:
    return START + timedelta(days=i)


def test_a_planted_spike_dip_and_shift_are_found_on_their_days(tmp_path):
    series = latency(planted=True)
    con = build_health_series(tmp_path / "planted.duckdb", series, START)
    found = [a for a in alerts.alerts(con, PERIOD) if a["metric"] == "p95_latency_ms"]
    assert {(a["day"], a["kind"]) for a in found} == {(day(SPIKE), "spike"), (day(DIP), "dip"),
                                                      (day(SHIFT), "shift")}
    by_kind = {a["kind"]: a for a in found}
    # Which way is bad: latency up is bad, down is not.
    assert by_kind["spike"]["bad"] and not by_kind["dip"]["bad"] and by_kind["shift"]["bad"]
    assert found[0]["bad"] and not found[-1]["bad"]  # worst first: the bad ones before the good one
    assert all(a["touchpoint"] == "web" for a in found)
    # Values are the series' own; the shift's are its medians before and after.
    assert by_kind["spike"]["value"] == series[SPIKE] and by_kind["dip"]["value"] == series[DIP]
    w = alerts.SHIFT_WINDOW["day"]
    assert by_kind["shift"]["value"] == pytest.approx(np.median(series[SHIFT:SHIFT + w]))
    assert by_kind["shift"]["expected"] == pytest.approx(np.median(series[SHIFT - w:SHIFT]))


def test_each_score_is_the_robust_z_of_the_remainder(tmp_path):
    """A second computation: statsmodels' STL run here (weekly season held
    over a month, four-week trend, five robustness passes), and the median/MAD z-score by hand, its
    scale never below the noise of the remainder's steps."""
    from statsmodels.tsa.seasonal import STL

    series = latency(planted=True)
    con = build_health_series(tmp_path / "z.duckdb", series, START)
    spike = next(a for a in alerts.alerts(con, PERIOD) if a["kind"] == "spike")
    values = np.array(series)
    fit = STL(values, period=7, seasonal=31, trend=29, robust=True).fit(outer_iter=5)
    expected = np.clip(fit.trend + fit.seasonal, 0, None)
    remainder = values - expected
    mad = np.median(np.abs(remainder - np.median(remainder)))
    steps = np.diff(remainder)
    step_mad = np.median(np.abs(steps - np.median(steps))) / np.sqrt(2)
    assert spike["expected"] == pytest.approx(expected[SPIKE])
    assert spike["score"] == pytest.approx((remainder[SPIKE] - np.median(remainder)) / (1.4826 * max(mad, step_mad)))
    assert spike["score"] > 3.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_clean_series_raises_no_alert(tmp_path, seed):
    con = build_health_series(tmp_path / "clean.duckdb", latency(planted=False, seed=seed), START)
    assert alerts.alerts(con, PERIOD) == []


def test_a_count_that_is_mostly_zero_alerts_on_a_real_burst_only(tmp_path):
    """Incidents: 0 most days, 1 now and then. One incident is not an alert
    (a count's noise is at least half a step); five in a day are."""
    con = build_health_series(tmp_path / "incidents.duckdb", [500.0] * DAYS, START)
    with con.cursor() as cur:
        ones = [day(i) for i in range(0, DAYS, 23)]
        cur.executemany("UPDATE system_health SET incidents = 1 WHERE day = ?", [[d] for d in ones])
        cur.execute("UPDATE system_health SET incidents = 5 WHERE day = ?", [day(340)])
    found = alerts.alerts(con, PERIOD)
    assert [(a["metric"], a["day"], a["kind"], a["bad"]) for a in found] == [("incidents", day(340), "spike", True)]


def test_history_before_the_period_is_used_and_only_the_period_reported(tmp_path):
    con = build_health_series(tmp_path / "h.duckdb", latency(planted=True), START)
    only_spike = Period(day(SPIKE), day(SPIKE))
    assert [(a["day"], a["kind"]) for a in alerts.alerts(con, only_spike)] == [(day(SPIKE), "spike")]
    too_early = Period(START, START + timedelta(days=20))  # 21 days of data: too little history to judge
    assert alerts.alerts(con, too_early) == []


def test_cli_json(tmp_path):
    build_health_series(tmp_path / "cli.duckdb", latency(planted=True), START).close()
    out = subprocess.run([sys.executable, "-m", "cxhub.cli", "alerts", "--db", str(tmp_path / "cli.duckdb"),
                          "--start", PERIOD.start.isoformat(), "--end", PERIOD.end.isoformat(), "--format", "json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert [set(a) for a in found] == [{"metric", "touchpoint", "day", "kind", "value", "expected", "score",
                                        "bad"}] * 3
    assert {a["day"] for a in found} == {day(SPIKE).isoformat(), day(DIP).isoformat(), day(SHIFT).isoformat()}
