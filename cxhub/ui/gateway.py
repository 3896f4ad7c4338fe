"""What the pages read and write through: the app's one read-only
connection — the DuckDB file (the demo on first start) or, when the app is
told to compute on Spark, a Spark session over the company's lake or
catalog — the one cached gateway to the named queries
(cxhub/kpis/queries.py), keyed on the Period, the Filters and the data
version, and the workspace store for joint work (read fresh, written in
milliseconds)."""

from __future__ import annotations

import functools
import os
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import streamlit as st

from cxhub import access, db, demo, exports, ingest, joint, settings, workspace
from cxhub.joint import agenda, progress
from cxhub.kpis import catalog, details, queries
from cxhub.kpis.catalog import KPIS
from cxhub.kpis.period import Filters, Period


class EngineUnavailable(RuntimeError):
    """The configured engine cannot be reached (Spark missing, lake gone)."""


@st.cache_resource(show_spinner=False, max_entries=4)
def _snapshot(path: str, version: tuple[int, int]):
    """A read-only connection to one version of the file (see db.open_snapshot)."""
    try:
        return db.open_snapshot(path)
    except db.SchemaOutdated:
        with db.writing(path):  # an older schema: upgrade a copy and swap it in
            pass
        return db.open_snapshot(path)


def db_path() -> str:
    return _resolved(str(db.resolve_db_path()))


@functools.lru_cache(maxsize=8)
def _resolved(path: str) -> str:
    """The path made absolute, links followed: asked on every query, worked
    out once (the file-system calls cost a new visitor 0.08 s)."""
    return str(Path(path).resolve())


def workspace_path() -> str:
    return str(workspace.path_for(db_path()))


def config_path() -> Path:
    """cxhub.toml beside the database."""
    return _config_path(db_path())


@functools.lru_cache(maxsize=8)
def _config_path(database: str) -> Path:
    return access.config_path(database)


def engine() -> settings.Engine:
    """Where the app computes: `cxhub serve --engine`, else [engine] in
    cxhub.toml beside the database, else the DuckDB file. Asked on every
    query: the file is read again only when it changes."""
    config = config_path()
    try:
        changed = config.stat().st_mtime_ns
    except FileNotFoundError:
        changed = None
    told = tuple(os.environ.get(var) for var in settings.ENGINE_ENV.values())
    return _engine(str(config), changed, told)


@functools.lru_cache(maxsize=8)
def _engine(config: str, changed: int | None, told: tuple) -> settings.Engine:
    try:
        return settings.app_engine(config)
    except settings.SettingsError as exc:
        raise EngineUnavailable(str(exc)) from None


def on_spark() -> bool:
    return engine().name == "spark"


@st.cache_resource(show_spinner="Starting Spark and building the rollups on it (minutes on a large lake)…",
                   max_entries=1, on_release=lambda con: con.release())
def _spark(chosen: settings.Engine, version: str):
    """One Spark connection per version of the lake: the rollups are built
    and cached on Spark once; newer data releases them and builds anew."""
    from cxhub import spark

    try:
        return spark.connect(lake=chosen.lake, catalog=chosen.catalog, master=chosen.master, remote=chosen.remote)
    except spark.SparkUnavailable as exc:
        raise EngineUnavailable(str(exc)) from None


@st.cache_data(show_spinner=False, ttl=5)
def _lake_version(lake: str | None, catalog: str | None) -> str:
    """The lake's files, fingerprinted (at most every few seconds: a lake can
    hold many files). A catalog's tables cannot be fingerprinted here: an
    admin reads them again from the Data page (spark_reload)."""
    from cxhub import spark

    if lake is None:
        return f"catalog:{_catalog_generation[0]}"
    if spark.lake_problem(lake):
        raise EngineUnavailable(spark.lake_problem(lake))
    return spark.lake_version(lake)


_catalog_generation = [0]  # bumped by spark_reload: the catalog is read again


