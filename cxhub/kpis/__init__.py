"""KPIs: the catalog (what each KPI means) and the engine (how it is computed)."""

from cxhub.kpis.catalog import CATALOG, GROUPS, KPIS, KPI, MIN_RESPONSES, kpi
from cxhub.kpis.engine import (
    UnknownValue,
    by_touchpoint,
    check_filters,
    cohort_retention,
    data_span,
    kpi_trend,
    kpi_values,
    scorecard,
    status,
    touchpoints,
)
from cxhub.kpis.period import GRAINS, Filters, Period, preset_period

__all__ = [
    "CATALOG", "GROUPS", "KPIS", "KPI", "MIN_RESPONSES", "kpi", "UnknownValue", "by_touchpoint",
    "check_filters", "cohort_retention", "data_span", "kpi_trend", "kpi_values", "scorecard", "status",
    "touchpoints", "GRAINS", "Filters", "Period", "preset_period",
]
