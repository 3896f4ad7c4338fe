"""Judging a KPI value (KPI contract v2): targets and their scaling to the
period, coverage (is the period inside the data?), the small-sample rule,
the status colour, the words that go with it, and the 95% interval.

Every screen, the CLI, the pack and the exports take a value's status and
its words from here, so the colour never disagrees with the sentence."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date

import duckdb

from cxhub.db import EVENT_DATE_COLUMNS, query_rows
from cxhub.kpis.catalog import CATALOG, DAYS_PER_MONTH, KPI, MIN_SAMPLE
from cxhub.kpis.period import Filters, Period

# The source tables, in the catalog's order (a KPI's coverage is its source's).
SOURCES = tuple(dict.fromkeys(k.source for k in CATALOG))


# ---------------------------------------------------------------- targets

Target = tuple[float, float]  # (target, amber band)


def targets(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str | None], Target]:
    """(kpi_id, touchpoint_id or None) -> (target, amber band)."""
    rows = query_rows(con, "SELECT kpi_id, touchpoint_id, target, amber_band FROM kpi_targets")
    return {
        (k, tp or None): (float(t), float(b) if b is not None else 0.05 * abs(float(t)))
        for k, tp, t, b in rows
    }


def target_for(all_targets: dict, kpi_id: str, filters: Filters) -> Target | None:
    """The touchpoint's target when exactly one touchpoint is selected and it
    has one, else the company-wide target, else None."""
    if len(filters.touchpoints) == 1 and (kpi_id, filters.touchpoints[0]) in all_targets:
        return all_targets[(kpi_id, filters.touchpoints[0])]
    return all_targets.get((kpi_id, None))


def period_months(period: Period) -> float:
    """How many months a count target covers: m for m whole calendar months,
    else days / 30.4375 (both ends counted)."""
    return period.whole_months or period.days / DAYS_PER_MONTH


def scaled_target(k: KPI, target: Target | None, period: Period) -> Target | None:
    """A monthly count target (and its band) scaled to the period."""
    if target is None or not k.monthly_target:
        return target
    m = period_months(period)
    return target[0] * m, target[1] * m


# ---------------------------------------------------------------- coverage

@dataclass(frozen=True)
class Coverage:
    """Each source table's data range [data_from, data_through] (UTC dates,
    whole table, before filters); None for an empty table."""

    ranges: dict[str, tuple[date, date] | None]

    def data_from(self, source: str) -> date | None:
        r = self.ranges.get(source)
        return r[0] if r else None

    def data_through(self, source: str) -> date | None:
        r = self.ranges.get(source)
        return r[1] if r else None

    def complete(self, source: str, period: Period) -> bool:
        """data_from <= start and end <= data_through (an empty source covers nothing)."""
        r = self.ranges.get(source)
        return bool(r) and r[0] <= period.start and period.end <= r[1]


def coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    """The data range of every source table, in one round trip."""
    parts = [f"SELECT '{table}', min({EVENT_DATE_COLUMNS[table]})::DATE, max({EVENT_DATE_COLUMNS[table]})::DATE "
             f"FROM {table}" for table in SOURCES]
    rows = query_rows(con, " UNION ALL ".join(parts))
    return Coverage({table: (lo, hi) if lo is not None else None for table, lo, hi in rows})


def orders_present(con: duckdb.DuckDBPyConnection, periods: list[Period]) -> set[int]:
    """The indexes of the periods in which the orders table as a whole (before
    filters) has at least one order: retention and churn are null elsewhere.
    The days come from the customer_days rollup, which holds every day with
    an order (rebuilt with every load): a few hundred dates, not the orders."""
    if not periods:
        return set()
    days = [r[0] for r in query_rows(con, "SELECT DISTINCT d FROM customer_days ORDER BY d")]
    return {i for i, p in enumerate(periods) if bisect_right(days, p.end) > bisect_left(days, p.start)}


# ---------------------------------------------------------------- judging

def status(k: KPI, value: float | None, target: Target | None) -> str:
    """green on the better side of target (or equal), amber within the band on
    the worse side, red beyond; none without a target or a value."""
    if target is None or value is None or value != value:
        return "none"
    t, band = target
    shortfall = (t - value) if k.better == "higher" else (value - t)
    if shortfall <= 0:
        return "green"
    return "amber" if shortfall <= band else "red"


def is_small(k: KPI, n: float | None) -> bool:
    """The small-sample rule: 0 < n < 30, for the KPIs it applies to."""
    return bool(k.sample_rule and n and 0 < n < MIN_SAMPLE)


def judge(k: KPI, value: float | None, n: float | None, complete: bool, target: Target | None) -> str:
    """The status a value gets: none when partial or from too small a sample."""
    if not complete or is_small(k, n):
        return "none"
    return status(k, value, target)


# The words beside every status colour; `note` says why a value is not judged.
STATUS_WORDS = {"green": "On target", "amber": "Near target", "red": "Off target"}


def coverage_words(k: KPI, period: Period, cover: "Coverage") -> str:
    """Why a period is partial for a KPI: 'partial: orders through 2026-10-29'
    (or 'from …' when the data starts inside the period)."""
    source = k.source.replace("_", " ")
    lo, hi = cover.data_from(k.source), cover.data_through(k.source)
    if lo is None:
        return f"partial: no {source} loaded"
    if period.end > hi:
        return f"partial: {source} through {hi.isoformat()}"
    return f"partial: {source} from {lo.isoformat()}"


def status_words(k: KPI, value: float | None, status_: str, target: float | None, n: float | None,
                 complete: bool, partial: str) -> str:
    """What the screen says beside the colour. A judged status has its words;
    grey says why: no data, partial (`partial`: coverage_words), too few to
    judge, or no target."""
    if status_ in STATUS_WORDS:
        return STATUS_WORDS[status_]
    if value is None or value != value:
        return "No data"
    if not complete:
        return partial
    if is_small(k, n):
        return f"n = {int(n)}, too few to judge"
    if target is None or target != target:
        return "No target"
    return "Not judged"


# ---------------------------------------------------------------- intervals

Z95 = 1.96


def wilson(pct: float, n: float) -> tuple[float, float]:
    """The 95% Wilson score interval of a share given in % of n."""
    p = pct / 100
    denom = 1 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / denom
    return 100 * (centre - half), 100 * (centre + half)


def interval(k: KPI, value: float | None, n: float | None, sd: float | None) -> tuple[float, float] | None:
    """The 95% interval the definition popover shows: Wilson for a share,
    mean ± 1.96·s/√n for a mean; None without data or a spread."""
    if value is None or value != value or not n:
        return None
    if k.interval == "wilson":
        return wilson(min(max(value, 0.0), 100.0), n)
    if k.interval == "mean" and sd is not None and sd == sd:
        half = Z95 * sd / math.sqrt(n)
        return value - half, value + half
    return None


__all__ = ["SOURCES", "Coverage", "coverage", "orders_present", "targets", "target_for", "scaled_target",
           "period_months", "status", "judge", "is_small", "status_words", "coverage_words", "STATUS_WORDS", "wilson", "interval"]