def connection():
    """The read-only connection for this script run. Imports (CLI or Data
    page) replace the file; the next run sees the new version, and caches
    keyed on data_version() refresh. On a first start with no database the
    demo company is built. On Spark: the session over the lake, its rollups
    built once per version of the lake."""
    chosen = engine()
    if chosen.name == "spark":
        return _spark(chosen, _lake_version(chosen.lake, chosen.catalog))
    path = db_path()
    if not Path(path).exists():
        with st.spinner("First start: building the demo company…"):
            with db.writing(path) as con:
                if not Path(path).exists():  # another process may have built it meanwhile
                    demo.build_demo(con, workspace_path=workspace_path())
    return _snapshot(path, db.file_version(path))


def spark_reload(person) -> None:
    """Read the lake or catalog again and rebuild the rollups on Spark (an
    admin's act: it costs the cluster minutes on a large company)."""
    access.require(person, "administer", "Reading the data again on Spark")
    _catalog_generation[0] += 1
    _lake_version.clear()
    _spark.clear()


def apply_display() -> None:
    """Show money as cxhub.toml says: read once per script run (a small file;
    an edit shows at the next click), not on every query."""
    try:
        settings.apply(settings.load_display(config_path()))
    except settings.SettingsError as exc:
        settings.apply(settings.Display())
        st.error(f"{exc}. Amounts are shown without a currency until it is fixed.", icon=":material/error:")


@st.cache_data(show_spinner=False, max_entries=8)
def _about_the_file(path: str, version: tuple[int, int]) -> tuple[str, bool]:
    """(import-log version, demo or not) of one version of the file: asked
    once per version, not on every named query of every run."""
    con = connection()
    rows = db.query_rows(con, "SELECT bool_and(source = 'demo') FROM import_log WHERE outcome <> 'refused'")
    return db.data_version(con), bool(rows[0][0])


def data_version() -> str:
    """What cached answers are keyed on: the file (every write replaces it,
    and a restored or swapped file is another file) and its import log; on
    Spark, the lake's files (or the catalog's reading)."""
    chosen = engine()
    if chosen.name == "spark":
        return f"spark:{chosen}:{_lake_version(chosen.lake, chosen.catalog)}"
    path = db_path()
    version = db.file_version(path)
    return f"{path}:{version}:{_about_the_file(path, version)[0]}"


def is_demo() -> bool:
    """The generated demo company (a lake on Spark is the company's own data)."""
    if on_spark():
        return False
    path = db_path()
    return _about_the_file(path, db.file_version(path))[1]


# ---- the named queries, cached: arguments are values, never frames ----------

@st.cache_data(show_spinner=False, max_entries=1024)
def _answer(version: str, name: str, period: Period | None, filters: Filters, params: tuple):
    return queries.run(connection(), name, period, filters, **dict(params))


def query(name: str, period: Period | None = None, filters: Filters = Filters(), **params):
    """A named query (cxhub/kpis/queries.py), cached on the data version:
    an import refreshes every answer, a rerun reuses it. Period and Filters
    are hashable values, passed whole; params are plain values (tuples, not
    lists)."""
    return _answer(data_version(), name, period, filters, tuple(sorted(params.items())))


# ---- insights: cached as the named queries are ------------------------------

@st.cache_data(show_spinner="Working it out…", max_entries=256)
def _insight(version: str, name: str, period: Period, filters: Filters, params: tuple):
    from cxhub.insights import alerts, drivers, themes  # loaded with the first insight

    fn = {"drivers": drivers.drivers, "alerts": alerts.alerts, "themes": themes.themes}[name]
    return fn(connection(), period=period, filters=filters, **dict(params))


def insight(name: str, period: Period, filters: Filters = Filters(), **params):
    """drivers, alerts or themes (cxhub/insights/), cached on the data
    version; themes unmasked here: a page masks them for its viewer."""
    if name == "alerts":  # series are per touchpoint: a segment or region does not change them
        filters = Filters(touchpoints=filters.touchpoints)
    return _insight(data_version(), name, period, filters, tuple(sorted(params.items())))


def data_end() -> date:
    """The last day with data (yesterday when the database is empty). Never
    after today: a future-dated row (in a file loaded before the contract's
    date_range rule) does not move "last full month"."""
    fresh = query("freshness")
    ends = [d for d in fresh["data_to"] if d is not None and not pd.isna(d)]
    today = db.utc_now().date()
    return min(max(pd.Timestamp(d).date() for d in ends), today) if ends else today - timedelta(days=1)


