"""The Spark engine (engines contract v1): the KPI engine's own SQL, written
once in DuckDB's dialect, generated for Spark SQL by SQLGlot, run on a
Spark session over a lake of Parquet folders (or a catalog database).

`connect(...)` returns an object with the two things CX Hub asks of a
DuckDB connection — `cursor()` and, on the cursor, `execute(sql, params)`
then `df()` or `fetchall()` — so the engine, the CLI and the pages run on
Spark unchanged. Rollups are built by Spark from the lake and cached there;
only small, aggregated frames come back to the driver. PySpark loads only
when the spark engine is asked for (the `spark` extra)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import shutil
import time
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pandas as pd

from cxhub import rollups
from cxhub.contract import TABLES

LAKE_TABLES = tuple(t.name for t in TABLES)  # the contract's seven tables


class SparkUnavailable(RuntimeError):
    """The spark engine cannot start: PySpark or Java missing, no lake or
    catalog given, a lake missing a table, a cluster out of reach."""


# ---------------------------------------------------------------- SQL for Spark

@lru_cache(maxsize=512)
def _parsed(sql: str):
    import sqlglot

    return sqlglot.parse_one(sql, read="duckdb")


def _literal(value):
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, pd.Timestamp) or isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(pd.Timestamp(value).isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, (int, float, Decimal)):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def to_spark_sql(sql: str, params=()) -> str:
    """The DuckDB SQL with its ? parameters bound as literals, in Spark's
    dialect. Decimal literals (100.0) become doubles, so Spark computes a
    share in floating point as DuckDB does, not in fixed-point decimals."""
    from sqlglot import exp

    values = iter(list(params or ()))

    def bind(node):
        if isinstance(node, exp.Placeholder):
            return _literal(next(values))
        if isinstance(node, exp.Literal) and not node.is_string and "." in node.this:
            return exp.cast(node.copy(), "DOUBLE")
        return node

    return _parsed(sql).copy().transform(bind).sql(dialect="spark")


# ---------------------------------------------------------------- the connection

class SparkCursor:
    def __init__(self, spark):
        self._spark = spark
        self._frame = None

    def execute(self, sql: str, params=()):
        self._frame = self._spark.sql(to_spark_sql(sql, params))
        return self

    def df(self) -> pd.DataFrame:
        """The frame DuckDB's .df() would give: decimals as floats, dates and
        times as datetime64[us] (Spark hands back Decimal and date objects)."""
        from pyspark.sql.types import DateType, DecimalType, TimestampNTZType, TimestampType

        frame = self._frame.toPandas()
        for field in self._frame.schema.fields:
            if isinstance(field.dataType, DecimalType):
                frame[field.name] = frame[field.name].astype(float)
            elif isinstance(field.dataType, (DateType, TimestampType, TimestampNTZType)):
                frame[field.name] = pd.to_datetime(frame[field.name]).astype("datetime64[us]")
        return frame

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self._frame.collect()]  # decimals stay Decimal, as DuckDB's do

    def close(self) -> None:
        self._frame = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SparkConnection:
    """What the engine needs of a connection, on a Spark session."""

    engine = "spark"

    def __init__(self, spark, source: str):
        self.spark = spark
        self.source = source  # the lake folder or the catalog database, for messages

    def cursor(self) -> SparkCursor:
        return SparkCursor(self.spark)

    def execute(self, sql: str, params=()):
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        """The session stays up for the process (starting one costs seconds)."""

    def release(self) -> None:
        """Free what this connection cached on Spark (its rollups): the app
        calls it when newer data replaces this connection."""
        for rollup in rollups.ROLLUPS:
            self.spark.sql(f"UNCACHE TABLE IF EXISTS {rollup.name}")
            self.spark.sql(f"DROP VIEW IF EXISTS {rollup.name}")


def session(master: str | None = None, remote: str | None = None):
    """A Spark session in UTC: `local[2]` by default, a cluster's master, or
    Spark Connect (`sc://host:15002`)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailable("the spark engine needs PySpark: pip install 'cxhub[spark]'") from None
    builder = SparkSession.builder.appName("cxhub")
    builder = builder.remote(remote) if remote else builder.master(master or "local[2]")
    if not remote:
        builder = builder.config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "8")
    try:
        spark = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    except Exception as exc:  # no Java, or the cluster cannot be reached
        raise SparkUnavailable(f"Spark did not start ({exc.__class__.__name__}: {str(exc)[:300]}); "
                               "the spark engine needs Java 17 (Debian: openjdk-17-jre-headless)") from None
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # dates are UTC dates, whatever the machine's zone
    return spark


def connect(lake: str | os.PathLike | None = None, catalog: str | None = None, master: str | None = None,
            remote: str | None = None, progress=None) -> SparkConnection:
    """The contract's tables from a lake folder (`<lake>/<table>/` Parquet)
    or a catalog database, with the rollups built by Spark and cached."""
    if (lake is None) == (catalog is None):
        raise SparkUnavailable("give the spark engine either --lake DIR or --catalog NAME")
    spark = session(master, remote)
    if not remote:  # its own temporary views: two lakes in one process do not mix
        spark = spark.newSession()
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    if lake is not None:
        root = Path(lake)
        if lake_problem(root):
            raise SparkUnavailable(lake_problem(root))
        for table in LAKE_TABLES:
            spark.read.parquet(str(root / table)).createOrReplaceTempView(table)
        source = str(root)
    else:
        for table in LAKE_TABLES:
            spark.table(f"{catalog}.{table}").createOrReplaceTempView(table)
        source = catalog
    register_load_views(spark, lake)
    build_rollups(spark, progress)
    return SparkConnection(spark, source)


