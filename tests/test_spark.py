"""The spark engine: the same KPI definitions on Apache Spark (local[2])
give the same JSON as DuckDB, field by field, on the hand-checked
companies and the demo company, exported with `cxhub lake export`; the
rollups Spark builds equal DuckDB's row for row. One Spark session serves
the whole module; the unit tests above it never start Spark."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from cxhub import db, rollups, spark
from cxhub.cli import scorecard_document
from cxhub.kpis.period import Filters, Period

from fixtures import build_judged, build_tiny, require


def _spark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        return "PySpark or SQLGlot is not installed (the test extra installs both)"
    if not shutil.which("java"):
        return "Java is not installed (Debian: openjdk-17-jre-headless; .ci/run installs it)"
    return None


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


# ------------------------------------------------------------------ parity (one Spark session)


@pytest.fixture(scope="module")
def spark_session():
    require(_spark_missing(), "the spark parity suite")
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
        mine = sorted(db.query_rows(duck, select), key=repr)
        theirs = sorted(db.query_rows(sparked, select), key=repr)
        assert len(mine) == len(theirs) and mine == theirs, rollup.name


def test_the_cli_prints_the_same_json_on_both_engines(companies):
    _, _, path, lake = companies["judged"]
    common = ["kpis", "--start", "2025-03-01", "--end", "2025-03-31", "--format", "json"]
    run = lambda *a: subprocess.run([sys.executable, "-m", "cxhub.cli", *a], capture_output=True, text=True)
    duck, sparked = run(*common, "--db", str(path)), run(*common, "--engine", "spark", "--lake", str(lake))
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
