"""The KPI engine: turns KPIs, periods and filters into SQL, runs it in DuckDB
and returns small frames. It never imports Streamlit and never pulls a fact
table into pandas; the CLI, the pages and the tests all call it.

Each KPI family (kpis/sql/<family>.sql) computes all its KPIs for a set of
periods at once, grouped by a "slice": the whole filtered company, or each
touchpoint. A scorecard is the family queries for two periods; a trend is
the same queries for one period per bucket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Iterable, Sequence

import duckdb
import pandas as pd

from cxhub.db import query_df, query_rows
from cxhub.kpis.catalog import CATALOG, KPIS, MIN_RESPONSES, KPI, kpi
from cxhub.kpis.period import Filters, Period

# What each family reads: its table, the column that dates a row, the columns
# it needs, whether segment and region reach it through its customer (or are
# its own columns, in a rollup), and whether the touchpoints' kind is joined in.
@dataclass(frozen=True)
class _Source:
    table: str
    date_column: str
    columns: str
    customer_filters: bool = True
    customer_columns: bool = False  # segment and region are columns of the table
    touchpoint_kind: bool = False
    dated_by_timestamp: bool = True
    sql_file: str = ""  # kpis/sql/<sql_file>.sql; default: the table's name

    def __post_init__(self):
        if not self.sql_file:
            object.__setattr__(self, "sql_file", self.table)


_SOURCES = {
    "orders": _Source("orders", "ordered_at", "x.customer_id, x.amount"),
    "surveys": _Source("surveys", "responded_at", "x.touchpoint_id, x.nps, x.csat, x.ces"),
    "interactions": _Source(
        "interactions", "occurred_at",
        "x.customer_id, x.occurred_at, x.resolved, tp.kind, "
        "x.customer_id IN (SELECT customer_id FROM customers) AS known",
        touchpoint_kind=True,
    ),
    # system_health has no customer: segment and region do not narrow it.
    "health": _Source(
        "system_health", "day", "x.availability_pct, x.p95_latency_ms, x.incidents", customer_filters=False,
        dated_by_timestamp=False, sql_file="health",
    ),
}

# The rollups (cxhub/rollups.py) that answer a family with the same numbers
# from far fewer rows; _source_for says when each may be used.
_CUSTOMER_DAYS = _Source("customer_days", "d",
                         "x.customer_id, x.orders, x.amount, x.first_day, x.prev_day, x.next_day",
                         dated_by_timestamp=False)
_CUSTOMER_TOUCHPOINT_DAYS = _Source("customer_touchpoint_days", "d", _CUSTOMER_DAYS.columns,
                                    dated_by_timestamp=False, sql_file="customer_days")
_INTERACTION_DAYS = _Source("interaction_days", "d", "x.known, x.interactions, x.resolved_n, x.first_contact, tp.kind",
                            customer_columns=True, touchpoint_kind=True, dated_by_timestamp=False)


def _customer_days_for(filters: Filters, slice_by: str | None) -> _Source | None:
    """Which customer-days rollup holds A(X) for these filters and slices:
    across touchpoints, or within one touchpoint; none for a union of several."""
    if slice_by == "touchpoint" or len(filters.touchpoints) == 1:
        return _CUSTOMER_TOUCHPOINT_DAYS
    return None if filters.touchpoints else _CUSTOMER_DAYS


def _source_for(family: str, filters: Filters, slice_by: str | None, use_rollups: bool) -> _Source:
    """The rollup when it gives the fact table's numbers, else the fact table.
    interaction_days keeps every dimension a filter or slice needs."""
    rollup = None
    if use_rollups and family == "interactions":
        rollup = _INTERACTION_DAYS
    elif use_rollups and family == "orders":
        rollup = _customer_days_for(filters, slice_by)
    return rollup or _SOURCES[family]


COMPANY = "all"  # the slice that is the whole (filtered) company


def family_table(family: str) -> str:
    """The fact table a KPI family reads (its freshness is the KPI's)."""
    return _SOURCES[family].table


class UnknownValue(ValueError):
    """A filter value that names nothing in the database."""


@cache
def _family_sql(family: str) -> str:
    return resources.files("cxhub.kpis.sql").joinpath(f"{family}.sql").read_text(encoding="utf-8")


SLICES = ("touchpoint", "segment", "region")


def _filtered(source: _Source, filters: Filters, span: Period, slice_by: str | None) -> tuple[str, list]:
    """The SELECT of one table's rows that pass the filters within span,
    each labelled with its slice (the company, or its touchpoint, segment or
    region; rows with no known customer are '(unknown)' by segment/region)."""
    params: list = []
    joins = ""
    if source.touchpoint_kind:
        joins += " JOIN touchpoints tp ON tp.touchpoint_id = x.touchpoint_id"
    # Timestamps are compared by their UTC date: [start 00:00, end + 1 day 00:00).
    where = [f"x.{source.date_column} >= ? AND x.{source.date_column} < ?"]
    if source.dated_by_timestamp:
        params += [pd.Timestamp(span.start), pd.Timestamp(span.end + timedelta(days=1))]
    else:
        params += [span.start, span.end + timedelta(days=1)]
    if filters.touchpoints:
        where.append(f"x.touchpoint_id IN ({', '.join('?' * len(filters.touchpoints))})")
        params += list(filters.touchpoints)
    # Where segment and region come from: the row itself (a rollup keeps its
    # customer's), or the customers table.
    customer = "x" if source.customer_columns else "c"
    if source.customer_filters and filters.by_customer:
        # Rows with no known customer drop out when segment or region is set.
        if not source.customer_columns:
            joins += " JOIN customers c ON c.customer_id = x.customer_id"
        for column, values in (("segment", filters.segments), ("region", filters.regions)):
            if values:
                where.append(f"{customer}.{column} IN ({', '.join('?' * len(values))})")
                params += list(values)
    elif slice_by in ("segment", "region") and not source.customer_columns:
        joins += " LEFT JOIN customers c ON c.customer_id = x.customer_id"
    if slice_by == "touchpoint":
        slice_expr = "x.touchpoint_id"
    elif slice_by in ("segment", "region"):
        slice_expr = f"coalesce({customer}.{slice_by}, '(unknown)')"
    else:
        slice_expr = f"'{COMPANY}'"
    sql = (
        f"SELECT {slice_expr} AS slice, {source.columns}, x.{source.date_column}::DATE AS d "
        f"FROM {source.table} x{joins} WHERE {' AND '.join(where)}"
    )
    return sql, params


# The CTEs every family query starts with: the periods, each as its days
# (rows meet their periods by an equi-join on the date, far cheaper than a
# range join on millions of rows), the previous periods' days, and the
# filtered fact rows.
_PRELUDE = """periods(pid, p_start, p_end, prev_start, prev_end) AS ({periods}),
period_days AS (
    SELECT pid, CAST(unnest(generate_series(p_start, p_end, INTERVAL 1 DAY)) AS DATE) AS d FROM periods
),
previous_days AS (
    SELECT pid, CAST(unnest(generate_series(prev_start, prev_end, INTERVAL 1 DAY)) AS DATE) AS d FROM periods
),
filtered AS ({filtered})"""


def _periods_values(periods: Sequence[Period]) -> tuple[str, list]:
    rows, params = [], []
    for pid, p in enumerate(periods):
        prev = p.previous()
        rows.append(f"({pid}, ?::DATE, ?::DATE, ?::DATE, ?::DATE)")
        params += [p.start, p.end, prev.start, prev.end]
    return "VALUES " + ", ".join(rows), params


def family_query(family: str, periods: Sequence[Period], filters: Filters, slice_by: str | None = None,
                 use_rollups: bool = True) -> tuple[str, list]:
    """The SQL and bound parameters that compute one KPI family: one row per
    (pid, slice), with a column per KPI and `<kpi>__n` sample sizes. It reads
    a rollup where one gives the same numbers (use_rollups=False: never)."""
    if slice_by not in (None, *SLICES):
        raise ValueError(f"cannot slice by {slice_by!r}; use one of {', '.join(SLICES)}")
    source = _source_for(family, filters, slice_by, use_rollups)
    # Retention needs each period's previous period too.
    span = Period(min(p.previous().start for p in periods), max(p.end for p in periods))
    periods_sql, periods_params = _periods_values(periods)
    filtered_sql, filtered_params = _filtered(source, filters, span, slice_by)
    sql = _family_sql(source.sql_file).format(prelude=_PRELUDE.format(periods=periods_sql, filtered=filtered_sql))
    return sql, periods_params + filtered_params


def kpi_values(
    con: duckdb.DuckDBPyConnection,
    periods: Sequence[Period],
    filters: Filters = Filters(),
    kpi_ids: Iterable[str] | None = None,
    slice_by: str | None = None,
    use_rollups: bool = True,
) -> pd.DataFrame:
    """Long frame: pid, slice, kpi_id, value, n, moe — one row per period,
    slice and KPI that had data. A KPI with no data has no row (null).
    system_health has no customer, so its KPIs have no segment/region slices."""
    wanted = [kpi(k) for k in (kpi_ids or KPIS)]
    if slice_by in ("segment", "region"):
        wanted = [k for k in wanted if _SOURCES[k.family].customer_filters]
    frames = []
    for family in dict.fromkeys(k.family for k in wanted):
        sql, params = family_query(family, periods, filters, slice_by, use_rollups)
        wide = query_df(con, sql, params)
        for k in wanted:
            if k.family != family:
                continue
            part = pd.DataFrame(
                {
                    "pid": wide["pid"],
                    "slice": wide["slice"],
                    "kpi_id": k.id,
                    "value": wide[k.id].astype("float64"),
                    "n": wide[f"{k.id}__n"].astype("float64"),
                    "moe": wide[f"{k.id}__moe"].astype("float64") if f"{k.id}__moe" in wide else float("nan"),
                }
            )
            frames.append(part)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["pid", "slice", "kpi_id", "value", "n", "moe"]
    )
    # NaN from a 0/0 never leaves the engine: no data is null.
    return out.dropna(subset=["value"]).reset_index(drop=True)


