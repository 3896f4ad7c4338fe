"""The database: path resolution, schema matches the contract, migrations."""

from __future__ import annotations

import duckdb
import pytest

from cxhub import contract, db

TYPES = {
    "text": {"VARCHAR"},
    "date": {"DATE"},
    "timestamp": {"TIMESTAMP"},
    "boolean": {"BOOLEAN"},
    "integer": {"TINYINT", "SMALLINT", "INTEGER", "BIGINT"},
    "number": {"DOUBLE"},
    "decimal": {"DECIMAL(18,4)"},
}


def test_db_path_precedence(monkeypatch, tmp_path):
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.resolve_db_path() == db.DEFAULT_DB
    monkeypatch.setenv(db.ENV_VAR, str(tmp_path / "env.duckdb"))
    assert db.resolve_db_path() == tmp_path / "env.duckdb"
    assert db.resolve_db_path(tmp_path / "cli.duckdb") == tmp_path / "cli.duckdb"


def test_schema_matches_the_contract(empty_db_path):
    con = db.connect(empty_db_path)
    for table in contract.TABLES:
        cols = dict(
            db.query_rows(
                con,
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                [table.name],
            )
        )
        assert [c.name for c in table.columns] == list(cols), table.name
        for c in table.columns:
            assert cols[c.name] in TYPES[c.type], (table.name, c.name, cols[c.name])


def test_checks_refuse_out_of_range_values(empty_db_path):
    con = db.connect(empty_db_path)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO surveys VALUES ('r', NULL, 'web', '2025-01-01', 11, NULL, NULL, NULL)")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO surveys VALUES ('r', NULL, 'web', '2025-01-01', NULL, NULL, NULL, 'x')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO touchpoints VALUES ('Web Site', 'Web', 'digital', 'CMO')")


def test_new_database_is_at_the_latest_version(empty_db_path):
    con = db.connect(empty_db_path)
    assert db.schema_version(con) == db.LATEST_VERSION
    assert db.migrate(con) == []  # nothing left to do


def test_older_database_is_upgraded_in_place_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    assert db.migrate(con, target=1) == [1]
    con.execute("INSERT INTO touchpoints VALUES ('web', 'Website', 'digital', 'CMO')")
    con.execute("INSERT INTO customers VALUES ('c1', '2025-01-01', 'smb', 'North')")
    con.close()

    con = db.connect(path)
    assert db.schema_version(con) == db.LATEST_VERSION
    assert db.query_rows(con, "SELECT * FROM touchpoints") == [("web", "Website", "digital", "CMO")]
    assert db.query_rows(con, "SELECT count(*) FROM customers") == [(1,)]
    assert db.query_rows(con, "SELECT count(*) FROM import_log") == [(0,)]  # added by migration 2
    versions = [r[0] for r in db.query_rows(con, "SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, db.LATEST_VERSION + 1))


def test_newer_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "new.duckdb"
    con = db.connect(path)
    con.execute("INSERT INTO schema_version VALUES (999, 'future', now()::TIMESTAMP)")
    con.close()
    with pytest.raises(db.DatabaseError, match="newer"):
        db.connect(path)
    con = duckdb.connect(str(path))
    assert con.execute("SELECT max(version) FROM schema_version").fetchall() == [(999,)]


def test_read_only_open_of_a_missing_file_does_not_create_it(tmp_path):
    with pytest.raises(db.DatabaseError, match="No database"):
        db.connect(tmp_path / "missing.duckdb", read_only=True)
    assert not (tmp_path / "missing.duckdb").exists()


def test_freshness_and_data_version(tiny_db):
    fresh = db.freshness(tiny_db).set_index("table_name")
    assert str(fresh.loc["orders", "data_to"])[:10] == "2025-04-01"
    assert str(fresh.loc["orders", "loaded_at"])[:19] == "2025-04-02 08:00:01"
    before = db.data_version(tiny_db)
    tiny_db.execute(
        "INSERT INTO import_log (table_name, source, started_at, finished_at, outcome) "
        "VALUES ('surveys', 'x.csv', now()::TIMESTAMP, now()::TIMESTAMP, 'loaded')"
    )
    assert db.data_version(tiny_db) != before


@pytest.mark.parametrize("lag, expected", [(0, "green"), (2, "green"), (3, "amber"), (4, "amber"), (5, "red")])
def test_freshness_status_against_a_daily_cadence(lag, expected):
    from datetime import date, timedelta

    today = date(2026, 11, 24)
    assert db.freshness_status("interactions", today - timedelta(days=lag), today) == expected
    assert db.freshness_status("interactions", None, today) == "red"
