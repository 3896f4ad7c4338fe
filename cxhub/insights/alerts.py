"""Alerts: what just broke (insights contract v1, "Alerts").

Each series (per touchpoint: availability, p95 latency, incidents and error
rate per day from system_health, contacts per day from interactions; CSAT
and NPS per week, weeks of fewer than 30 answers not judged) is judged
against its own history, up to a year before the period:

- spike / dip: statsmodels' STL (robust, a weekly season for daily series;
  weekly series have no season and take a robust local level) gives each
  point its expected value; the remainder's robust z-score (median and MAD)
  beyond 3.5 is a spike (above) or a dip (below);
- shift: a lasting change of level, dated on its first day: the median of
  the SHIFT_WINDOW points from that day differs from the median of the
  SHIFT_WINDOW before it by more than 3.5 times the noise of such a
  difference (1.2533 · σ · √(2 / window)), and the level holds for the
  next window too.

The engine gives the series (small: a value per touchpoint and day); the
decomposition runs here, on at most ~400 points a series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from cxhub.db import query_df
from cxhub.kpis import engine
from cxhub.kpis.period import Filters, Period

THRESHOLD = 3.5
HISTORY_DAYS = 365
MIN_HISTORY = 28  # points a series needs before it is judged (4 weeks of days, or weeks)
SHIFT_WINDOW = {"day": 7, "week": 4}
MAD_SCALE = 1.4826  # MAD × this estimates σ for normal noise
MEAN_AD_SCALE = 1.2533  # mean absolute deviation × this, where the MAD is 0 (mostly-zero counts)
ROBUST_PASSES = 5


@dataclass(frozen=True)
class Metric:
    id: str
    label: str
    grain: str  # "day" | "week"
    bad: str  # which way is bad: "up", "down" or "both"
    low: float | None = 0.0  # the range a value can take: an expected value is never outside it
    high: float | None = None


METRICS = (
    Metric("availability", "Availability %", "day", "down", high=100.0),
    Metric("p95_latency_ms", "p95 latency (ms)", "day", "up"),
    Metric("incidents", "Incidents", "day", "up"),
    Metric("error_rate", "Error rate %", "day", "up"),
    Metric("contacts", "Contacts", "day", "both"),
    Metric("csat", "CSAT %", "week", "down", high=100.0),
    Metric("nps", "NPS", "week", "down", low=-100.0, high=100.0),
)
BY_ID = {m.id: m for m in METRICS}


def _daily(con, first: date, last: date, touchpoints: tuple[str, ...]) -> pd.DataFrame:
    """touchpoint_id, day and every daily metric; contacts 0 on a day in the
    interactions' range with none."""
    where, params = "", [first, last, first, last, first, last]
    if touchpoints:
        where = f" AND touchpoint_id IN ({', '.join('?' * len(touchpoints))})"
    tps = list(touchpoints)
    return query_df(con, f"""
        WITH health AS (
            SELECT touchpoint_id, day, availability_pct AS availability, p95_latency_ms,
                   coalesce(incidents, 0) AS incidents, error_rate_pct AS error_rate
            FROM system_health WHERE day BETWEEN ? AND ?{where}
        ),
        -- greatest/least skip NULLs: an empty interactions table has no span at all.
        span AS (SELECT CASE WHEN count(*) > 0 THEN greatest(min(d), CAST(? AS DATE)) END AS lo,
                        CASE WHEN count(*) > 0 THEN least(max(d), CAST(? AS DATE)) END AS hi FROM interaction_days),
        days AS (
            SELECT touchpoint_id, CAST(t AS DATE) AS day FROM (
                SELECT t.touchpoint_id, unnest(generate_series(s.lo, s.hi, INTERVAL 1 DAY)) AS t
                FROM span s, touchpoints t WHERE s.lo IS NOT NULL{where.replace('touchpoint_id', 't.touchpoint_id')})
        ),
        contacts AS (
            SELECT d.touchpoint_id, d.day, coalesce(sum(x.interactions), 0) AS contacts
            FROM days d LEFT JOIN interaction_days x ON x.touchpoint_id = d.touchpoint_id AND x.d = d.day
            WHERE d.day BETWEEN ? AND ?
            GROUP BY ALL
        )
        SELECT touchpoint_id, day, h.availability, h.p95_latency_ms, h.incidents, h.error_rate, c.contacts
        FROM health h FULL JOIN contacts c USING (touchpoint_id, day)
        ORDER BY touchpoint_id, day
    """, params[:2] + tps + params[2:4] + tps + params[4:])