# ---------------------------------------------------------------- targets

def targets(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], tuple[float, float]]:
    """(kpi_id, touchpoint_id or None) -> (target, amber band)."""
    rows = query_rows(con, "SELECT kpi_id, touchpoint_id, target, amber_band FROM kpi_targets")
    return {
        (k, tp or None): (float(t), float(b) if b is not None else 0.05 * abs(float(t)))
        for k, tp, t, b in rows
    }


def target_for(all_targets: dict, kpi_id: str, filters: Filters) -> tuple[float, float] | None:
    """The touchpoint's target when exactly one touchpoint is selected and it
    has one, else the company-wide target, else None."""
    if len(filters.touchpoints) == 1 and (kpi_id, filters.touchpoints[0]) in all_targets:
        return all_targets[(kpi_id, filters.touchpoints[0])]
    return all_targets.get((kpi_id, None))


def status(k: KPI, value: float | None, target: tuple[float, float] | None) -> str:
    """green on the better side of target (or equal), amber within the band on
    the worse side, red beyond; none without a target or a value."""
    if target is None or value is None or pd.isna(value):
        return "none"
    t, band = target
    shortfall = (t - value) if k.better == "higher" else (value - t)
    if shortfall <= 0:
        return "green"
    return "amber" if shortfall <= band else "red"


