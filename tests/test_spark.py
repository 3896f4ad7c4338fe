"""The spark engine: the same KPI definitions on Apache Spark (local[2])
give the same JSON as DuckDB, field by field, on the hand-checked
companies and the demo company, exported with `cxhub lake export`; the
rollups Spark builds equal DuckDB's row for row. One Spark session serves
the whole module; the unit tests above it never start Spark."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from cxhub import db, rollups, spark
from cxhub.cli import scorecard_document
from cxhub.kpis.period import Filters, Period

from fixtures import assert_same_rows, build_judged, build_tiny, require, spark_missing


# ------------------------------------------------------------------ without Spark

def test_a_lake_is_the_seven_tables_as_parquet(tiny_db_path, tmp_path):
    con = db.connect(tiny_db_path, read_only=True)
    counts = spark.export_lake(con, tmp_path / "lake")
    assert list(counts) == list(spark.LAKE_TABLES) and len(counts) == 7
    for table in spark.LAKE_TABLES:
        files = list((tmp_path / "lake" / table).glob("*.parquet"))
        assert len(files) == 1
        back = sorted(db.query_rows(con, f"SELECT * FROM read_parquet('{files[0]}')"), key=repr)
        assert back == sorted(db.query_rows(con, f"SELECT * FROM {table}"), key=repr), table
        assert counts[table] == len(back)
    spark.export_lake(con, tmp_path / "lake")  # again: replaces, never doubles
    assert len(list((tmp_path / "lake" / "orders").glob("*.parquet"))) == 1


def test_the_sql_spark_runs_is_generated_from_duckdbs():
    pytest.importorskip("sqlglot", reason="SQLGlot (the test extra) generates Spark's SQL")
    sql = spark.to_spark_sql("SELECT 100.0 * count_if(x >= ?) / count(*) AS share, CAST(? AS DATE) AS d "
                             "FROM t WHERE s = ? GROUP BY ALL", [4, date(2025, 3, 1), "it's"])
    assert "CAST(100.0 AS DOUBLE)" in sql and "COUNT_IF(x >= 4)" in sql
    assert "CAST('2025-03-01' AS DATE)" in sql and "'it\\'s'" in sql and "?" not in sql


def test_only_an_admin_has_spark_read_the_data_again(monkeypatch):
    """Rebuilding the rollups costs a cluster minutes: the package asks for
    the admin's right, whatever the page offers."""
    from cxhub import access
    from cxhub.ui import gateway

    cleared = []
    monkeypatch.setattr(gateway._spark, "clear", lambda: cleared.append("rollups"))
    for role in ("viewer", "analyst", "cmo", "cio"):
        with pytest.raises(access.AccessRefused):
            gateway.spark_reload(access.Person(f"{role}@example.com", role, f"{role}@example.com", True))
    assert not cleared
    gateway.spark_reload(access.Person("admin@example.com", "admin", "admin@example.com", True))
    assert cleared == ["rollups"]


# ------------------------------------------------------------------ parity (one Spark session)


@pytest.fixture(scope="module")
def spark_session():
    require(spark_missing(), "the spark parity suite")
    return spark.session()


def lake_of(path: Path, folder: Path) -> Path:
    con = db.connect(path, read_only=True)
    try:
        spark.export_lake(con, folder)
    finally:
        con.close()
    return folder


@pytest.fixture(scope="module")
def companies(spark_session, tmp_path_factory, demo_db_path):
    """(DuckDB connection, Spark connection) for each company."""
    out = {}
    base = tmp_path_factory.mktemp("lakes")
    for name, builder in (("tiny", build_tiny), ("judged", build_judged)):
        path = base / f"{name}.duckdb"
        builder(path).close()
        out[name] = path
    out["demo"] = demo_db_path
    pairs = {}
    for name, path in out.items():
        duck = db.connect(path, read_only=True)
        pairs[name] = (duck, spark.connect(lake=lake_of(path, base / f"{name}-lake")), path, base / f"{name}-lake")
    return pairs