def _weekly(con, first: date, last: date, touchpoints: tuple[str, ...]) -> pd.DataFrame:
    """touchpoint_id, day (the Monday), csat and nps per week, as the KPI
    catalog defines them (the engine's own weekly trend); a week of fewer
    than 30 answers has no value (not judged: the catalog's small-sample rule)."""
    monday = first - timedelta(days=first.weekday())
    weeks = engine.trends(con, ("csat", "nps"), Period(monday, last), "week", Filters(touchpoints=touchpoints),
                          slice_by="touchpoint")
    weeks = weeks.assign(value=weeks["value"].astype(float).where(~weeks["small_sample"].astype(bool)))
    wide = weeks.pivot_table(index=["slice", "bucket_start"], columns="kpi_id", values="value", dropna=False)
    return (wide.reindex(columns=["csat", "nps"]).reset_index()
            .rename(columns={"slice": "touchpoint_id", "bucket_start": "day"}).rename_axis(columns=None))


def robust_z(remainder: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """(x − median) / (1.4826 · MAD). The scale is never below the noise
    seen from one point to the next (see _noise), nor below `floor` (see
    resolution); where both are 0, 1.2533 · mean absolute deviation; all
    zeros for a constant."""
    centre = np.nanmedian(remainder)
    scale = _noise(remainder)
    if not scale > 0:
        scale = MEAN_AD_SCALE * np.nanmean(np.abs(remainder - centre))
    scale = max(scale, floor)
    if not scale > 0:
        return np.zeros_like(remainder)
    return (remainder - centre) / scale


def resolution(values: np.ndarray) -> float:
    """Half the step of a series that takes few values (a count such as
    incidents, mostly 0: one incident is not 3.5 deviations from a noise it
    does not have); 0 for a measured series."""
    distinct = np.unique(values[~np.isnan(values)])
    return float(np.min(np.diff(distinct))) / 2 if 1 < len(distinct) <= 20 else 0.0


def decompose(values: np.ndarray, grain: str) -> tuple[np.ndarray, np.ndarray]:
    """(expected value, season) of each point. Daily series: STL with a
    weekly season held steady over a month (seasonal=31) and a trend over
    four weeks (trend=29), robust to the outliers it is looking for; weekly
    series: no season, a robust local level (rolling median of 5)."""
    if grain == "day" and len(values) >= 2 * 29 and np.ptp(values) > 0:
        from statsmodels.tsa.seasonal import STL  # loaded with the first alert

        # Five robustness passes (statsmodels' default is 15): outliers are down-weighted
        # as well on these series, in a third of the time (35 series a page).
        fit = STL(values, period=7, seasonal=31, trend=29, robust=True).fit(outer_iter=ROBUST_PASSES)
        return fit.trend + fit.seasonal, fit.seasonal
    level = pd.Series(values).rolling(5, center=True, min_periods=1).median().to_numpy()
    return level, np.zeros_like(values)


def judge(days: list[date], values: np.ndarray, observed: np.ndarray, metric: Metric) -> list[dict]:
    """Every spike, dip and shift in one series. values: the series with
    gaps filled (STL needs every point); observed: where a value was real."""
    if observed.sum() < MIN_HISTORY:
        return []
    expected, season = decompose(values, metric.grain)
    # A fitted level below 0 incidents would make every quiet day look like a spike.
    expected = np.clip(expected, metric.low, metric.high)
    remainder = values - expected
    # A float series that never moves (99.9 every day) has a rounding-error remainder: never noise.
    floor = max(resolution(np.where(observed, values, np.nan)), 1e-6 * (1 + np.nanmedian(np.abs(values))))
    z = robust_z(np.where(observed, remainder, np.nan), floor)
    w = SHIFT_WINDOW[metric.grain]
    shifts = _shifts(values, values - season, observed, remainder, w, floor)
    # Around a shift the decomposition bends early and catches up late: those days are the
    # shift, not spikes or dips of their own.
    settling = {j for i, *_ in shifts for j in range(i - 2 * w, i + 2 * w)}
    found = [_alert(metric, days[i], "shift", after, before, score) for i, after, before, score in shifts]
    for i in np.flatnonzero(observed & (np.abs(np.nan_to_num(z)) > THRESHOLD)):
        if i not in settling:
            found.append(_alert(metric, days[i], "spike" if z[i] > 0 else "dip", values[i], expected[i], z[i]))
    return found


def _shifts(values: np.ndarray, adjusted: np.ndarray, observed: np.ndarray, remainder: np.ndarray,
            w: int, floor: float = 0.0) -> list[tuple]:
    """(index of the first day at the new level, the median of the w values
    from it, of the w before it, score) for each lasting change of level:
    on the series without its season, the median of the w points from the
    day, and of the w after those, both differ from the median of the w
    before by more than THRESHOLD times the noise of that difference."""
    def windows(series, how="median"):
        series = pd.Series(np.where(observed, series, np.nan))
        before = getattr(series.rolling(w, min_periods=max(2, w // 2)), how)().shift(1)
        after = getattr(series[::-1].rolling(w, min_periods=max(2, w // 2)), how)()[::-1]
        return before, after

    before, after = windows(adjusted)
    later = after.shift(-w)
    # The noise of a difference of two medians of w points: 1.2533 · σ · √(2 / w).
    scale = max(_noise(remainder), floor) * MEAN_AD_SCALE * np.sqrt(2 / w)
    if not scale > 0:
        return []
    jump = ((after - before) / scale).to_numpy()
    lasting = ((later - before) / scale).to_numpy()
    hit = observed & (np.abs(np.nan_to_num(jump)) > THRESHOLD) & (np.abs(np.nan_to_num(lasting)) > THRESHOLD) \
        & (np.sign(np.nan_to_num(jump)) == np.sign(np.nan_to_num(lasting)))
    raw_before, raw_after = windows(values)
    # Medians flag a change (robust to a spike nearby) on several days around it; the means' jump,
    # which grows with every shifted point in the window, peaks on its first day.
    mean_before, mean_after = windows(adjusted, "mean")
    mean_jump = (mean_after - mean_before).abs().to_numpy()
    found, run = [], []
    for i in [*np.flatnonzero(hit), None]:  # candidates in runs; each run is one change
        if run and (i is None or i - run[-1] > w):
            first = max(range(run[0], run[-1] + 1), key=lambda j: np.nan_to_num(mean_jump[j]))
            found.append((first, float(raw_after.iloc[first]), float(raw_before.iloc[first]), float(jump[first])))
            run = []
        if i is not None:
            run.append(i)
    return found


def _noise(remainder: np.ndarray) -> float:
    """One point's noise: the remainder's MAD, and never less than that of
    its point-to-point steps ÷ √2 (a flexible fit shrinks the remainder,
    not its steps), both × 1.4826. Gaps (NaN) are left out."""
    r = remainder[~np.isnan(remainder)]
    if len(r) == 0:
        return 0.0
    scale = MAD_SCALE * np.median(np.abs(r - np.median(r)))
    steps = np.diff(r)
    if len(steps) > 2:
        scale = max(scale, MAD_SCALE * np.median(np.abs(steps - np.median(steps))) / np.sqrt(2))
    return float(scale)


def _alert(metric: Metric, day: date, kind: str, value: float, expected: float, score: float) -> dict:
    up = kind == "spike" or (kind == "shift" and score > 0)
    bad = metric.bad == "both" or (metric.bad == "up") == up
    return {"metric": metric.id, "day": day, "kind": kind, "value": float(value), "expected": float(expected),
            "score": float(score), "bad": bool(bad)}


def alerts(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters()) -> list[dict]:
    """The contract's list: alerts whose day lies in the period, worst first
    (bad before good, then by |score|), each judged on up to a year of
    history. Only the touchpoint filter applies (series are per touchpoint)."""
    first = period.start - timedelta(days=HISTORY_DAYS)
    found = []
    for frame, grain in ((_daily(con, first, period.end, filters.touchpoints), "day"),
                         (_weekly(con, first, period.end, filters.touchpoints), "week")):
        for tp, rows in frame.groupby("touchpoint_id", sort=True):
            rows = _complete(rows, grain)
            for metric in (m for m in METRICS if m.grain == grain):
                raw = rows[metric.id].to_numpy(dtype=float)
                observed = ~np.isnan(raw)
                if not observed.any():
                    continue
                # The series runs from its first value to its last; gaps inside are filled for STL.
                first, last = np.flatnonzero(observed)[[0, -1]]
                span = slice(first, last + 1)
                filled = pd.Series(raw[span]).interpolate().to_numpy()
                for alert in judge(list(rows["day"])[span], filled, observed[span], metric):
                    if period.start <= alert["day"] <= period.end:
                        found.append({**alert, "touchpoint": tp})
    found.sort(key=lambda a: (not a["bad"], -abs(a["score"]), a["day"], a["metric"], a["touchpoint"]))
    return [{k: a[k] for k in ("metric", "touchpoint", "day", "kind", "value", "expected", "score", "bad")}
            for a in found]


def _complete(rows: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Every day (or Monday) from the series' first to its last, gaps empty."""
    rows = rows.assign(day=pd.to_datetime(rows["day"]).dt.date).set_index("day")
    step = 7 if grain == "week" else 1
    first, last = min(rows.index), max(rows.index)
    index = [first + timedelta(days=step * i) for i in range((last - first).days // step + 1)]
    return rows.reindex(index).rename_axis("day").reset_index()
