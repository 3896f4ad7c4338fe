"""What every page shares: the connection on start, the filter bar, the
demo badge and freshness in the sidebar."""

from __future__ import annotations

import streamlit as st

from cxhub.ui import gateway
from cxhub.ui.filter_bar import View, filter_bar
from cxhub.kpis.catalog import KPIS
from cxhub.plaintext import md
from cxhub.ui.kpi_tile import freshness_text

# Pages about the data itself, and the joint-work pages (which choose
# their own dates), take no filters.
UNFILTERED = ("data", "glossary", "priorities", "meeting")


def start():
    """Open the database (building the demo company on a first start), or
    the Spark engine the app is told to use, and read how money is shown.
    An engine that cannot be reached stops the app with the reason."""
    try:
        con = gateway.connection()
    except gateway.EngineUnavailable as exc:
        st.error(f"CX Hub cannot reach its data: {exc}", icon=":material/error:")
        st.stop()
    gateway.apply_display()
    return con


# Laid out for a 1280×720 projector first: less empty space above the title,
# a smaller title, tile values that fit five to a row.
PAGE_CSS = """<style>
header[data-testid="stHeader"] { height: 2.6rem; }
[data-testid="stMainBlockContainer"] { padding: 3.1rem 2.5rem 2rem 2.5rem; }
[data-testid="stMainBlockContainer"] > div > [data-testid="stVerticalBlock"] { gap: 0.7rem; }
section[data-testid="stSidebar"] { width: 250px !important; min-width: 250px !important; }
h1 { font-size: 1.9rem !important; padding: 0.6rem 0 0.1rem 0 !important; }
[data-testid="stMetricValue"] { font-size: 1.6rem; }
[data-testid="stMetricLabel"] p { font-size: 0.95rem; }
h5 { padding: 0.35rem 0 0 0 !important; }
</style>"""


def page_header(page) -> None:
    """Draw the sidebar for the selected page before it runs."""
    st.html(PAGE_CSS)
    st.session_state["_page"] = page.url_path
    if page.url_path not in UNFILTERED:
        st.session_state["_view"] = filter_bar()
    with st.sidebar:
        if gateway.is_demo():
            st.badge("Demo data", icon=":material/science:", color="orange",
                     help="A generated demo company. Import your own data to replace it (see Data & freshness).")
        if gateway.on_spark():
            st.caption(md(gateway.engine().label()),
                       help="Every number is computed by Spark from the lake with the same definitions as on "
                            "the DuckDB file; the rollups are built on Spark when the lake changes, and pages "
                            "receive only small frames.")


def heading(title: str, view: View | None = None, extra: str = "") -> None:
    """A page's title and, under it, the line a room reads before any chart:
    the period and its comparison, every active filter, and (once per page)
    how fresh the data is. Filter values come from data: shown as text."""
    st.title(md(title))
    parts = [md(part) for part in scope(view)] if view is not None else []
    if extra:
        parts.append(extra)
    parts.append(freshness_text(gateway.query("freshness")))
    st.caption(" · ".join(parts))


def scope(view: View, over_time: bool = False) -> list[str]:
    """What a view shows, in words: the period and its comparison (or, for a
    chart over time, its window), and every filter (as plain text: segment
    and region names come from data)."""
    return [view.window.label() if over_time else f"{view.period.label()} vs {view.period.previous().label()}",
            ", ".join(view.filters.segments) if view.filters.segments else "all segments",
            ", ".join(view.filters.regions) if view.filters.regions else "all regions"]


def plot(fig, key: str, view: View | None = None, about: str = "", over_time: bool = False, **options):
    """A chart on the page, stamped with its scope (and `about`, e.g. the
    touchpoint): the picture the chart's camera button saves carries it."""
    from cxhub import charts

    if view is not None:
        charts.stamp(fig, " · ".join(([about] if about else []) + scope(view, over_time)))
    return st.plotly_chart(fig, key=key, **options)


def kpi_link(view: View, kpi_id: str) -> tuple:
    """(page, query parameters) of the KPI in depth for this view: a tile's title."""
    return page("kpi"), {**view.params(), "kpi": kpi_id}


def current_view() -> View:
    """The view the filter bar selected for this run."""
    return st.session_state["_view"]


def trend_against_target(view: View, kpi_id: str, key: str) -> None:
    """One KPI over the view's trend window against its target, with the IT
    events that may explain a dip (or, with no data, says so)."""
    from cxhub import charts  # plotting loads with the first chart

    trend = gateway.query("kpi_trend", view.window, view.filters, kpi_id=kpi_id, grain=view.grain)
    events = gateway.query("health_events", view.window, view.filters)
    if trend["value"].isna().all():
        no_data(f"{KPIS[kpi_id].name} in {view.window.label()}")
    else:
        plot(charts.trend_chart(trend, kpi_id, events), key, view, over_time=True)


def no_data(what: str) -> None:
    st.info(f"No data for {what}. Try a longer period or fewer filters.", icon=":material/info:")


_TOUCHPOINT_PAGES: dict = {}
# Touchpoint pages live under this prefix: a touchpoint id is a slug of
# a-z, 0-9 and _, so "touchpoint-<id>" never collides with the app's own
# pages (overview, data, glossary, ...), whatever the id.
TOUCHPOINT_PREFIX = "touchpoint-"


def touchpoint_address(touchpoint_id: str) -> str:
    """The URL path of a touchpoint's page."""
    return TOUCHPOINT_PREFIX + touchpoint_id


def touchpoint_pages(make_page) -> list:
    """One page per row of the touchpoints table (make_page(row) -> st.Page);
    remembered so links and drill-downs can reach them."""
    tps = gateway.query("touchpoints")
    _TOUCHPOINT_PAGES.clear()
    for row in tps.itertuples(index=False):
        _TOUCHPOINT_PAGES[row.touchpoint_id] = make_page(row)
    return list(_TOUCHPOINT_PAGES.values())


def current_touchpoint() -> str:
    """The touchpoint whose page is running (from its address)."""
    return st.session_state["_page"].removeprefix(TOUCHPOINT_PREFIX)


def open_touchpoint(touchpoint_id: str, view: View) -> None:
    """Switch to a touchpoint's page keeping the view: the next page's filter
    bar takes the view from the link (widget state does not survive a page
    switch made by the app)."""
    st.session_state.pop("_f_written", None)
    st.switch_page(touchpoint_page(touchpoint_id), query_params=view.params())


def touchpoint_page(touchpoint_id: str):
    return _TOUCHPOINT_PAGES[touchpoint_id]


_PAGES: dict = {}


def register(sections: dict) -> None:
    """Remember every page by its URL path, for links between pages."""
    _PAGES.clear()
    for pages in sections.values():
        for page in pages:
            _PAGES[page.url_path or "overview"] = page  # the default page answers at /, not /overview


def page(url_path: str):
    return _PAGES[url_path]
