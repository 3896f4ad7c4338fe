"""'Is it working?': an initiative's target KPIs, month by month since it
started, against the month before it started and the effect it promised."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from cxhub.joint.initiatives import expected_change
from cxhub.kpis import KPIS, Filters, Period, data_span, engine
from cxhub.kpis.period import add_months, month_end

MONTHS_BEFORE = 3  # months shown before the start, for context
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
    summary per KPI: baseline (the month before the start), latest (the last
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
    baseline_month = add_months(started.replace(day=1), -1)
    expected = expected_change(initiative.get("expected_effect") or "")
    rows = []
    for i, kpi_id in enumerate(initiative["kpi_ids"]):
        series = trend[trend["kpi_id"] == kpi_id]
        base = series[series["bucket_start"] == baseline_month]
        # A month the data does not fully cover is not an outcome yet.
        known = series[series["value"].notna() & series["complete"]]
        baseline = float(base["value"].iloc[0]) if len(base) and not pd.isna(base["value"].iloc[0]) else None
        latest = float(known["value"].iloc[-1]) if len(known) else None
        change = None if baseline is None or latest is None else latest - baseline
        small = bool((len(base) and base["small_sample"].iloc[0]) or (len(known) and known["small_sample"].iloc[-1]))
        rows.append({
            "kpi_id": kpi_id, "scope": series["scope"].iloc[0] if len(series) else "",
            "baseline": baseline, "latest": latest, "change": change,
            "expected": expected if i == 0 else None,
            "better": None if change is None or small else KPIS[kpi_id].is_improvement(change),
            "small": small,
        })
    return trend, pd.DataFrame(rows, columns=columns)