def _lookup(values: pd.DataFrame) -> dict:
    return {(r.pid, r.slice, r.kpi_id): r for r in values.itertuples(index=False)}


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


# ---------------------------------------------------------------- public API

def scorecard(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """Every KPI of the catalog for the period: value, previous-period value,
    change, target, status, sample size and margin of error."""
    prev = period.previous()
    found = _lookup(kpi_values(con, [period, prev], filters))
    all_targets = targets(con)
    rows = []
    for k in CATALOG:
        cur = found.get((0, COMPANY, k.id))
        old = found.get((1, COMPANY, k.id))
        value = _num(cur.value) if cur else None
        previous = _num(old.value) if old else None
        tgt = target_for(all_targets, k.id, filters)
        n = _num(cur.n) if cur else None
        rows.append(
            {
                "id": k.id, "name": k.name, "group": k.group, "owner": k.owner, "unit": k.unit,
                "better": k.better, "value": value, "previous": previous,
                "change": None if value is None or previous is None else value - previous,
                "target": tgt[0] if tgt else None, "amber_band": tgt[1] if tgt else None,
                "status": status(k, value, tgt),
                "n": n, "moe": _num(cur.moe) if cur else None,
                "too_few": bool(k.survey and value is not None and (n or 0) < MIN_RESPONSES),
            }
        )
    return pd.DataFrame(rows)


def trends(
    con: duckdb.DuckDBPyConnection, kpi_ids: Iterable[str], period: Period, grain: str = "month",
    filters: Filters = Filters(), slice_by: str | None = None,
) -> pd.DataFrame:
    """KPIs per week, month or quarter of the period, in one round trip per
    family: kpi_id, slice, bucket_start, bucket_end, value, n, moe, target,
    status. Every bucket is present (value null when it has no data)."""
    ids = [kpi(k).id for k in kpi_ids]
    buckets = period.buckets(grain)
    values = kpi_values(con, buckets, filters, ids, slice_by)
    all_targets = targets(con)
    slices = [COMPANY] if slice_by is None else sorted(values["slice"].unique())
    found = _lookup(values)
    rows = []
    for kpi_id in ids:
        k = KPIS[kpi_id]
        for sl in slices:
            scope = filters if slice_by != "touchpoint" else filters.with_touchpoint(sl)
            tgt = target_for(all_targets, kpi_id, scope)
            for pid, b in enumerate(buckets):
                hit = found.get((pid, sl, kpi_id))
                value = _num(hit.value) if hit else None
                rows.append({
                    "kpi_id": kpi_id, "slice": sl, "bucket_start": b.start, "bucket_end": b.end, "value": value,
                    "n": _num(hit.n) if hit else None, "moe": _num(hit.moe) if hit else None,
                    "target": tgt[0] if tgt else None, "status": status(k, value, tgt),
                })
    return pd.DataFrame(rows, columns=["kpi_id", "slice", "bucket_start", "bucket_end", "value", "n", "moe",
                                       "target", "status"])


def kpi_trend(
    con: duckdb.DuckDBPyConnection, kpi_id: str, period: Period, grain: str = "month", filters: Filters = Filters()
) -> pd.DataFrame:
    """One KPI per week, month or quarter of the period: bucket_start,
    bucket_end, value, n, moe, target, status. Buckets without data have a
    null value (the series has no gaps in time)."""
    return trends(con, [kpi_id], period, grain, filters).drop(columns=["kpi_id", "slice"])


def touchpoints(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The touchpoints table, in a stable order."""
    return query_df(con, "SELECT touchpoint_id, name, kind, owner FROM touchpoints ORDER BY touchpoint_id")


def by_touchpoint(
    con: duckdb.DuckDBPyConnection, kpi_ids: Iterable[str] | None, period: Period, filters: Filters = Filters()
) -> pd.DataFrame:
    """Each KPI for each touchpoint (within the touchpoint filter, if any), as
    if that touchpoint alone were selected: touchpoint_id, name, kpi_id,
    value, previous, n, target, status."""
    ids = list(kpi_ids or KPIS)
    found = _lookup(kpi_values(con, [period, period.previous()], filters, ids, slice_by="touchpoint"))
    all_targets = targets(con)
    tps = touchpoints(con)
    if filters.touchpoints:
        tps = tps[tps.touchpoint_id.isin(filters.touchpoints)]
    rows = []
    for tp in tps.itertuples(index=False):
        for kpi_id in ids:
            k = KPIS[kpi_id]
            cur = found.get((0, tp.touchpoint_id, kpi_id))
            old = found.get((1, tp.touchpoint_id, kpi_id))
            value = _num(cur.value) if cur else None
            n = _num(cur.n) if cur else None
            tgt = target_for(all_targets, kpi_id, filters.with_touchpoint(tp.touchpoint_id))
            rows.append(
                {
                    "touchpoint_id": tp.touchpoint_id, "touchpoint": tp.name, "kpi_id": kpi_id,
                    "value": value, "previous": _num(old.value) if old else None, "n": n,
                    "moe": _num(cur.moe) if cur else None,
                    "target": tgt[0] if tgt else None, "status": status(k, value, tgt),
                    "too_few": bool(k.survey and value is not None and (n or 0) < MIN_RESPONSES),
                }
            )
    return pd.DataFrame(rows, columns=[
        "touchpoint_id", "touchpoint", "kpi_id", "value", "previous", "n", "moe", "target", "status", "too_few"
    ])


def cohort_query(period: Period, filters: Filters = Filters(), use_rollups: bool = True) -> tuple[str, list]:
    """The SQL and parameters of cohort_retention."""
    # The first order is searched over all time, so the span starts at the epoch.
    everything = Period(date(1970, 1, 1), period.end)
    cohorts = [period.start.replace(day=1), period.end]
    rollup = _customer_days_for(filters, None) if use_rollups else None
    if rollup:
        # The rollup knows each customer's first day: one pass, no self-join. A
        # customer counts once a month: on their first day with an order in it.
        filtered_sql, params = _filtered(rollup, filters, everything, None)
        sql = f"""
            WITH filtered AS ({filtered_sql}),
            cells AS (
                SELECT date_trunc('month', first_day)::DATE AS cohort,
                    datediff('month', date_trunc('month', first_day), date_trunc('month', d)) AS month_index,
                    count(*) AS active
                FROM filtered
                WHERE (prev_day IS NULL OR date_trunc('month', prev_day) < date_trunc('month', d))
                  AND first_day >= ? AND first_day <= ?
                GROUP BY ALL
            )
            SELECT c.cohort, c.month_index, s.active AS customers, c.active,
                100.0 * c.active / s.active AS pct
            FROM cells c JOIN cells s ON s.cohort = c.cohort AND s.month_index = 0
            ORDER BY c.cohort, c.month_index
        """
        return sql, params + cohorts
    filtered_sql, params = _filtered(_SOURCES["orders"], filters, everything, None)
    sql = f"""
        WITH filtered AS ({filtered_sql}),
        activity AS (SELECT DISTINCT customer_id, date_trunc('month', d)::DATE AS month FROM filtered),
        cohorts AS (SELECT customer_id, min(month) AS cohort FROM activity GROUP BY ALL),
        sizes AS (SELECT cohort, count(*) AS customers FROM cohorts GROUP BY ALL)
        SELECT c.cohort,
            datediff('month', c.cohort, a.month) AS month_index,
            s.customers,
            count(*) AS active,
            100.0 * count(*) / s.customers AS pct
        FROM activity a JOIN cohorts c USING (customer_id) JOIN sizes s USING (cohort)
        WHERE c.cohort >= ? AND c.cohort <= ?
        GROUP BY c.cohort, month_index, s.customers
        ORDER BY c.cohort, month_index
    """
    return sql, params + cohorts


def cohort_retention(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters(),
                     use_rollups: bool = True) -> pd.DataFrame:
    """Cohort = month of a customer's first order (ever, after filters); for
    each cohort starting in the period and each month k >= 0 up to the
    period's end: customers, active, pct = 100 × active / customers."""
    sql, params = cohort_query(period, filters, use_rollups)
    return query_df(con, sql, params)


def data_span(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last day with any event (orders, surveys, interactions)."""
    rows = query_rows(
        con,
        """SELECT min(d0), max(d1) FROM (
               SELECT min(occurred_at)::DATE d0, max(occurred_at)::DATE d1 FROM interactions
               UNION ALL SELECT min(responded_at)::DATE, max(responded_at)::DATE FROM surveys
               UNION ALL SELECT min(ordered_at)::DATE, max(ordered_at)::DATE FROM orders)""",
    )
    return rows[0]


def by_dimension(
    con: duckdb.DuckDBPyConnection, kpi_ids: Iterable[str], period: Period, dimension: str, filters: Filters = Filters()
) -> pd.DataFrame:
    """KPIs broken down by customer segment or region: slice, kpi_id, value, n."""
    if dimension not in ("segment", "region"):
        raise ValueError(f"cannot break down by {dimension!r}; use segment or region")
    values = kpi_values(con, [period], filters, kpi_ids, slice_by=dimension)
    return values[["slice", "kpi_id", "value", "n"]].sort_values(["kpi_id", "slice"]).reset_index(drop=True)


def dimension_values(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The segments and regions customers have, for the filter bar."""
    out = {}
    for column in ("segment", "region"):
        rows = query_rows(con, f"SELECT DISTINCT {column} FROM customers WHERE {column} IS NOT NULL ORDER BY 1")
        out[column] = [r[0] for r in rows]
    return out


def check_filters(con: duckdb.DuckDBPyConnection, filters: Filters) -> None:
    """Raise UnknownValue for a touchpoint id that is not in the database."""
    known = {r[0] for r in query_rows(con, "SELECT touchpoint_id FROM touchpoints")}
    unknown = [t for t in filters.touchpoints if t not in known]
    if unknown:
        raise UnknownValue(
            f"unknown touchpoint {', '.join(unknown)}; known: {', '.join(sorted(known)) or 'none'}"
        )


__all__ = [
    "scorecard", "kpi_trend", "trends", "by_touchpoint", "by_dimension", "dimension_values", "cohort_retention", "kpi_values", "family_query",
    "targets", "target_for", "status", "touchpoints", "family_table", "data_span", "check_filters", "UnknownValue",
]
