"""The database: where it lives, how it is opened, and how its schema evolves.

One DuckDB file holds everything. Each process keeps one connection and takes
a cursor per query (a bare connection shared by threads raises "connection is
busy"). Every result is read to the end before the next query runs.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

DEFAULT_DB = Path("data") / "cxhub.duckdb"
ENV_VAR = "CXHUB_DB"

# The contract's event tables and the column that dates their rows.
EVENT_DATE_COLUMNS = {
    "interactions": "occurred_at",
    "surveys": "responded_at",
    "orders": "ordered_at",
    "system_health": "day",
}


class DatabaseError(Exception):
    """A database that cannot be opened or used as it is."""


def resolve_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The database path: the --db option, else $CXHUB_DB, else data/cxhub.duckdb."""
    if cli_value:
        return Path(cli_value)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return DEFAULT_DB


def migrations() -> list[tuple[int, str, str]]:
    """The ordered migrations shipped with the package: (version, name, sql)."""
    found = []
    for entry in resources.files("cxhub.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST_VERSION = max(v for v, _, _ in migrations())


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version of an open database (0 for an empty one)."""
    with con.cursor() as cur:
        exists = cur.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_name = 'schema_version'"
        ).fetchall()[0][0]
        if not exists:
            return 0
        return cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None) -> list[int]:
    """Apply pending migrations up to `target` (default: all), each in its own
    transaction, and return the versions applied. Rows are never dropped."""
    current = schema_version(con)
    if current > LATEST_VERSION:
        raise DatabaseError(
            f"This database has schema version {current}, newer than this CX Hub "
            f"understands ({LATEST_VERSION}). Upgrade CX Hub; the file was left as it is."
        )
    target = LATEST_VERSION if target is None else target
    applied = []
    with con.cursor() as cur:
        for version, name, sql in migrations():
            if version <= current or version > target:
                continue
            cur.execute("BEGIN TRANSACTION")
            try:
                if version == 1:
                    cur.execute(
                        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                        "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                    )
                cur.execute(sql)
                cur.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, utc_now()]
                )
                cur.execute("COMMIT")
            except Exception:
                cur.execute("ROLLBACK")
                raise
            applied.append(version)
    return applied


def connect(path: str | os.PathLike, read_only: bool = False, create: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database at `path`, creating it and bringing its schema up to
    date when opened for writing. A read-only open requires a current schema."""
    path = Path(path)
    if not path.exists():
        if read_only or not create:
            raise DatabaseError(f"No database at {path}. Build one with `cxhub demo --db {path}` or import data.")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise DatabaseError(f"Cannot open {path}: {exc}") from exc
    if read_only:
        if schema_version(con) != LATEST_VERSION:
            con.close()
            raise DatabaseError(f"{path} needs a schema upgrade; open it once for writing.")
    else:
        migrate(con)
    return con


def utc_now() -> datetime:
    """The current time in UTC, as a naive timestamp (how the database stores time)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def query_df(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> pd.DataFrame:
    """Run one query on its own cursor and return the (small) result as a frame."""
    with con.cursor() as cur:
        return cur.execute(sql, params or []).df()


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | dict | None = None) -> list[tuple]:
    """Run one query on its own cursor and return all its rows."""
    with con.cursor() as cur:
        return cur.execute(sql, params or []).fetchall()


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """A token that changes whenever data is loaded: caches key on it."""
    rows = query_rows(con, "SELECT count(*), max(finished_at) FROM import_log WHERE outcome IN ('loaded', 'partial')")
    count, last = rows[0]
    return f"{count}:{last}"


def freshness(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per event table: latest event date, row count and last load time."""
    parts = [
        f"SELECT '{table}' AS table_name, max({column})::DATE AS data_to, count(*) AS row_count FROM {table}"
        for table, column in EVENT_DATE_COLUMNS.items()
    ]
    sql = f"""
        WITH events AS ({' UNION ALL '.join(parts)}),
        loads AS (
            SELECT table_name, max(finished_at) AS loaded_at, bool_or(source = 'demo') AS demo
            FROM import_log WHERE outcome IN ('loaded', 'partial') GROUP BY table_name
        )
        SELECT e.table_name, e.data_to, e.row_count, l.loaded_at, coalesce(l.demo, false) AS demo
        FROM events e LEFT JOIN loads l USING (table_name)
        ORDER BY e.table_name
    """
    return query_df(con, sql)
