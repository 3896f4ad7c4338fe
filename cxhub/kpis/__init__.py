"""KPIs: the catalog (what each KPI means) and the engine (how it is computed)."""

from cxhub.kpis.catalog import CATALOG, GROUPS, KPIS, KPI, MIN_SAMPLE, kpi
from cxhub.kpis.engine import (
    UnknownValue,
    breakdown,
    by_touchpoint,
    check_filters,
    cohort_retention,
    data_span,
    kpi_trend,
    kpi_values,
    scorecard,
    scorecards,
    touchpoints,
)
from cxhub.kpis.period import GRAINS, Filters, Period, preset_period

__all__ = [
    "CATALOG", "GROUPS", "KPIS", "KPI", "MIN_SAMPLE", "kpi", "UnknownValue", "breakdown", "by_touchpoint", "scorecards",
    "check_filters", "cohort_retention", "data_span", "kpi_trend", "kpi_values", "scorecard",
    "touchpoints", "GRAINS", "Filters", "Period", "preset_period",
]
