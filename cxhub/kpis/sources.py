"""How KPI SQL is built: what each family reads (a fact table, or a rollup
that gives the same numbers), the filtered rows of a source for a span, and
the family query that computes every KPI of a family for several periods at
once. Pure SQL building: nothing here runs a query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from importlib import resources
from typing import Sequence

import pandas as pd

from cxhub.kpis.catalog import MIN_SAMPLE
from cxhub.kpis.period import Filters, Period

# What each family reads: its table, the column that dates a row, the columns
# it needs, whether segment and region reach it through its customer (or are
# its own columns, in a rollup), whether the touchpoints' kind is joined in,
# and the file that counts what the family's KPIs are made of from it. A
# family's KPIs are written once, in kpis/sql/<family>.sql, over those counts.
@dataclass(frozen=True)
class Source:
    table: str
    date_column: str
    columns: str
    customer_filters: bool = True
    customer_columns: bool = False  # segment and region are columns of the table
    touchpoint_kind: bool = False
    dated_by_timestamp: bool = True
    counts_file: str = ""  # kpis/sql/<counts_file>.sql: the counts its family's file turns into KPIs


SOURCES = {
    "orders": Source("orders", "ordered_at", "x.customer_id, x.amount", counts_file="orders_counts"),
    "surveys": Source("surveys", "responded_at", "x.touchpoint_id, x.nps, x.csat, x.ces", counts_file="surveys_counts"),
    "interactions": Source(
        "interactions", "occurred_at",
        "x.customer_id, x.occurred_at, x.resolved, tp.kind, "
        "x.customer_id IN (SELECT customer_id FROM customers) AS known",
        touchpoint_kind=True, counts_file="interactions_counts",
    ),
    # system_health has no customer: segment and region do not narrow it.
    "health": Source(
        "system_health", "day", "x.availability_pct, x.p95_latency_ms, x.incidents", customer_filters=False,
        dated_by_timestamp=False,
    ),
}

# The rollups (cxhub/rollups.py) that answer a family with the same numbers
# from far fewer rows; source_for says when each may be used.
CUSTOMER_DAYS = Source("customer_days", "d",
                         "x.customer_id, x.orders, x.amount, x.first_day, x.prev_day, x.next_day",
                         dated_by_timestamp=False, counts_file="customer_days_counts")
CUSTOMER_TOUCHPOINT_DAYS = Source("customer_touchpoint_days", "d", CUSTOMER_DAYS.columns,
                                    dated_by_timestamp=False, counts_file="customer_days_counts")
# The same counted per calendar month (with segment and region): whole-month periods only.
ORDER_MONTHS = Source("order_months", "month",
                      "x.buyers, x.single_order_buyers, x.revenue, x.revenue_squares, x.came_back",
                      customer_columns=True, dated_by_timestamp=False, counts_file="order_months_counts")
ORDER_TOUCHPOINT_MONTHS = Source("order_touchpoint_months", "month", ORDER_MONTHS.columns,
                                 customer_columns=True, dated_by_timestamp=False,
                                 counts_file="order_months_counts")
MONTHS_OF = {CUSTOMER_DAYS: ORDER_MONTHS, CUSTOMER_TOUCHPOINT_DAYS: ORDER_TOUCHPOINT_MONTHS}
SURVEY_DAYS = Source("survey_days", "d",
                     "x.touchpoint_id, x.n_nps, x.promoters, x.detractors, x.n_csat, x.satisfied, x.n_ces, "
                     "x.ces_sum, x.ces_squares", customer_columns=True, dated_by_timestamp=False,
                     counts_file="survey_days_counts")
INTERACTION_DAYS = Source("interaction_days", "d", "x.known, x.interactions, x.resolved_n, x.first_contact, tp.kind",
                            customer_columns=True, touchpoint_kind=True, dated_by_timestamp=False,
                            counts_file="interaction_days_counts")


def customer_days_for(filters: Filters, slice_by: str | None) -> Source | None:
    """Which customer-days rollup holds A(X) for these filters and slices:
    across touchpoints, or within one touchpoint; none for a union of several."""
    if slice_by == "touchpoint" or len(filters.touchpoints) == 1:
        return CUSTOMER_TOUCHPOINT_DAYS
    return None if filters.touchpoints else CUSTOMER_DAYS


def source_for(family: str, filters: Filters, slice_by: str | None, use_rollups: bool) -> Source:
    """The rollup when it gives the fact table's numbers, else the fact table.
    interaction_days and survey_days keep every dimension a filter or slice needs."""
    rollup = None
    if use_rollups and family == "interactions":
        rollup = INTERACTION_DAYS
    elif use_rollups and family == "surveys":
        rollup = SURVEY_DAYS
    elif use_rollups and family == "orders":
        rollup = customer_days_for(filters, slice_by)
    return rollup or SOURCES[family]


COMPANY = "all"  # the slice that is the whole (filtered) company


@cache
def family_sql(family: str) -> str:
    return resources.files("cxhub.kpis.sql").joinpath(f"{family}.sql").read_text(encoding="utf-8")


SLICES = ("touchpoint", "segment", "region")


def filtered_rows(source: Source, filters: Filters, span: Period, slice_by: str | None) -> tuple[str, list]:
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
PRELUDE = """periods(pid, p_start, p_end, prev_start, prev_end) AS ({periods}),
period_days AS (
    SELECT pid, CAST(t AS DATE) AS d FROM (
        SELECT pid, unnest(generate_series(p_start, p_end, INTERVAL 1 DAY)) AS t FROM periods)
),
previous_days AS (
    SELECT pid, CAST(t AS DATE) AS d FROM (
        SELECT pid, unnest(generate_series(prev_start, prev_end, INTERVAL 1 DAY)) AS t FROM periods)
),
filtered AS ({filtered})"""


def periods_values(periods: Sequence[Period]) -> tuple[str, list]:
    rows, params = [], []
    for pid, p in enumerate(periods):
        prev = p.previous()
        rows.append(f"({pid}, CAST(? AS DATE), CAST(? AS DATE), CAST(? AS DATE), CAST(? AS DATE))")
        params += [p.start, p.end, prev.start, prev.end]
    return "VALUES " + ", ".join(rows), params


def family_query(family: str, periods: Sequence[Period], filters: Filters, slice_by: str | None = None,
                 use_rollups: bool = True) -> tuple[str, list]:
    """The SQL and bound parameters that compute one KPI family: one row per
    (pid, slice), with a column per KPI and `<kpi>__n` sample sizes. It reads
    a rollup where one gives the same numbers (use_rollups=False: never)."""
    if slice_by not in (None, *SLICES):
        raise ValueError(f"cannot slice by {slice_by!r}; use one of {', '.join(SLICES)}")
    source = source_for(family, filters, slice_by, use_rollups)
    if source in MONTHS_OF and all(p.whole_months == 1 for p in periods):
        source = MONTHS_OF[source]
    # Retention needs each period's previous period too.
    span = Period(min(p.previous().start for p in periods), max(p.end for p in periods))
    periods_sql, periods_params = periods_values(periods)
    filtered_sql, filtered_params = filtered_rows(source, filters, span, slice_by)
    # The family's KPIs, over the counts its source gives.
    template = family_sql(family)
    if source.counts_file:
        template = template.replace("{counts}", family_sql(source.counts_file))
    sql = template.format(prelude=PRELUDE.format(periods=periods_sql, filtered=filtered_sql), min_sample=MIN_SAMPLE)
    return sql, periods_params + filtered_params
