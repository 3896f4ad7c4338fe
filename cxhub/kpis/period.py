"""Periods and filters, exactly as the KPI contract defines them."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

GRAINS = ("week", "month", "quarter")


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, months: int) -> date:
    """The first day of the month `months` after d's month."""
    index = d.year * 12 + (d.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A closed date range [start, end]: both days included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def whole_months(self) -> int | None:
        """How many calendar months the period spans, when it is whole months."""
        if self.start.day != 1 or self.end != month_end(self.end):
            return None
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> "Period":
        """The period before: as many whole months when the period is whole
        months (April -> March, Q2 -> Q1), else as many days."""
        months = self.whole_months
        if months:
            start = add_months(self.start, -months)
            return Period(start, self.start - timedelta(days=1))
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def buckets(self, grain: str) -> list["Period"]:
        """The period cut at week (Monday), month or quarter boundaries; the
        first and last bucket are clipped to the period."""
        if grain not in GRAINS:
            raise ValueError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")
        out = []
        cursor = self.start
        while cursor <= self.end:
            if grain == "week":
                nxt = cursor - timedelta(days=cursor.weekday()) + timedelta(days=7)
            elif grain == "month":
                nxt = add_months(cursor, 1)
            else:
                nxt = add_months(cursor.replace(day=1), 3 - (cursor.month - 1) % 3)
            out.append(Period(cursor, min(nxt - timedelta(days=1), self.end)))
            cursor = nxt
        return out

    def label(self) -> str:
        months = self.whole_months
        if months == 1:
            return self.start.strftime("%b %Y")
        if months == 3 and self.start.month in (1, 4, 7, 10):
            return f"Q{(self.start.month - 1) // 3 + 1} {self.start.year}"
        if months == 12 and self.start.month == 1:
            return str(self.start.year)
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"

    @classmethod
    def parse(cls, start: str, end: str) -> "Period":
        return cls(date.fromisoformat(start), date.fromisoformat(end))


# Presets the filter bar offers, relative to the last day with data.
PRESETS = ("last_full_month", "last_quarter", "year_to_date", "last_12_months")
PRESET_LABELS = {
    "last_full_month": "Last full month",
    "last_quarter": "Last full quarter",
    "year_to_date": "Year to date",
    "last_12_months": "Last 12 months",
    "custom": "Custom range",
}


def preset_period(preset: str, today: date) -> Period:
    """A preset period as of `today` (use the day after the data ends, so a
    database loaded to 31 October shows October as the last full month)."""
    first_this_month = today.replace(day=1)
    if preset == "last_full_month":
        start = add_months(first_this_month, -1)
        return Period(start, first_this_month - timedelta(days=1))
    if preset == "last_quarter":
        quarter_start = add_months(first_this_month, -((today.month - 1) % 3))
        start = add_months(quarter_start, -3)
        return Period(start, quarter_start - timedelta(days=1))
    if preset == "year_to_date":
        end = today - timedelta(days=1)
        return Period(date(end.year, 1, 1), end)
    if preset == "last_12_months":
        return Period(add_months(first_this_month, -12), first_this_month - timedelta(days=1))
    raise ValueError(f"unknown period preset {preset!r}")


@dataclass(frozen=True)
class Filters:
    """Narrow every fact table's rows; several values of one filter match any."""

    touchpoints: tuple[str, ...] = field(default=())
    segments: tuple[str, ...] = field(default=())
    regions: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("touchpoints", "segments", "regions"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(sorted(set(value or ()))))

    @property
    def by_customer(self) -> bool:
        return bool(self.segments or self.regions)

    def with_touchpoint(self, touchpoint_id: str) -> "Filters":
        return Filters((touchpoint_id,), self.segments, self.regions)

    def as_dict(self) -> dict[str, list[str]]:
        return {"touchpoint": list(self.touchpoints), "segment": list(self.segments), "region": list(self.regions)}


# How far back a trend chart looks, whatever the period: enough buckets to
# see a trend even when the period is one month.
TREND_BUCKETS = {"week": 13, "month": 12, "quarter": 8}


def trend_window(period: Period, grain: str) -> Period:
    """The period a trend chart shows: the selected period, extended back to
    at least a year of months (13 weeks, 8 quarters) ending with it."""
    n = TREND_BUCKETS[grain]
    if grain == "week":
        start = period.end - timedelta(days=7 * n - 1)
        start -= timedelta(days=start.weekday())
    elif grain == "month":
        start = add_months(period.end.replace(day=1), -(n - 1))
    else:
        q = add_months(period.end.replace(day=1), -((period.end.month - 1) % 3))
        start = add_months(q, -3 * (n - 1))
    return Period(min(start, period.start), period.end)