def assert_same(a, b, where="doc"):
    """Equal documents: every number within 1e-9 (relative), all else exactly."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, f"{where}: {a} vs {b}"
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a} vs {b}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def as_json(doc):
    return json.loads(json.dumps(doc, default=str))


CASES = [
    ("tiny", Period(date(2025, 3, 1), date(2025, 3, 31)), Filters(), None),
    ("tiny", Period(date(2025, 3, 1), date(2025, 3, 31)), Filters(touchpoints=("web",)), None),
    ("tiny", Period(date(2025, 2, 1), date(2025, 3, 31)), Filters(segments=("consumer",)), None),
    ("tiny", Period(date(2025, 3, 1), date(2025, 3, 31)), Filters(), "touchpoint"),
    ("judged", Period(date(2025, 3, 1), date(2025, 3, 31)), Filters(), None),
    ("judged", Period(date(2025, 4, 1), date(2025, 4, 30)), Filters(regions=("North",)), "segment"),
    ("demo", Period(date(2026, 10, 1), date(2026, 10, 31)), Filters(), None),
    ("demo", Period(date(2026, 7, 1), date(2026, 9, 30)), Filters(touchpoints=("mobile_app",)), None),
    ("demo", Period(date(2026, 10, 1), date(2026, 10, 31)), Filters(segments=("smb",), regions=("North",)), None),
    ("demo", Period(date(2026, 10, 1), date(2026, 10, 31)), Filters(), "touchpoint"),
    ("demo", Period(date(2026, 10, 1), date(2026, 10, 31)), Filters(), "segment"),
    ("demo", Period(date(2026, 10, 1), date(2026, 10, 31)), Filters(), "region"),
    ("demo", Period(date(2026, 7, 1), date(2026, 9, 30)), Filters(), "month"),
]


@pytest.mark.parametrize("company, period, filters, by", CASES,
                         ids=[f"{c}-{p.start}-{p.end}-{f.as_dict()}-{b}" for c, p, f, b in CASES])
def test_every_kpi_field_is_the_same_on_spark(companies, company, period, filters, by):
    duck, sparked, *_ = companies[company]
    assert_same(as_json(scorecard_document(duck, period, filters, by)),
                as_json(scorecard_document(sparked, period, filters, by)))


@pytest.mark.parametrize("company", ["tiny", "demo"])
def test_spark_builds_the_same_rollups_row_for_row(companies, company):
    duck, sparked, *_ = companies[company]
    for rollup in rollups.ROLLUPS:
        columns = [r[0] for r in db.query_rows(duck, f"SELECT column_name FROM information_schema.columns "
                                                     f"WHERE table_name = '{rollup.name}' ORDER BY ordinal_position")]
        select = f"SELECT {', '.join(columns)} FROM {rollup.name}"
        assert_same_rows(db.query_rows(duck, select), db.query_rows(sparked, select), rollup.name)


def test_the_cli_prints_the_same_json_on_both_engines(companies):
    """Whatever the machine's time zone (here UTC+14 for Spark): dates are UTC dates."""
    _, _, path, lake = companies["judged"]
    common = ["kpis", "--start", "2025-03-01", "--end", "2025-03-31", "--format", "json"]
    run = lambda *a, zone="UTC": subprocess.run([sys.executable, "-m", "cxhub.cli", *a], capture_output=True,
                                                text=True, env={**os.environ, "TZ": zone})
    duck = run(*common, "--db", str(path))
    sparked = run(*common, "--engine", "spark", "--lake", str(lake), zone="Pacific/Kiritimati")
    assert duck.returncode == 0 and sparked.returncode == 0, sparked.stderr[-2000:]
    assert_same(json.loads(duck.stdout), json.loads(sparked.stdout))


def test_the_insights_are_the_same_on_spark(companies):
    """What moves NPS, what just broke and what customers say, on the demo
    company's release quarter: the same documents on both engines."""
    from cxhub.insights import alerts, drivers, themes

    duck, sparked, *_ = companies["demo"]
    quarter = Period(date(2026, 4, 1), date(2026, 6, 30))
    for ask in (lambda c: drivers.drivers(c, "nps", quarter),
                lambda c: alerts.alerts(c, quarter, Filters(touchpoints=("mobile_app",))),
                lambda c: themes.themes(c, quarter)):
        assert_same(as_json(ask(duck)), as_json(ask(sparked)))


# ------------------------------------------------------------------ every named query a page reads

