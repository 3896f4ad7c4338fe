"""The named queries: every small frame a page shows, by name.

A page asks for a query by its name with a Period and Filters (hashable
values, passed whole) and a few plain parameters; it gets a small frame.
The UI caches each answer on the data version (cxhub/ui/gateway.query);
the CLI, the pack and the tests can call `run` directly. Adding a page
section is one entry here, in the spirit of Evidence's named queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import duckdb

from cxhub import db, ingest
from cxhub.kpis import details, engine, review, status
from cxhub.kpis.period import Filters, Period


@dataclass(frozen=True)
class Query:
    name: str
    description: str
    fn: Callable  # fn(con, period, filters, **params) -> a small frame (or value)


def _health_events(con, period, filters):
    # Without a touchpoint filter the chart is company-wide: mark the severe days only.
    return details.health_events(con, period, filters, severe_only=not filters.touchpoints)


QUERIES: dict[str, Query] = {q.name: q for q in (
    Query("scorecard", "every KPI, judged, with its previous period and 95% interval",
          lambda con, period, filters: engine.scorecard(con, period, filters)),
    Query("by_touchpoint", "KPIs for each touchpoint, each as if it alone were selected",
          lambda con, period, filters, kpi_ids=None: engine.by_touchpoint(con, kpi_ids, period, filters)),
    Query("by_dimension", "KPIs for each segment or region",
          lambda con, period, filters, kpi_ids, dimension: engine.by_dimension(con, kpi_ids, period, dimension,
                                                                               filters)),
    Query("trends", "KPIs per week, month or quarter (optionally per touchpoint)",
          lambda con, period, filters, kpi_ids, grain, slice_by=None:
          engine.trends(con, kpi_ids, period, grain, filters, slice_by)),
    Query("kpi_trend", "one KPI per week, month or quarter",
          lambda con, period, filters, kpi_id, grain: engine.kpi_trend(con, kpi_id, period, grain, filters)),
    Query("cohort_retention", "share of each month's new buyers who bought again k months later",
          lambda con, period, filters: engine.cohort_retention(con, period, filters)),
    Query("kpi_review", "the agenda's KPI part: red, newly red, back from red, biggest movers",
          lambda con, period, filters, then: review.kpi_review(con, period, then)),
    Query("health_events", "days with an IT incident or low availability", _health_events),
    Query("volume", "contacts and survey answers per bucket",
          lambda con, period, filters, grain: details.volume(con, period, grain, filters)),
    Query("intent_resolution", "the intents resolved least",
          lambda con, period, filters: details.intent_resolution(con, period, filters)),
    Query("detractor_comments", "recent verbatims from detractors",
          lambda con, period, filters, search=None: details.detractor_comments(con, period, filters, search)),
    Query("channel_switching", "unresolved contacts followed by another channel within 7 days",
          lambda con, period, filters: details.channel_switching(con, period, filters)),
    Query("data_span", "first and last day with any event", lambda con, period, filters: engine.data_span(con)),
    Query("touchpoints", "the touchpoints table", lambda con, period, filters: engine.touchpoints(con)),
    Query("dimension_values", "the segments and regions customers have",
          lambda con, period, filters: engine.dimension_values(con)),
    Query("coverage", "each source table's data range", lambda con, period, filters: status.coverage(con)),
    Query("freshness", "what is loaded, to when, and when it was loaded",
          lambda con, period, filters: db.freshness(con)),
    Query("import_history", "the import log, newest first", lambda con, period, filters: ingest.history(con)),
    Query("rejected_rows", "rejected rows with their reasons, newest import first",
          lambda con, period, filters: ingest.rejects(con)),
)}


def run(con: duckdb.DuckDBPyConnection, name: str, period: Period | None = None, filters: Filters = Filters(),
        **params):
    """Answer the named query."""
    try:
        query = QUERIES[name]
    except KeyError:
        raise KeyError(f"unknown query {name!r}; known: {', '.join(QUERIES)}") from None
    return query.fn(con, period, filters, **params)
