"""The workspace store: the joint work people type in (initiatives, scores,
meetings, decisions, action items, the audit), kept apart from the
analytics file.

Company data is large, loaded in batches and rebuildable; joint work is
small, written often by several people at once, and cannot be rebuilt. So it
lives in its own SQLite file beside the analytics file, in WAL mode: readers
never block the writer, a write takes milliseconds, and neither an import nor
an edit waits for the other (the analytics file is replaced whole by imports;
this file never is). Every write is one `BEGIN IMMEDIATE` transaction, so a
check and the change it allows see the same rows even with two editors.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from datetime import date, datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Sequence

import pandas as pd

SUFFIX = ".workspace.sqlite"
# How long a write waits for another writer before giving up (SQLite's busy timeout).
BUSY_SECONDS = 10.0


class WorkspaceError(Exception):
    """A workspace that cannot be opened or written as it is."""


def path_for(db_path: str | os.PathLike) -> Path:
    """The workspace beside an analytics file: data/cxhub.duckdb -> data/cxhub.workspace.sqlite
    (beside the real file when the path is a symbolic link, wherever it is opened from)."""
    db_path = Path(db_path).resolve()
    stem = db_path.stem if db_path.suffix == ".duckdb" else db_path.name
    return db_path.with_name(stem + SUFFIX)


def migrations() -> list[tuple[int, str, str]]:
    """The workspace's ordered migrations: (version, name, sql)."""
    found = []
    for entry in resources.files("cxhub.workspace_migrations").iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST_VERSION = max(v for v, _, _ in migrations())


def statements(script: str) -> list[str]:
    """A migration script split into statements (triggers hold semicolons)."""
    out, pending = [], ""
    for line in script.splitlines(keepends=True):
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line
        if sqlite3.complete_statement(pending):
            out.append(pending.strip())
            pending = ""
    if pending.strip():
        raise WorkspaceError(f"unfinished statement in a workspace migration: {pending.strip()[:60]}")
    return out


def schema_version(ws: sqlite3.Connection) -> int:
    return ws.execute("PRAGMA user_version").fetchone()[0]


def migrate(ws: sqlite3.Connection) -> list[int]:
    """Apply pending migrations in one transaction; the version check runs
    under the write lock, so two processes opening a new workspace at once
    apply each migration once."""
    if schema_version(ws) == LATEST_VERSION:
        return []
    applied = []
    with transaction(ws):
        current = schema_version(ws)
        if current > LATEST_VERSION:
            raise WorkspaceError(f"This workspace has schema version {current}, newer than this CX Hub "
                                 f"understands ({LATEST_VERSION}). Upgrade CX Hub; the file was left as it is.")
        for version, _, sql in migrations():
            if version > current:
                for statement in statements(sql):
                    ws.execute(statement)
                applied.append(version)
        ws.execute(f"PRAGMA user_version = {LATEST_VERSION}")
    return applied


def connect(path: str | os.PathLike) -> sqlite3.Connection:
    """Open (creating if needed) the workspace at path, schema up to date.
    Statements run in autocommit unless inside transaction()."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        ws = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        ws.execute("PRAGMA journal_mode = WAL")
        # FULL: a decision recorded is on disk when the call returns (a few ms in WAL mode).
        ws.execute("PRAGMA synchronous = FULL")
        ws.execute("PRAGMA foreign_keys = ON")
        migrate(ws)
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(f"Cannot open the workspace {path}: {exc}. Nothing was changed.") from exc
    return ws


@contextmanager
def opened(path: str | os.PathLike):
    """A workspace connection closed after the block."""
    ws = connect(path)
    try:
        yield ws
    finally:
        ws.close()


@contextmanager
def transaction(ws: sqlite3.Connection):
    """One write transaction that takes the write lock at once (BEGIN
    IMMEDIATE): committed when the block ends, rolled back on any error."""
    try:
        ws.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise WorkspaceError(f"The workspace is busy (another edit held it for {BUSY_SECONDS:.0f} s); "
                             "nothing was changed, try again.") from exc
    try:
        yield ws
        ws.execute("COMMIT")
    except BaseException:
        ws.execute("ROLLBACK")
        raise


def stored(value: Any) -> Any:
    """How a Python value is written: dates and times as ISO text, lists as JSON."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    return value


