"""The database: where it lives, how it is opened, and how its schema evolves.

One DuckDB file holds everything. Each process keeps one connection and takes
a cursor per query (a bare connection shared by threads raises "connection is
busy"). Every result is read to the end before the next query runs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

from cxhub import rollups, workspace

DEFAULT_DB = Path("data") / "cxhub.duckdb"
APP_MEMORY = "1GB"
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


class NoDatabase(DatabaseError):
    """No database file where one was expected (a usage error)."""


class SchemaOutdated(DatabaseError):
    """A read-only open of a file whose schema needs migrations first."""


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


def _move_joint_work_out(cur: duckdb.DuckDBPyConnection, workspace_path: Path | None) -> None:
    """Before migration 6 drops them: copy the joint-work tables into the
    workspace store (keeping ids). The workspace commits first; should this
    file's migration then fail, the next open finds the rows already there
    and only drops them here."""
    tables = {}
    for table in workspace.JOINT_TABLES:
        result = cur.execute(f"SELECT * FROM {table}")
        names = [d[0] for d in result.description]
        tables[table] = [dict(zip(names, row)) for row in result.fetchall()]
    if any(tables.values()):
        if workspace_path is None:
            raise DatabaseError("this database holds joint work to move into its workspace, but no workspace "
                                "path was given; nothing was changed")
        workspace.move_in(workspace_path, tables, source="the analytics file at schema version 5")


# Migrations that are completed by code before their SQL runs. (A migration that adds rollups
# builds them after its SQL, from the data present: each rollup says which, rollups.added_in.)
_BEFORE = {6: _move_joint_work_out}


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


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection, commit: bool = True):
    """A cursor inside one transaction: committed when the block ends (rolled
    back instead when commit is False, e.g. a dry run), rolled back on any
    error. Every multi-statement write goes through here."""
    cur = con.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
        cur.execute("COMMIT" if commit else "ROLLBACK")
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    finally:
        cur.close()


@contextmanager
def reading(path: str | os.PathLike):
    """A read-only connection to the database at path, closed after the block."""
    con = connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


def migrate(con: duckdb.DuckDBPyConnection, target: int | None = None,
            workspace_path: Path | None = None) -> list[int]:
    """Apply pending migrations up to `target` (default: all), each in its own
    transaction, and return the versions applied. Rows are never dropped:
    joint work moves to the workspace at `workspace_path` (migration 6)."""
    current = schema_version(con)
    if current > LATEST_VERSION:
        raise DatabaseError(
            f"This database has schema version {current}, newer than this CX Hub "
            f"understands ({LATEST_VERSION}). Upgrade CX Hub; the file was left as it is."
        )
    target = LATEST_VERSION if target is None else target
    applied = []
    for version, name, sql in migrations():
        if version <= current or version > target:
            continue
        with transaction(con) as cur:
            if version == 1:
                cur.execute(
                    "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                    "name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
                )
            if version in _BEFORE:
                _BEFORE[version](cur, workspace_path)
            cur.execute(sql)
            rollups.build(cur, tuple(r.name for r in rollups.ROLLUPS if r.added_in == version))
            cur.execute("INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, utc_now()])
        applied.append(version)
    return applied


def connect(path: str | os.PathLike, read_only: bool = False, create: bool = True,
            workspace_path: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database at `path`, creating it and bringing its schema up to
    date when opened for writing (joint work found in an older file moves to
    `workspace_path`, by default the workspace beside it). A read-only open
    requires a current schema."""
    path = Path(path)
    workspace_path = Path(workspace_path) if workspace_path else workspace.path_for(path)
    if not path.exists():
        if read_only or not create:
            raise NoDatabase(f"No database at {path}. Build one with `cxhub demo --db {path}` or import data.")
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseError(f"{path} is locked: another program has it open for writing. Close it (or wait "
                                "for it to finish) and try again.") from exc
        raise DatabaseError(f"Cannot open {path}: {str(exc).splitlines()[0]}") from exc
    if read_only:
        if schema_version(con) != LATEST_VERSION:
            con.close()
            raise SchemaOutdated(f"{path} needs a schema upgrade; open it once for writing.")
    else:
        try:
            migrate(con, workspace_path=workspace_path)
        except BaseException:
            con.close()
            raise
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


# How often each event table is expected to be loaded, in days: green while
# its data is at most this old, amber up to three times that, red beyond.
EXPECTED_CADENCE_DAYS = {"interactions": 1, "surveys": 1, "orders": 1, "system_health": 1}


