"""Drill-down queries behind the touchpoint and channel pages: IT events,
contact volumes, weak intents, detractor verbatims, channel switching, and
the "what changed" sentences. Same filters as the KPIs; small frames out."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pandas as pd

from cxhub.db import query_df
from cxhub.kpis.catalog import KPIS
from cxhub.kpis.sources import Source, filtered_rows
from cxhub.kpis.period import Filters, Period

# Days that count as an IT event on CX charts.
LOW_AVAILABILITY = 99.0
# ... and on company-wide charts, where every touchpoint's blips add up.
SEVERE_AVAILABILITY = 98.0


def health_events(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters(),
                  severe_only: bool = False) -> pd.DataFrame:
    """Touchpoint-days with an incident or availability below 99%: day,
    touchpoint, incidents, availability_pct, reason (a hover text). With
    severe_only (company-wide charts), only days under 98% availability or
    with several incidents, so the chart is not striped by every blip."""
    source = Source("system_health", "day", "x.touchpoint_id, x.incidents, x.availability_pct",
                     customer_filters=False, dated_by_timestamp=False)
    sql, params = filtered_rows(source, filters, period, None)
    events = query_df(con, f"""
        SELECT f.d AS day, t.name AS touchpoint, f.incidents, f.availability_pct
        FROM ({sql}) f JOIN touchpoints t USING (touchpoint_id)
        WHERE f.incidents > {1 if severe_only else 0}
           OR f.availability_pct < {SEVERE_AVAILABILITY if severe_only else LOW_AVAILABILITY}
        ORDER BY day, touchpoint
    """, params)
    available = KPIS["availability"]
    return events.assign(reason=[
        f"{pd.Timestamp(d):%Y-%m-%d} · {tp}: {KPIS['incidents'].format(n)} incident(s), {available.format(a)} available"
        for d, tp, n, a in zip(events["day"], events["touchpoint"], events["incidents"], events["availability_pct"])])


def volume(con: duckdb.DuckDBPyConnection, period: Period, grain: str, filters: Filters = Filters()) -> pd.DataFrame:
    """Contacts and survey answers per bucket: bucket_start, contacts, responses."""
    buckets = period.buckets(grain)
    spec = "VALUES " + ", ".join("(CAST(? AS DATE), CAST(? AS DATE))" for _ in buckets)
    bparams = [d for b in buckets for d in (b.start, b.end)]
    # Contacts are counted from the interaction_days rollup (same filters, far fewer rows).
    contacts = Source("interaction_days", "d", "x.interactions", customer_columns=True, dated_by_timestamp=False)
    inter_sql, inter_params = filtered_rows(contacts, filters, period, None)
    surv_sql, surv_params = filtered_rows(Source("surveys", "responded_at", "x.response_id"), filters, period, None)
    return query_df(con, f"""
        WITH b(bucket_start, bucket_end) AS ({spec}),
        i AS (SELECT b.bucket_start, sum(f.interactions)::BIGINT AS contacts FROM b JOIN ({inter_sql}) f
              ON f.d BETWEEN b.bucket_start AND b.bucket_end GROUP BY ALL),
        s AS (SELECT b.bucket_start, count(*) AS responses FROM b JOIN ({surv_sql}) f
              ON f.d BETWEEN b.bucket_start AND b.bucket_end GROUP BY ALL)
        SELECT b.bucket_start, coalesce(i.contacts, 0) AS contacts, coalesce(s.responses, 0) AS responses
        FROM b LEFT JOIN i USING (bucket_start) LEFT JOIN s USING (bucket_start)
        ORDER BY b.bucket_start
    """, bparams + inter_params + surv_params)


def intent_resolution(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters(),
                      limit: int = 8) -> pd.DataFrame:
    """Intents with the lowest resolution: intent, contacts, resolved_pct
    (over contacts with a resolution flag), avg_handle_seconds."""
    source = Source("interactions", "occurred_at", "x.intent, x.resolved, x.handle_seconds")
    sql, params = filtered_rows(source, filters, period, None)
    return query_df(con, f"""
        SELECT coalesce(intent, '(none)') AS intent, count(*) AS contacts,
            100.0 * count_if(resolved) / nullif(count(resolved), 0) AS resolved_pct,
            avg(handle_seconds) AS avg_handle_seconds
        FROM ({sql}) f
        GROUP BY ALL
        HAVING count(resolved) > 0
        ORDER BY resolved_pct ASC, contacts DESC, intent  -- ties: one order on every engine and run
        LIMIT {int(limit)}
    """, params)


def detractor_comments(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters(),
                       search: str | None = None, limit: int = 50) -> pd.DataFrame:
    """Recent verbatims from detractors (NPS 0-6, or CSAT 1-2 when NPS is not
    asked), newest first. No customer identifier leaves this function."""
    source = Source("surveys", "responded_at",
                    "x.touchpoint_id, x.responded_at, x.nps, x.csat, x.comment, x.response_id")
    sql, params = filtered_rows(source, filters, period, None)
    where = "comment IS NOT NULL AND (nps <= 6 OR (nps IS NULL AND csat <= 2))"
    if search:
        where += " AND comment ILIKE ?"
        params = params + [f"%{search}%"]
    return query_df(con, f"""
        SELECT f.responded_at, t.name AS touchpoint, f.nps, f.csat, f.comment
        FROM ({sql}) f JOIN touchpoints t USING (touchpoint_id)
        WHERE {where}
        ORDER BY f.responded_at DESC, f.response_id  -- the same 50 when answers share a second
        LIMIT {int(limit)}
    """, params)


def channel_switching(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """The cost of inconsistency: unresolved contacts in the period (after
    filters) whose customer used another touchpoint within the next 7 days,
    counted per (from, to) pair: from_id, from_touchpoint, to_id,
    to_touchpoint, contacts, customers, unresolved (all unresolved contacts
    from that touchpoint), share (% of them)."""
    source = Source("interactions", "occurred_at", "x.customer_id, x.touchpoint_id, x.occurred_at, x.resolved")
    sql, params = filtered_rows(source, filters, period, None)
    return query_df(con, f"""
        WITH unresolved AS (
            SELECT customer_id, touchpoint_id, occurred_at FROM ({sql}) f
            WHERE resolved = false AND customer_id IS NOT NULL
        ),
        totals AS (SELECT touchpoint_id, count(*) AS unresolved FROM unresolved GROUP BY ALL),
        later AS (  -- only contacts that can follow one in the period: the join reads a month, not years
            SELECT customer_id, touchpoint_id, occurred_at FROM interactions
            WHERE occurred_at >= ? AND occurred_at < ? AND customer_id IS NOT NULL
        ),
        moves AS (
            SELECT DISTINCT u.customer_id, u.touchpoint_id AS from_id, u.occurred_at, i.touchpoint_id AS to_id
            FROM unresolved u JOIN later i
              ON i.customer_id = u.customer_id
             AND i.occurred_at > u.occurred_at AND i.occurred_at <= u.occurred_at + INTERVAL 7 DAY
             AND i.touchpoint_id <> u.touchpoint_id
        )
        SELECT m.from_id, tf.name AS from_touchpoint, m.to_id, tt.name AS to_touchpoint,
            count(*) AS contacts, count(DISTINCT m.customer_id) AS customers, t.unresolved,
            100.0 * count(*) / t.unresolved AS share
        FROM moves m
        JOIN totals t ON t.touchpoint_id = m.from_id
        JOIN touchpoints tf ON tf.touchpoint_id = m.from_id
        JOIN touchpoints tt ON tt.touchpoint_id = m.to_id
        GROUP BY m.from_id, tf.name, m.to_id, tt.name, t.unresolved
        ORDER BY contacts DESC, m.from_id, m.to_id  -- ties in one order, on every engine and every run
    """, params + [pd.Timestamp(period.start), pd.Timestamp(period.end + timedelta(days=8))])


# Relative moves of counts, money and milliseconds rank as at most this many points.
RELATIVE_CAP = 40.0


def _magnitude(kpi_id: str, delta: float, previous: float) -> float:
    """How big a move is: points for percentages and scores out of 100, a
    capped relative change (in %) for counts, money and milliseconds."""
    k = KPIS[kpi_id]
    if k.fmt in ("pct", "points"):
        return abs(delta)
    if k.fmt == "score":
        return abs(delta) / 6 * 100  # a 1..7 scale: one step is ~17 points
    if k.fmt == "count" and abs(delta) < 3:
        return 0.0  # 1 -> 2 incidents is noise, not news
    return min(RELATIVE_CAP, abs(delta) / abs(previous) * 100) if previous else RELATIVE_CAP


def biggest_moves(company: pd.DataFrame, per_touchpoint: pd.DataFrame, period: Period,
                  limit: int = 5) -> pd.DataFrame:
    """The KPIs that moved most against the previous period, company-wide
    (a scorecard() frame) and per touchpoint (a by_touchpoint() frame), in
    plain words: scope, touchpoint_id, kpi_id, value, previous, change,
    better (bool), magnitude, sentence. Only changes the engine calls
    comparable count (both periods complete, neither from fewer than 30);
    a survey KPI's move must also exceed half its 95% interval."""
    prev_label = period.previous().label()
    rows = [("Company", None, r) for r in company.to_dict("records")]
    rows += [(r["touchpoint"], r["touchpoint_id"], {**r, "id": r["kpi_id"]}) for r in per_touchpoint.to_dict("records")]
    out = []
    for scope, tp_id, r in rows:
        k = KPIS[r["id"]]
        delta, value, previous = r["change"], r["value"], r["previous"]
        if delta is None or pd.isna(delta) or k.is_no_change(delta):
            continue  # not comparable, or no move at the precision shown
        if k.id == "churn_rate":  # the mirror of retention: say it once
            continue
        if tp_id and not k.per_touchpoint:  # meaningless for one touchpoint
            continue
        low, high = r.get("interval_low"), r.get("interval_high")
        if k.family == "surveys" and low is not None and not pd.isna(low) and abs(delta) < (high - low) / 2:
            continue  # within the survey's margin of error
        verb = "rose" if delta > 0 else "fell"
        who = "" if scope == "Company" else f"{scope} "
        sentence = (f"{who}{k.name} {verb} {k.format_change(delta).lstrip('+-')} since {prev_label} "
                    f"(now {k.format(value)})")
        out.append({"scope": scope, "touchpoint_id": tp_id, "kpi_id": k.id, "value": value,
                    "previous": previous, "change": delta, "better": k.is_improvement(delta),
                    "magnitude": _magnitude(k.id, delta, previous), "sentence": sentence})
    frame = pd.DataFrame(out, columns=["scope", "touchpoint_id", "kpi_id", "value", "previous", "change", "better",
                                       "magnitude", "sentence"])
    return frame.sort_values("magnitude", ascending=False).head(limit).reset_index(drop=True)