def assert_same_value(a, b, where):
    """Frames equal cell by cell (numbers to 1e-9, dates as dates, missing
    as missing) whatever the row order; tuples and lists element-wise."""
    import pandas as pd

    if isinstance(a, pd.DataFrame):
        assert list(a.columns) == list(b.columns) and len(a) == len(b), f"{where}: {list(a.columns)} vs {list(b.columns)}"
        rows = lambda f: sorted((tuple(_cell(v) for v in r) for r in f.itertuples(index=False)), key=repr)
        assert_same([list(r) for r in rows(a)], [list(r) for r in rows(b)], where)
    elif isinstance(a, (tuple, list)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_value(x, y, f"{where}[{i}]")
    else:
        assert_same(_cell(a), _cell(b), where)


def _cell(v):
    """One cell in a form both engines' frames agree on."""
    import numpy as np
    import pandas as pd

    if v is None or (not isinstance(v, (str, list, tuple, np.ndarray)) and pd.isna(v)):
        return None
    if isinstance(v, (pd.Timestamp, datetime, date)):
        stamp = pd.Timestamp(v)
        return stamp.date().isoformat() if stamp == stamp.normalize() and not isinstance(v, datetime) \
            else stamp.isoformat()
    if isinstance(v, (np.ndarray, list, tuple)):
        return [_cell(x) for x in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return float(v)  # a count may be BIGINT on one engine and DOUBLE on the other: equal numbers
    if isinstance(v, (float, np.floating, Decimal)):
        return float(v)
    return v


MONTH, QUARTER = Period(date(2026, 9, 1), date(2026, 9, 30)), Period(date(2026, 4, 1), date(2026, 9, 30))
SMB = Filters(segments=("smb",))
APP = Filters(touchpoints=("mobile_app",))
# Every named query the pages, the agenda and the pack read, as a page asks for it (queries.QUERIES).
NAMED = [
    ("scorecard", MONTH, SMB, {}),
    ("by_touchpoint", MONTH, Filters(), {"kpi_ids": None}),
    ("by_dimension", MONTH, APP, {"kpi_ids": ("csat", "nps", "retention_rate"), "dimension": "region"}),
    ("trends", QUARTER, Filters(), {"kpi_ids": ("csat", "availability", "incidents"), "grain": "month",
                                    "slice_by": "touchpoint"}),
    ("trends", QUARTER, SMB, {"kpi_ids": ("nps",), "grain": "week"}),
    ("kpi_trend", QUARTER, APP, {"kpi_id": "csat", "grain": "week"}),
    ("cohort_retention", QUARTER, Filters(), {}),
    ("kpi_review", MONTH, Filters(), {"then": Period(date(2026, 8, 1), date(2026, 8, 31))}),
    ("health_events", QUARTER, Filters(), {}),
    ("health_events", QUARTER, APP, {}),
    ("volume", QUARTER, APP, {"grain": "week"}),
    ("intent_resolution", MONTH, Filters(touchpoints=("contact_center",)), {}),
    ("detractor_comments", QUARTER, APP, {}),
    ("detractor_comments", QUARTER, Filters(), {"search": "slow"}),
    ("channel_switching", MONTH, Filters(), {}),
    ("data_span", None, Filters(), {}),
    ("touchpoints", None, Filters(), {}),
    ("dimension_values", None, Filters(), {}),
    ("coverage", None, Filters(), {}),
]
# What the file knows and a lake cannot: who imported what, and what was rejected (checked below).
ABOUT_LOADS = ("freshness", "import_history", "rejected_rows")


def test_every_named_query_is_in_the_parity_table():
    from cxhub.kpis.queries import QUERIES

    assert {name for name, *_ in NAMED} | set(ABOUT_LOADS) == set(QUERIES)


@pytest.mark.parametrize("name, period, filters, params", NAMED,
                         ids=[f"{n}-{f.as_dict()}-{sorted(p)}" for n, _, f, p in NAMED])
def test_every_named_query_gives_the_same_frame_on_spark(companies, name, period, filters, params):
    """What a page receives is the same on both engines: frame for frame."""
    from cxhub.kpis import queries

    duck, sparked, *_ = companies["demo"]
    assert_same_value(queries.run(duck, name, period, filters, **params),
                      queries.run(sparked, name, period, filters, **params), name)


def test_a_lake_tells_what_is_loaded_and_when_its_files_were_written(companies):
    from cxhub.kpis import queries

    duck, sparked, _, lake = companies["demo"]
    mine, theirs = queries.run(duck, "freshness"), queries.run(sparked, "freshness")
    same = ["table_name", "data_to", "row_count"]
    assert_same_value(mine[same], theirs[same], "freshness")
    for row in theirs.itertuples():
        newest = max(f.stat().st_mtime for f in (lake / row.table_name).glob("*.parquet"))
        assert abs(row.loaded_at.timestamp() - newest) < 1e-3, row.table_name  # naive UTC, as the import log
        assert not row.demo
    history = queries.run(sparked, "import_history")
    assert list(history.columns) == list(queries.run(duck, "import_history").columns)
    assert sorted(history["table_name"]) == sorted(spark.LAKE_TABLES)
    assert set(history["source"]) == {str(lake / t) for t in spark.LAKE_TABLES}
    assert set(history["outcome"]) == {"loaded"} and history["rows_loaded"].isna().all()
    rejected = queries.run(sparked, "rejected_rows")
    assert rejected.empty and list(rejected.columns) == list(queries.run(duck, "rejected_rows").columns)


# ------------------------------------------------------------------ the dashboard on Spark

SPARK_PAGES = ["overview", "channels", "kpi", "voice", "touchpoint-mobile_app", "touchpoint-contact_center",
               "priorities", "meeting", "glossary"]


def _shown(at) -> dict:
    """What a page shows in its main area: tiles, tables, charts and text.
    The freshness line says when data was loaded: for a lake, when its
    files were written (checked above), so it is left out here."""
    import re

    main = at.main
    words = [str(e.value) for kind in ("title", "subheader", "caption", "markdown", "info", "warning", "error")
             for e in getattr(main, kind)]
    return {
        "tiles": [(m.label, m.value, m.delta) for m in main.metric],
        "tables": [json.loads(t.value.to_json(orient="split", date_format="iso")) for t in main.dataframe],
        "charts": [json.loads(c.proto.spec) for c in main.get("plotly_chart")],
        "text": [re.sub(r"loaded [^·\n]*", "loaded …", w) for w in words],
    }


def test_every_page_shows_the_same_on_spark(companies, monkeypatch):
    """The dashboard on Spark local[2]: every page runs and shows what it
    shows on the DuckDB file — each tile, table, chart and sentence."""
    from cxhub import settings

    from fixtures import app, open_page

    _, _, path, lake = companies["demo"]

    def seen(environment: dict) -> dict:
        for var in settings.ENGINE_ENV.values():
            monkeypatch.delenv(var, raising=False)
        for var, value in environment.items():
            monkeypatch.setenv(var, value)
        at = app(path, monkeypatch)
        pages = {}
        for url_path in SPARK_PAGES:
            at = open_page(at, url_path)
            assert not at.exception, (url_path, environment, at.exception)
            pages[url_path] = _shown(at)
        return pages, at

    on_duckdb, _ = seen({})
    on_spark, at = seen(settings.engine_env(settings.Engine("spark", lake=str(lake))))
    assert [c.value for c in at.sidebar.caption if c.value.startswith("Spark (local")], "the sidebar says where it computes"
    for url_path in SPARK_PAGES:
        shown = on_duckdb[url_path]
        assert shown["tiles"] or shown["tables"] or shown["charts"] or url_path == "glossary", url_path
        assert_same(on_duckdb[url_path], on_spark[url_path], url_path)


def test_the_meeting_pack_is_the_same_on_spark(companies, tmp_path):
    """`cxhub pack --engine spark` writes the pack DuckDB writes: the same
    agenda, tables and charts; only the data's load time (a lake's files)
    and the charts' random element ids differ."""
    import re

    from cxhub.cli import main

    _, _, path, lake = companies["demo"]
    common = ["pack", "--meeting", "2026-11-05", "--db", str(path)]
    assert main([*common, "--out", str(tmp_path / "duckdb")]) == 0
    assert main([*common, "--engine", "spark", "--lake", str(lake), "--out", str(tmp_path / "spark")]) == 0

    def content(folder):
        html = (folder / "cxhub-steering-2026-11-05.html").read_text()
        html = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "id", html)
        return re.sub(r" · data loaded [^·]* UTC · pack made [^<]*", "", html)

    duck, sparked = content(tmp_path / "duckdb"), content(tmp_path / "spark")
    assert "What just broke" in duck and "Scorecard" in duck
    assert duck == sparked
    assert (tmp_path / "spark" / "cxhub-steering-2026-11-05.pdf").stat().st_size > 10_000


def test_a_catalog_database_serves_as_a_lake_does(companies, spark_session, tmp_path):
    """--catalog NAME: the seven tables of a Spark catalog database give the
    same scorecard; a catalog keeps no load times, so none is claimed."""
    from cxhub.kpis import queries

    duck, _, _, lake = companies["judged"]
    spark_session.sql(f"CREATE DATABASE IF NOT EXISTS cx_judged LOCATION '{tmp_path / 'db'}'")
    for table in spark.LAKE_TABLES:
        spark_session.sql(f"CREATE TABLE IF NOT EXISTS cx_judged.{table} USING parquet LOCATION '{lake / table}'")
    sparked = spark.connect(catalog="cx_judged")
    march = Period(date(2025, 3, 1), date(2025, 3, 31))
    assert_same(as_json(scorecard_document(duck, march, Filters(), "segment")),
                as_json(scorecard_document(sparked, march, Filters(), "segment")))
    fresh = queries.run(sparked, "freshness")
    assert sorted(fresh["table_name"]) == sorted(queries.run(duck, "freshness")["table_name"])
    assert fresh["loaded_at"].isna().all() and queries.run(sparked, "import_history").empty