# The DuckDB file's bookkeeping tables (cxhub/migrations), as Spark schemas.
IMPORT_LOG = ("import_id BIGINT, table_name STRING, source STRING, checksum STRING, rows_read BIGINT, "
              "rows_loaded BIGINT, rows_replaced BIGINT, rows_rejected BIGINT, started_at TIMESTAMP, "
              "finished_at TIMESTAMP, outcome STRING, message STRING")
REJECTED_ROWS = ("import_id BIGINT, table_name STRING, source STRING, line BIGINT, column_name STRING, "
                 "rule STRING, value STRING, original STRING, row_key STRING")  # as the file's (migrations 2, 5)


def register_load_views(spark, lake: str | os.PathLike | None) -> None:
    """import_log and rejected_rows as the pages ask for them. A lake is
    loaded by the company's own pipelines, not by `cxhub import`: each
    table's "load" is when its newest file was written (UTC); rows are not
    counted (the freshness table counts them), and nothing was rejected
    here. A catalog says nothing of its loads: both are empty."""
    loads = []
    for i, table in enumerate(LAKE_TABLES if lake is not None else (), start=1):
        written = newest_file_time(Path(lake) / table)
        if written is not None:
            loads.append((i, table, str(Path(lake) / table), None, None, None, None, 0, written, written,
                          "loaded", "read from the lake: loaded by the company's pipelines"))
    spark.createDataFrame(loads, IMPORT_LOG).createOrReplaceTempView("import_log")
    spark.createDataFrame([], REJECTED_ROWS).createOrReplaceTempView("rejected_rows")


def _data_files(folder: Path):
    for root, _, names in os.walk(folder):
        for name in names:
            if not name.startswith((".", "_")):  # Spark's _SUCCESS and .crc files are not data
                yield Path(root) / name


def newest_file_time(folder: Path) -> dt.datetime | None:
    """When a table's newest data file was written, as a naive UTC time (the
    import log's convention)."""
    times = [f.stat().st_mtime for f in _data_files(folder)]
    return dt.datetime.fromtimestamp(max(times), dt.timezone.utc).replace(tzinfo=None) if times else None


def lake_version(lake: str | os.PathLike) -> str:
    """A token that changes whenever a file of the lake is added, removed or
    rewritten: the app's caches (and its rollups on Spark) key on it."""
    digest = hashlib.sha1()
    root = Path(lake)
    for table in LAKE_TABLES:
        for f in sorted(_data_files(root / table)):
            stat = f.stat()
            digest.update(f"{f.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def problem(lake: str | None = None, catalog: str | None = None, remote: str | None = None) -> str | None:
    """Why the spark engine could not start here, found without starting it
    (`cxhub serve` checks before it opens a port); None when nothing is missing."""
    if (lake is None) == (catalog is None):
        return "give the spark engine either --lake DIR or --catalog NAME (or [engine] lake/catalog in cxhub.toml)"
    if lake is not None and lake_problem(lake):
        return lake_problem(lake)
    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("sqlglot") is None:
        return "the spark engine needs PySpark and SQLGlot: pip install 'cxhub[spark]'"
    if not remote and not shutil.which("java"):
        return "the spark engine needs Java 17 (Debian: openjdk-17-jre-headless)"
    return None


def lake_problem(lake: str | os.PathLike) -> str | None:
    """A lake folder missing one of the seven tables, in words; None if complete."""
    missing = [t for t in LAKE_TABLES if not (Path(lake) / t).is_dir()]
    if missing:
        return (f"{lake}: no folder for table(s) {', '.join(missing)} "
                f"(write a lake with `cxhub lake export --db FILE --to {lake}`)")
    return None


def build_rollups(spark, progress=None) -> None:
    """The rollups, from the same definitions DuckDB builds them with,
    materialised in Spark's cache: pages read them, not the fact tables.
    progress(name, seconds), if given, hears of each one built (minutes each
    on a large lake: the benchmark and a log can say which)."""
    for rollup in rollups.ROLLUPS:
        started = time.perf_counter()
        sql = rollup.select()
        spark.sql(f"DROP VIEW IF EXISTS {rollup.name}")
        spark.sql(f"CACHE TABLE {rollup.name} AS {to_spark_sql(sql)}")
        if progress:
            progress(rollup.name, time.perf_counter() - started)


# ---------------------------------------------------------------- the lake

def export_lake(con, to: str | os.PathLike) -> dict[str, int]:
    """Write a CX Hub database's contract tables as a lake: one Parquet
    folder per table under `to` (what --lake reads). Returns the rows of each."""
    root = Path(to)
    counts = {}
    for table in LAKE_TABLES:
        folder = root / table
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.parquet"):
            old.unlink()
        target = str(folder / "part-0.parquet").replace("'", "''")
        with con.cursor() as cur:
            cur.execute(f"COPY (SELECT * FROM {table}) TO '{target}' (FORMAT parquet)")
            counts[table] = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    return counts