ALL_KPIS = tuple(KPIS)


def biggest_moves(period: Period, filters: Filters):
    """From the (cached) scorecard and per-touchpoint frames: no new query.
    Cached itself (a rerun went through every KPI of every touchpoint); its
    sentences show money, so the currency is part of the key."""
    return _moves(data_version(), period, filters, catalog.currency())


@st.cache_data(show_spinner=False, max_entries=256)
def _moves(version: str, period: Period, filters: Filters, currency: str):
    company = query("scorecard", period, filters)
    per_tp = query("by_touchpoint", period, filters, kpi_ids=ALL_KPIS)
    return details.biggest_moves(company, per_tp, period)


# ---- loading ---------------------------------------------------------------

def _file_engine_only() -> None:
    if on_spark():
        raise EngineUnavailable("the app reads a lake on Spark: files are loaded into the lake by the "
                                "company's pipelines (or `cxhub import` into a database, then `cxhub lake export`)")


def dry_run(table: str, path: str, name: str, person):
    """Validate a file against the contract; nothing is written."""
    _file_engine_only()
    return ingest.import_file(db_path(), table, path, dry_run=True, source_name=name, person=person)


def load(table: str, path: str, name: str, person):
    """Load a file the same way `cxhub import` does (a copy replaced atomically)."""
    _file_engine_only()
    return ingest.import_file(db_path(), table, path, source_name=name, person=person)


# ---- joint work: small tables in the workspace, read fresh each run ---------

def _read(fn, *args):
    with workspace.opened(workspace_path()) as ws:
        return fn(ws, *args)


def initiatives(as_of: date) -> pd.DataFrame:
    return _read(joint.initiatives, as_of)


def initiative_history(initiative_id: int | None = None) -> pd.DataFrame:
    return _read(joint.history, "initiative", initiative_id)


def decisions(meeting_date: date | None = None) -> pd.DataFrame:
    return _read(joint.decisions, meeting_date)


def actions(as_of: date, raised_at: date | None = None, open_only: bool = False) -> pd.DataFrame:
    return _read(joint.actions, as_of, raised_at, open_only)


def meetings() -> list[date]:
    return _read(joint.meetings)


def audit(since: date | None = None) -> pd.DataFrame:
    return _read(joint.audit, since)


def build_agenda(meeting_date: date) -> agenda.Agenda:
    """The agenda: its KPI part is a cached named query (joint edits do not
    touch it), its joint part is read fresh from the workspace."""
    with workspace.opened(workspace_path()) as ws:
        plan = agenda.plan(ws, meeting_date, query("data_span")[1])
        review = query("kpi_review", plan.period, then=plan.compared_with)
        return agenda.assemble(ws, plan, review, insight("alerts", plan.period))


@st.cache_data(show_spinner=False, max_entries=64)
def initiative_progress(version: str, kpi_ids: tuple, touchpoints: tuple, started_on: date, expected_effect: str):
    row = {"kpi_ids": list(kpi_ids), "touchpoints": list(touchpoints), "started_on": started_on,
           "expected_effect": expected_effect}
    return progress.progress(connection(), row)


def write(change, *args, **kwargs):
    """Run a joint.* write on the workspace (one transaction, milliseconds;
    never waits for an import)."""
    with workspace.opened(workspace_path()) as ws:
        return change(ws, *args, **kwargs)


def meeting_pack(meeting_date: date) -> tuple[str, str, bytes]:
    """(file stem, HTML, PDF) of the meeting pack, on the cached agenda."""
    from cxhub import pack  # the PDF and plotting libraries load when a pack is first made

    with workspace.opened(workspace_path()) as ws:
        content = pack.build(connection(), ws, meeting_date, build_agenda(meeting_date))
    return content.file_stem(), pack.to_html(content), pack.to_pdf(content)


def scorecard_export(period: Period, filters: Filters) -> pd.DataFrame:
    card = query("scorecard", period, filters)
    loaded = pd.to_datetime(query("freshness")["loaded_at"]).max()
    return exports.scorecard_frame(card, period, loaded)
