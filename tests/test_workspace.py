"""The workspace store: joint work in its own SQLite file beside the
analytics file — its migrations, the move of joint work out of a turn-old
analytics file, and writes that never wait for an import."""

from __future__ import annotations

import gzip
import shutil
import sqlite3
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import duckdb
import pytest

from cxhub import db, joint, workspace

TURN_OLD = Path(__file__).parent / "data" / "schema5-with-joint-work.duckdb.gz"
JOINT_TABLES = ("initiatives", "meetings", "decisions", "action_items", "change_log")


@pytest.fixture
def old_db(tmp_path) -> Path:
    """A copy of a database written by the previous release (schema 5): the
    tiny company plus joint work kept inside the analytics file (two
    initiatives, one meeting with two decisions and two actions, 30 change
    log rows)."""
    path = tmp_path / "cxhub.duckdb"
    with gzip.open(TURN_OLD) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def duckdb_rows(path: Path) -> dict[str, list[tuple]]:
    """The joint tables as the old file holds them, read with DuckDB alone."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in JOINT_TABLES}
    finally:
        con.close()


def test_the_turn_old_file_is_what_it_says(old_db):
    con = duckdb.connect(str(old_db), read_only=True)
    assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(5,)]
    con.close()
    counts = {t: len(rows) for t, rows in duckdb_rows(old_db).items()}
    assert counts == {"initiatives": 2, "meetings": 1, "decisions": 2, "action_items": 2, "change_log": 30}


def test_opening_a_turn_old_database_moves_its_joint_work_out(old_db):
    before = duckdb_rows(old_db)
    db.connect(old_db).close()  # the first writable open runs migration 6
    con = db.connect(old_db, read_only=True)
    assert db.schema_version(con) == db.LATEST_VERSION
    left = db.query_rows(con, "SELECT table_name FROM information_schema.tables WHERE table_name IN "
                              "('initiatives', 'meetings', 'decisions', 'action_items', 'change_log')")
    assert left == []  # gone from the analytics file...
    assert db.query_rows(con, "SELECT count(*) FROM orders") == [(11,)]  # ...whose company data stays
    con.close()

    with workspace.opened(workspace.path_for(old_db)) as ws:  # ...and in the workspace, row for row
        ranked = joint.initiatives(ws, as_of=date(2025, 4, 10))
        log = joint.history(ws)
        action_log = joint.history(ws, "action")
        assert joint.meetings(ws) == [date(2025, 3, 9)]
        decided = joint.decisions(ws)
        actions = joint.actions(ws, as_of=date(2025, 4, 10))
    # Worked out from the old rows: "Mobile release gate" CMO (5, 2), CIO (4, 3): priority 4.5 / 2.5.
    gate = ranked.set_index("title").loc["Mobile release gate"]
    assert gate["priority"] == pytest.approx(1.8) and gate["touchpoints"] == ["mobile_app", "web"]
    assert gate["description"] == "Tests, staged roll-out; 'quotes' & ünïcode"
    assert gate["started_on"].date() == date(2025, 3, 1) and gate["due_date"].date() == date(2025, 6, 30)
    loyalty = ranked.set_index("title").loc["Loyalty relaunch"]
    assert loyalty["awaiting_score"] == "CIO" and loyalty["priority"] != loyalty["priority"]
    old_log = before["change_log"]
    assert len(action_log) == 9  # 4 fields x 2 actions + one status change
    assert sorted([*log["change_id"], *action_log["change_id"]]) == [r[0] for r in old_log]
    assert [(r[3], r[5], r[6]) for r in old_log if r[1] == "initiative"] == list(
        zip(log["field"], log["new_value"], log["author"]))
    assert list(decided["text"]) == [r[2] for r in before["decisions"]]
    assert list(decided["initiative"].fillna("-")) == ["Mobile release gate", "-"]
    assert dict(zip(actions["text"], actions["status"])) == {
        "Publish the post-mortem.": "done", "Cost the loyalty data work.": "open"}
    assert list(actions["overdue"]) == [False, True]  # the open one was due 6 April


def test_new_ids_follow_the_moved_ones(old_db):
    db.connect(old_db).close()
    with workspace.opened(workspace.path_for(old_db)) as ws:
        new_id = joint.create_initiative(ws, {"title": "After the move", "owner": "CIO", "cost_band": "S"},
                                         joint.Person("Ian", "CIO"), known_touchpoints=["web"])
        assert new_id == 3
        assert joint.history(ws, "initiative", new_id)["change_id"].min() == 31


def test_the_move_runs_through_an_atomic_write_as_the_app_does(old_db):
    # The app and the CLI upgrade a copy and swap it in: the workspace goes
    # beside the real file, not beside the copy.
    with db.writing(old_db):
        pass
    with workspace.opened(workspace.path_for(old_db)) as ws:
        assert len(joint.initiatives(ws)) == 2
    assert not list(old_db.parent.glob(".*.writing.workspace.sqlite*"))


def test_a_move_whose_analytics_half_failed_is_finished_once(old_db):
    # The workspace committed the rows, then the analytics migration died:
    # the next open finds them there and only drops the old tables.
    rows = duckdb_rows(old_db)
    con = duckdb.connect(str(old_db), read_only=True)
    tables = {}
    for t in JOINT_TABLES:
        result = con.execute(f"SELECT * FROM {t}")
        names = [d[0] for d in result.description]
        tables[t] = [dict(zip(names, r)) for r in result.fetchall()]
    con.close()
    assert workspace.move_in(workspace.path_for(old_db), tables, "test") == 37
    db.connect(old_db).close()
    with workspace.opened(workspace.path_for(old_db)) as ws:
        assert len(joint.history(ws)) + len(joint.history(ws, "action")) == len(rows["change_log"])
        assert workspace.rows(ws, "SELECT count(*) FROM moved_in") == [(1,)]


def test_a_workspace_holding_other_work_refuses_the_move_and_nothing_changes(old_db):
    with workspace.opened(workspace.path_for(old_db)) as ws:
        joint.add_decision(ws, date(2025, 5, 1), "Someone else's decision", joint.Person("Ana", "CMO"))
    original = old_db.read_bytes()
    with pytest.raises(workspace.WorkspaceError, match="already holds other joint work"):
        with db.writing(old_db):
            pass
    assert old_db.read_bytes() == original  # still schema 5, joint work still inside
    with workspace.opened(workspace.path_for(old_db)) as ws:
        assert list(joint.decisions(ws)["text"]) == ["Someone else's decision"]
        assert joint.initiatives(ws).empty


def test_a_new_database_has_no_joint_tables_and_makes_no_workspace(tmp_path):
    path = tmp_path / "fresh.duckdb"
    db.connect(path).close()
    assert not workspace.path_for(path).exists()  # nothing to move: no file appears


def test_a_newer_workspace_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "x.workspace.sqlite"
    workspace.connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {workspace.LATEST_VERSION + 1}")
    raw.close()
    with pytest.raises(workspace.WorkspaceError, match="newer than this CX Hub"):
        workspace.connect(path)


def test_the_workspace_is_in_wal_mode_and_beside_the_database(tmp_path):
    assert workspace.path_for(tmp_path / "cxhub.duckdb") == tmp_path / "cxhub.workspace.sqlite"
    with workspace.opened(tmp_path / "cxhub.workspace.sqlite") as ws:
        assert workspace.rows(ws, "PRAGMA journal_mode") == [("wal",)]
        assert workspace.schema_version(ws) == workspace.LATEST_VERSION


def test_an_edit_does_not_wait_for_an_import(tiny_db_path):
    """While an import holds the analytics file's writer lock, a decision is
    recorded in the workspace (it would hang here if it needed that lock)."""
    holding, release = threading.Event(), threading.Event()

    def importer():
        with db.writing(tiny_db_path):
            holding.set()
            release.wait(30)

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert holding.wait(30)
        with workspace.opened(workspace.path_for(tiny_db_path)) as ws:
            joint.add_decision(ws, date(2025, 4, 10), "Recorded during an import", joint.Person("Ana", "CMO"))
            assert thread.is_alive()  # the import is still running
            assert list(joint.decisions(ws)["text"]) == ["Recorded during an import"]
    finally:
        release.set()
        thread.join()


WRITER = """
import sys
from datetime import date
from cxhub import joint, workspace
path, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
with workspace.opened(path) as ws:
    for i in range(count):
        joint.add_decision(ws, date(2025, 4, 10), f"{who} {i}", joint.Person(who, "CMO"))
"""


def test_several_processes_write_at_once_and_nothing_is_lost(tmp_path):
    path = str(tmp_path / "shared.workspace.sqlite")
    workspace.connect(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, name, "40"], stderr=subprocess.PIPE, text=True)
             for name in ("Ana", "Ben", "Cy")]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    with workspace.opened(path) as ws:
        texts = list(joint.decisions(ws)["text"])
    assert sorted(texts) == sorted(f"{n} {i}" for n in ("Ana", "Ben", "Cy") for i in range(40))


def test_migration_statements_split_around_trigger_bodies():
    script = "CREATE TABLE t (a INT);\n-- note\nCREATE TRIGGER x BEFORE DELETE ON t\nBEGIN SELECT 1; SELECT 2; END;\n"
    assert workspace.statements(script) == [
        "CREATE TABLE t (a INT);", "CREATE TRIGGER x BEFORE DELETE ON t\nBEGIN SELECT 1; SELECT 2; END;"]
