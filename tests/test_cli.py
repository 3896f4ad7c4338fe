"""The cxhub command: JSON equals the engine; bad input exits non-zero."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from cxhub import cli, db
from cxhub.kpis import CATALOG, Filters, Period, scorecard


def run(*args):
    """The real console entry point, in a child process."""
    return subprocess.run([sys.executable, "-m", "cxhub.cli", *args], capture_output=True, text=True)


def test_kpis_json_equals_the_engine(tiny_db_path):
    out = run("kpis", "--db", str(tiny_db_path), "--start", "2025-03-01", "--end", "2025-03-31",
              "--touchpoint", "web", "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["period"] == {"start": "2025-03-01", "end": "2025-03-31"}
    assert doc["previous"] == {"start": "2025-02-01", "end": "2025-02-28"}
    assert doc["filters"] == {"touchpoint": ["web"], "segment": [], "region": []}
    assert [k["id"] for k in doc["kpis"]] == [k.id for k in CATALOG]

    con = db.connect(tiny_db_path, read_only=True)
    engine = scorecard(con, Period.parse("2025-03-01", "2025-03-31"), Filters(touchpoints=("web",)))
    for got, want in zip(doc["kpis"], engine.to_dict("records")):
        for field in ("value", "previous", "target"):
            if want[field] is None or (isinstance(want[field], float) and math.isnan(want[field])):
                assert got[field] is None, (got["id"], field)
            else:
                assert got[field] == pytest.approx(want[field]), (got["id"], field)
        assert got["status"] == want["status"]
    assert {k["id"]: k["value"] for k in doc["kpis"]}["csat"] == pytest.approx(60.0)  # by hand, test_kpis


def test_kpis_table_and_csv(tiny_db_path):
    table = run("kpis", "--db", str(tiny_db_path), "--start", "2025-03-01", "--end", "2025-03-31")
    assert table.returncode == 0 and "Retention rate" in table.stdout and "66.7%" in table.stdout
    csv_out = run("kpis", "--db", str(tiny_db_path), "--start", "2025-03-01", "--end", "2025-03-31",
                  "--format", "csv", "--segment", "consumer")
    lines = csv_out.stdout.splitlines()
    assert lines[0].startswith("id,name,unit,owner,value")
    assert len(lines) == 1 + len(CATALOG)
    assert lines[1].startswith("retention_rate,") and ",50.0," in lines[1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--start", "2025-03-31", "--end", "2025-03-01"], "before --start"),
        (["--start", "2025-03-01", "--end", "2025-03-31", "--touchpoint", "fax"], "unknown touchpoint fax"),
        (["--start", "2025-13-01", "--end", "2025-03-31"], "not a date"),
    ],
)
def test_kpis_errors(tiny_db_path, args, message):
    out = run("kpis", "--db", str(tiny_db_path), *args)
    assert out.returncode != 0
    assert message in out.stderr


def test_missing_database(tmp_path):
    missing = tmp_path / "nothing.duckdb"
    out = run("kpis", "--db", str(missing), "--start", "2025-03-01", "--end", "2025-03-31")
    assert out.returncode == 2 and f"No database at {missing}. Build one with `cxhub demo" in out.stderr
    assert not missing.exists()


def test_database_from_environment(tiny_db_path, monkeypatch, capsys):
    monkeypatch.setenv(db.ENV_VAR, str(tiny_db_path))
    assert cli.main(["kpis", "--start", "2025-03-01", "--end", "2025-03-31", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["kpis"][0]["value"] == pytest.approx(200 / 3)


def test_demo_command(tmp_path):
    path = tmp_path / "d.duckdb"
    out = run("demo", "--db", str(path), "--customers", "300", "--months", "6", "--end-month", "2026-10")
    assert out.returncode == 0, out.stderr
    assert "customers" in out.stdout and "300" in out.stdout
    con = db.connect(path, read_only=True)
    assert db.query_rows(con, "SELECT count(*), min(signup_date) <= DATE '2026-05-01' FROM customers") == [(300, True)]
    first = db.query_rows(con, "SELECT min(occurred_at)::DATE FROM interactions")[0][0]
    assert first.isoformat() >= "2026-05-01"


def test_the_demo_help_states_the_demo_defaults(capsys):
    """The CLI does not load the demo module to build its parser; its help
    text must still say what the demo defaults to."""
    from cxhub import demo

    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    demo_help = capsys.readouterr().out
    assert f"{demo.DEFAULT_CUSTOMERS:,}" in demo_help and f"({demo.DEFAULT_SEED})" in demo_help
    assert str(demo.DEFAULT_MONTHS) in demo_help
