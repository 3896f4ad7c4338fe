"""The one filter bar (sidebar): period, grain, segment, region.

The filters live in the URL, so a pasted link reproduces the exact view. The
widgets are drawn once by app.py for every page; a link that arrives with
filter parameters (a drill-down, a link from a meeting invite) overrides the
session's values, and every run writes the current values back to the URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from cxhub.contract import EARLIEST_DATE
from cxhub.kpis.period import GRAINS, PRESET_LABELS, PRESETS, Filters, Period, preset_period, trend_window
from cxhub.kpis.status import SOURCES
from cxhub.ui import gateway

LIST_KEYS = ("segment", "region")
SCALAR_KEYS = ("period", "start", "end", "grain")


@dataclass(frozen=True)
class View:
    """What the filter bar selected."""

    preset: str
    period: Period
    grain: str
    filters: Filters

    def params(self) -> dict:
        """Query parameters that reproduce this view (for links)."""
        out = {"period": self.preset, "grain": self.grain}
        if self.preset == "custom":
            out["start"], out["end"] = self.period.start.isoformat(), self.period.end.isoformat()
        if self.filters.segments:
            out["segment"] = list(self.filters.segments)
        if self.filters.regions:
            out["region"] = list(self.filters.regions)
        return out

    @property
    def window(self) -> Period:
        """What trend charts show: the period, with at least a year of context."""
        return trend_window(self.period, self.grain)

    def for_touchpoint(self, touchpoint_id: str) -> "View":
        return View(self.preset, self.period, self.grain, self.filters.with_touchpoint(touchpoint_id))


def _url_state() -> dict:
    qp = st.query_params
    out = {k: qp.get(k) for k in SCALAR_KEYS if qp.get(k)}
    out.update({k: qp.get_all(k) for k in LIST_KEYS if qp.get_all(k)})
    return out


def date_bounds(today: date) -> tuple[date, date]:
    """The dates a link or the date picker may name: from the contract's
    earliest plausible day to a year after the data."""
    return EARLIEST_DATE, today + timedelta(days=366)


def parse_url_date(text, today: date) -> date | None:
    """A YYYY-MM-DD date within date_bounds, else None."""
    try:
        day = date.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
    low, high = date_bounds(today)
    return day if low <= day <= high else None


def _apply_url(url: dict, options: dict[str, list[str]], today: date) -> list[str]:
    """Copy filter values that arrived in the URL into the widgets' state;
    return what was ignored (a bad value keeps the default, never raises)."""
    ss = st.session_state
    ignored = []
    if url.get("period") in PRESETS or url.get("period") == "custom":
        ss["f_period"] = url["period"]
    elif "period" in url:
        ignored.append(f"period={url['period']}")
    if url.get("grain") in GRAINS:
        ss["f_grain"] = url["grain"]
    elif "grain" in url:
        ignored.append(f"grain={url['grain']}")
    default = preset_period("last_full_month", today)
    if "start" in url or "end" in url:
        start, end = parse_url_date(url.get("start"), today), parse_url_date(url.get("end"), today)
        ignored += [f"{k}={url[k]}" for k, v in (("start", start), ("end", end)) if k in url and v is None]
        start, end = start or default.start, end or default.end
        ss["f_range"] = (start, end) if end >= start else (end, start)
    if any(k in url for k in SCALAR_KEYS + LIST_KEYS):
        for key in LIST_KEYS:
            ss[f"f_{key}"] = [v for v in url.get(key, []) if v in options.get(key, [])]
            ignored += [f"{key}={v}" for v in url.get(key, []) if v not in options.get(key, [])]
    return ignored


def _data_ranges(cover, period: Period) -> None:
    """Each source's data range, so a user sees before choosing that a month
    is not fully loaded, and which sources the chosen period runs past."""
    lines, short = [], []
    for table in SOURCES:
        name = table.replace("_", " ")
        lo, hi = cover.data_from(table), cover.data_through(table)
        lines.append(f"{name}: {lo} to {hi}" if lo else f"{name}: none loaded")
        if not cover.complete(table, period):
            short.append(name)
    st.caption("Data loaded — " + " · ".join(lines))
    if short:
        st.caption(f":orange[Partial for this period: {', '.join(short)}.] Their KPIs are shown grey and not judged.")


def filter_bar() -> View:
    """Draw the filter bar in the sidebar and return the selected view."""
    today = gateway.data_end() + timedelta(days=1)
    options = gateway.query("dimension_values")
    url = _url_state()
    ignored = []
    if url and url != st.session_state.get("_f_written"):
        ignored = _apply_url(url, options, today)

    ss = st.session_state
    ss.setdefault("f_period", "last_full_month")
    ss.setdefault("f_grain", "month")
    ss.setdefault("f_range", (preset_period("last_full_month", today).start, today - timedelta(days=1)))
    with st.sidebar:
        st.header("Filters")
        if ignored:
            low, high = date_bounds(today)
            st.warning(f"Ignored from the link: {', '.join(ignored)} (dates {low} to {high}, known values only); "
                       "the default is shown.", icon=":material/link_off:")
        preset = st.selectbox(
            "Period", [*PRESETS, "custom"], key="f_period", format_func=PRESET_LABELS.get,
            help="Presets count back from the last day with data. The comparison is always the period before.",
        )
        if preset == "custom":
            low, high = date_bounds(today)
            picked = st.date_input("Date range", key="f_range", format="YYYY-MM-DD", min_value=low, max_value=high)
            start, end = (picked + (picked[0],))[:2] if isinstance(picked, tuple) and picked else (today, today)
            period = Period(start, end)
        else:
            period = preset_period(preset, today)
        st.caption(f"{period.label()} · compared with {period.previous().label()}")
        _data_ranges(gateway.query("coverage"), period)
        grain = st.selectbox("Trend grain", GRAINS, key="f_grain", format_func=str.capitalize)
        segments = st.multiselect("Segment", options.get("segment", []), key="f_segment",
                                  placeholder="All segments")
        regions = st.multiselect("Region", options.get("region", []), key="f_region", placeholder="All regions")

    view = View(preset, period, grain, Filters((), tuple(segments), tuple(regions)))
    written = {k: v for k, v in view.params().items()}
    if _url_state() != written:
        # The page's own parameters (a KPI, a meeting date) stay in the link.
        others = {k: st.query_params.get_all(k) for k in st.query_params if k not in SCALAR_KEYS + LIST_KEYS}
        st.query_params.from_dict({**others, **written})
    ss["_f_written"] = written
    return view