def freshness_status(table: str, data_to, today) -> str:
    """green / amber / red for a table's latest event date against its cadence."""
    if data_to is None or pd.isna(data_to):
        return "red"
    lag = (today - pd.Timestamp(data_to).date()).days
    cadence = EXPECTED_CADENCE_DAYS.get(table, 1)
    return "green" if lag <= cadence + 1 else "amber" if lag <= 3 * cadence + 1 else "red"


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


# ---------------------------------------------------------------- writing

def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.writing")


def remove_stale_copies(path: Path) -> None:
    """Copies left by a writer that was killed (its pid is gone)."""
    for stale in path.parent.glob(f".{path.name}.*.writing*"):
        pid = stale.name[len(path.name) + 2:].split(".")[0]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            stale.unlink(missing_ok=True)


class DiskFull(DatabaseError):
    """No room on the disk for the database's working copy."""


class DatabaseDamaged(DatabaseError):
    """The database file is truncated or not a DuckDB file."""


def _discard(tmp: Path) -> None:
    """Remove a working copy and its WAL (a failed write leaves nothing behind)."""
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def is_disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def _fault(path: Path, exc: BaseException) -> BaseException:
    """The error a failed write reports: the real cause, named once, about
    the database the user knows (not its working copy)."""
    if isinstance(exc, DatabaseError) and not isinstance(exc.__cause__, duckdb.Error):
        return exc
    if is_disk_full(exc):
        need = path.stat().st_size / 1e6 if path.exists() else 0
        return DiskFull(f"the disk holding {path.parent} is full: a write needs room for a copy of the database "
                        f"(about {need:,.0f} MB) and its changes. Nothing was changed; free some space and "
                        "try again.")
    text = str(exc.__cause__ or exc)
    if isinstance(exc.__cause__ or exc, duckdb.Error) and any(
            sign in text for sign in ("not a valid DuckDB database", "Could not read enough bytes", "Corrupt",
                                      "checksum")):
        return DatabaseDamaged(f"{path} is damaged (truncated or not a CX Hub database: "
                               f"{text.splitlines()[0]}). Nothing was changed. Restore it from a backup, or "
                               "move it aside and build a new one.")
    return exc


@contextmanager
def writing(path: str | os.PathLike, wait_seconds: float = 600):
    """A writable connection to a copy of the database that replaces the
    original atomically when the block succeeds. Readers (the dashboard) keep
    their snapshot until they next look; a failure or a kill mid-write leaves
    the original exactly as it was. Writers queue on a lock file."""
    path = Path(path).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(_lock_path(path), "a+") as lock:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DatabaseError(f"{path} is being written by another import; gave up after {wait_seconds:.0f} s")
                time.sleep(0.2)
        try:
            remove_stale_copies(path)
            tmp = _temp_path(path)
            try:
                if path.exists():
                    shutil.copyfile(path, tmp)
                    wal = path.with_name(path.name + ".wal")
                    if wal.exists():
                        shutil.copyfile(wal, tmp.with_name(tmp.name + ".wal"))
                con = connect(tmp, workspace_path=workspace.path_for(path))
            except BaseException as exc:
                _discard(tmp)
                raise _fault(path, exc) from exc
            try:
                yield con
                con.execute("CHECKPOINT")
            except BaseException as exc:
                con.close()
                _discard(tmp)
                raise _fault(path, exc) from exc
            con.close()
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def open_snapshot(path: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the database file as it is now. It opens a
    hard link named after the file's inode, so a file replaced later by
    `writing` is opened afresh (DuckDB caches open files by path) while
    queries still running on the old snapshot finish undisturbed."""
    path = Path(path).resolve()
    remove_stale_copies(path)  # left by a writer that was killed: cleaned at the next start
    inode = path.stat().st_ino
    for old in path.parent.glob(f".{path.name}.*.snapshot"):
        if old.name != f".{path.name}.{inode}.snapshot":
            old.unlink(missing_ok=True)  # open connections keep their inode alive
    alias = path.with_name(f".{path.name}.{inode}.snapshot")
    if not alias.exists():
        try:
            os.link(path, alias)
        except FileExistsError:
            pass
    con = connect(alias, read_only=True)
    # The dashboard's queries aggregate: a bounded buffer pool keeps the app
    # process small (DuckDB spills past it rather than growing).
    con.execute(f"SET memory_limit = '{APP_MEMORY}'")
    con.execute("SET enable_external_access = false")  # no file reads through SQL in the app
    return con


def file_version(path: str | os.PathLike) -> tuple[int, int]:
    """Changes whenever `writing` replaces the file."""
    st = Path(path).stat()
    return st.st_ino, st.st_mtime_ns