def rows(ws: sqlite3.Connection, sql: str, params: Sequence[Any] | dict = ()) -> list[tuple]:
    return ws.execute(sql, params).fetchall()


def frame(ws: sqlite3.Connection, sql: str, params: Sequence[Any] | dict = (), dates: Iterable[str] = (),
          lists: Iterable[str] = (), flags: Iterable[str] = (), scores: Iterable[str] = ()) -> pd.DataFrame:
    """A query's rows as a frame, typed as the pages expect: dates and times
    as datetime64, JSON lists as lists, 0/1 as bool, scores as nullable ints."""
    cur = ws.execute(sql, params)
    out = pd.DataFrame(cur.fetchall(), columns=[d[0] for d in cur.description])
    for name in dates:
        out[name] = pd.to_datetime(out[name], format="ISO8601")
    for name in lists:
        out[name] = [json.loads(v) if v else [] for v in out[name]]
    for name in flags:
        out[name] = out[name].astype(bool)
    for name in scores:
        out[name] = out[name].astype("Int64")
    return out


# ---------------------------------------------------------------- moving in

JOINT_TABLES = ("initiatives", "meetings", "decisions", "action_items", "change_log")
# Where each table of an older analytics file lands here (its change log
# becomes audit rows).
TARGETS = {"initiatives": "initiatives", "meetings": "meetings", "decisions": "decisions",
           "action_items": "action_items", "change_log": "audit"}


def columns(ws: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in ws.execute(f"PRAGMA table_info({table})")]


def _as_audit(row: dict) -> dict:
    """A change-log row of an older file as an audit row: a typed name, not verified."""
    return {"audit_id": row["change_id"], "at": row["changed_at"], "actor": f"{row['author']} (not verified)",
            "name": row["author"], "verified": 0, "role": row["role"], "action": "edit", "entity": row["entity"],
            "entity_id": row["entity_id"], "field": row["field"], "old_value": row["old_value"],
            "new_value": row["new_value"], "allowed": 1, "detail": None}


def move_in(path: str | os.PathLike, tables: dict[str, list[dict]], source: str) -> int:
    """Take joint work read from an older analytics file ({table: rows}),
    keeping its ids. Done once: when the workspace already holds these very
    rows (a move whose analytics half did not finish) nothing is added; when
    it holds other joint work the move is refused and nothing changes.
    Returns how many rows moved."""
    total = sum(len(v) for v in tables.values())
    if not total:
        return 0
    with opened(path) as ws, transaction(ws):
        incoming, present = {}, {}
        for table, target in TARGETS.items():
            names = columns(ws, target)
            rows_in = [_as_audit(r) for r in tables.get(table, [])] if target == "audit" else tables.get(table, [])
            incoming[target] = {tuple(stored(r[c]) for c in names) for r in rows_in}
            present[target] = set(rows(ws, f"SELECT {', '.join(names)} FROM {target}"))
        if any(present.values()):
            if all(incoming[t] <= present[t] for t in incoming):
                return 0
            raise WorkspaceError(
                f"{path} already holds other joint work, so the initiatives, meetings and change log of "
                f"{source} were not moved into it and nothing was changed. Move that workspace aside "
                "(or point this database elsewhere) and open the database again.")
        for target in incoming:  # parents first: the foreign keys hold
            names = columns(ws, target)
            ws.executemany(f"INSERT INTO {target} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                           sorted(incoming[target], key=lambda r: (r[0] is None, r[0])))
        ws.execute("INSERT INTO moved_in VALUES (?, ?, ?)",
                   [source, stored(datetime.now(timezone.utc).replace(tzinfo=None)), total])
    return total
