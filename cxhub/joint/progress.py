"""'Is it working?': an initiative's target KPIs, month by month since it
started, against the months before it started and the effect it promised.

The baseline is the median of the (up to) three months before the start:
one bad month, an incident or a holiday dip, does not make any later month
look like progress."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from cxhub.joint.initiatives import expected_change
from cxhub.kpis import KPIS, Filters, Period, data_span, engine
from cxhub.kpis.period import add_months, month_end

MONTHS_BEFORE = 3  # months shown before the start, for context, and the baseline's months
MAX_MONTHS = 24


def window(started_on: date, data_end: date) -> Period | None:
    """Whole months from a little before the start to the last full month of data."""
    last = data_end if data_end == month_end(data_end) else add_months(data_end.replace(day=1), -1)
    last = last.replace(day=1)
    first = add_months(started_on.replace(day=1), -MONTHS_BEFORE)
    first = max(first, add_months(last, -(MAX_MONTHS - 1)))
    if first > last:
        return None
    return Period(first, month_end(last))


def progress(con: duckdb.DuckDBPyConnection, initiative: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """For an initiative (a joint.initiatives() row) that has started:
    (trend, summary). trend: kpi_id, bucket_start, value, target, scope.
    summary per KPI: baseline (see baseline_of), latest (the last
    month whose data is complete), change, expected (the promised change,
    first KPI only), better (the change goes the KPI's good way; None when
    either month rests on fewer than 30: too few to judge), small (that)."""
    columns = ["kpi_id", "scope", "baseline", "latest", "change", "expected", "better", "small"]
    started = initiative.get("started_on")
    _, data_end = data_span(con)
    if started is None or pd.isna(started) or data_end is None or not initiative["kpi_ids"]:
        return pd.DataFrame(), pd.DataFrame(columns=columns)
    started = pd.Timestamp(started).date()
    span = window(started, data_end)
    if span is None:
        return pd.DataFrame(), pd.DataFrame(columns=columns)
    tps = tuple(initiative["touchpoints"])
    scoped = [k for k in initiative["kpi_ids"] if KPIS[k].per_touchpoint]
    company = [k for k in initiative["kpi_ids"] if not KPIS[k].per_touchpoint or not tps]
    scoped = [k for k in scoped if k not in company]
    parts = []
    if scoped:
        parts.append(engine.trends(con, scoped, span, "month", Filters(touchpoints=tps))
                     .assign(scope=", ".join(tps)))
    if company:
        parts.append(engine.trends(con, company, span, "month").assign(scope="company"))
    trend = pd.concat(parts, ignore_index=True)
    expected = expected_change(initiative.get("expected_effect") or "")
    rows = []
    for i, kpi_id in enumerate(initiative["kpi_ids"]):
        series = trend[trend["kpi_id"] == kpi_id]
        baseline, base_small = baseline_of(series, started)
        # A month the data does not fully cover is not an outcome yet.
        known = series[series["value"].notna() & series["complete"] & (series["bucket_start"] >= started.replace(day=1))]
        latest = float(known["value"].iloc[-1]) if len(known) else None
        change = None if baseline is None or latest is None else latest - baseline
        small = base_small or bool(len(known) and known["small_sample"].iloc[-1])
        rows.append({
            "kpi_id": kpi_id, "scope": series["scope"].iloc[0] if len(series) else "",
            "baseline": baseline, "latest": latest, "change": change,
            "expected": expected if i == 0 else None,
            "better": None if change is None or small else KPIS[kpi_id].is_improvement(change),
            "small": small,
        })
    return trend, pd.DataFrame(rows, columns=columns)


def baseline_of(series: pd.DataFrame, started: date) -> tuple[float | None, bool]:
    """(the median of the values of the up to MONTHS_BEFORE whole months
    before the start, whether any of them rests on fewer than 30). series:
    one KPI's months, bucket_start, value, complete, small_sample."""
    first = add_months(started.replace(day=1), -MONTHS_BEFORE)
    before = series[(series["bucket_start"] >= first) & (series["bucket_start"] < started.replace(day=1))
                    & series["value"].notna() & series["complete"]]
    if before.empty:
        return None, False
    return float(before["value"].astype(float).median()), bool(before["small_sample"].any())
