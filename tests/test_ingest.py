"""Imports: bad input is the point. Every rule broken on purpose; nothing
half-loads; a killed import leaves the database as it was."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxhub import cli, db, ingest

from fixtures import HEADER, TOUCHPOINTS, load, rows, snapshot, write

@pytest.fixture
def base(tmp_path):
    """A database with two touchpoints, loaded through the importer."""
    path = tmp_path / "cx.duckdb"
    tp = tmp_path / "touchpoints.csv"
    tp.write_text(TOUCHPOINTS)
    with db.writing(path) as con:
        assert ingest.load_file(con, "touchpoints", tp).outcome == "loaded"
    return path


def rejected(path):
    return rows(path, "SELECT line, column_name, rule, value FROM rejected_rows ORDER BY line, column_name")


# ------------------------------------------------------------------ good files in every format

def test_csv_loads_and_converts_types(base, tmp_path):
    f = write(tmp_path, "i.csv", HEADER +
              "i1,c1,web,2025-03-01T14:05:00Z,billing,yes,30\n"
              "i2,,contact_center,2025-03-01T14:05:00+02:00,support,0,12.5\n"
              "i3,c2,web,2025-03-02 08:00:00,,,\n")
    r = load(base, "interactions", f)
    assert (r.outcome, r.rows_read, r.rows_loaded, r.rows_rejected) == ("loaded", 3, 3, 0)
    got = {x[0]: x for x in rows(base, "SELECT interaction_id, customer_id, occurred_at::VARCHAR, resolved, "
                                       "handle_seconds FROM interactions")}
    assert got["i1"] == ("i1", "c1", "2025-03-01 14:05:00", True, 30.0)
    assert got["i2"] == ("i2", None, "2025-03-01 12:05:00", False, 12.5)  # +02:00 stored as UTC; empty = anonymous
    assert got["i3"][3] is None and got["i3"][4] is None


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_common_delimiter_quotes_and_bom(base, tmp_path, delimiter):
    lines = [["interaction_id", "touchpoint_id", "occurred_at", "intent"],
             ["i1", "web", "2025-03-01T10:00:00", f'"billing{delimiter} and more"'],
             ["i2", "web", "2025-03-01T11:00:00", '"said ""hi"""']]
    text = "\ufeff" + "\n".join(delimiter.join(x) for x in lines) + "\n"
    r = load(base, "interactions", write(tmp_path, "i.csv", text))
    assert (r.outcome, r.rows_loaded) == ("loaded", 2), r.summary()
    intents = dict(rows(base, "SELECT interaction_id, intent FROM interactions"))
    assert intents == {"i1": f"billing{delimiter} and more", "i2": 'said "hi"'}


def test_gzip_parquet_and_json_lines(base, tmp_path):
    gz = tmp_path / "i.csv.gz"
    gz.write_bytes(gzip.compress((HEADER + "i1,c1,web,2025-03-01T10:00:00,,true,1\n").encode()))
    assert load(base, "interactions", gz).rows_loaded == 1

    pq = tmp_path / "i.parquet"
    duckdb.sql(f"COPY (SELECT 'i2' AS interaction_id, 'web' AS touchpoint_id, TIMESTAMP '2025-03-02 10:00:00' "
               f"AS occurred_at, true AS resolved, 5.0 AS handle_seconds) TO '{pq}' (FORMAT parquet)")
    assert load(base, "interactions", pq).rows_loaded == 1

    js = tmp_path / "i.jsonl"
    js.write_text("\n".join(json.dumps(x) for x in [
        {"interaction_id": "i3", "touchpoint_id": "web", "occurred_at": "2025-03-03T10:00:00Z", "resolved": False},
        {"interaction_id": "i4", "touchpoint_id": "fax", "occurred_at": "2025-03-03T10:00:00Z"},
    ]) + "\n")
    r = load(base, "interactions", js)
    assert (r.rows_loaded, r.rows_rejected) == (1, 1)
    assert sorted(x[0] for x in rows(base, "SELECT interaction_id FROM interactions")) == ["i1", "i2", "i3"]


# ------------------------------------------------------------------ every rule broken on purpose

@pytest.mark.parametrize("row, column, rule", [
    ("i1,c1,web,yesterday,,,", "occurred_at", "type: expected an ISO 8601 timestamp"),
    ("i1,c1,web,2025-03-01,,maybe,", "resolved", "type: expected true/false, 1/0 or yes/no"),
    ("i1,c1,web,2025-03-01,,,abc", "handle_seconds", "type: expected a number"),
    ("i1,c1,web,2025-03-01,,,-1", "handle_seconds", "range: must be >= 0"),
    ("i1,c1,fax,2025-03-01,,,", "touchpoint_id", "reference: unknown touchpoint_id (load touchpoints first)"),
    (",c1,web,2025-03-01,,,", "interaction_id", "required: the value is empty"),
])
def test_each_broken_rule_is_kept_with_its_reason(base, tmp_path, row, column, rule):
    before = snapshot(base)
    r = load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i0,c0,web,2025-03-01,,,\n" + row + "\n"))
    assert (r.outcome, r.rows_read, r.rows_loaded, r.rows_rejected) == ("partial", 2, 1, 1)
    assert [(line, col, rl) for line, col, rl, _ in rejected(base)] == [(3, column, rule)]
    original = json.loads(rows(base, "SELECT original FROM rejected_rows")[0][0])
    assert original["interaction_id"] == (row.split(",")[0] or None)
    after = snapshot(base)
    assert [x[0] for x in after["interactions"]] == ["i0"]  # only the good row loaded
    assert after["touchpoints"] == before["touchpoints"]


@pytest.mark.parametrize("table, text, column, rule", [
    ("surveys", "response_id,touchpoint_id,responded_at,nps,csat,ces\nr1,web,2025-03-01,11,,\n",
     "nps", "range: must be between 0..10"),
    ("surveys", "response_id,touchpoint_id,responded_at,nps,csat,ces\nr1,web,2025-03-01,,,\n",
     "", "row: at least one of nps, csat, ces is required"),
    ("surveys", "response_id,touchpoint_id,responded_at,nps,csat,ces\nr1,web,2025-03-01,,4.5,\n",
     "csat", "type: expected a whole number"),
    ("touchpoints", "touchpoint_id,name,kind,owner\nstore,Stores,physical,CEO\n",
     "owner", "allowed: must be one of CMO, CIO, Joint"),
    ("touchpoints", "touchpoint_id,name,kind,owner\nMy Store,Stores,physical,CMO\n",
     "touchpoint_id", "format: a lower-case slug (a-z, 0-9, _), at most 40 characters"),
    ("customers", "customer_id,signup_date\nc1,03/01/2025\n", "signup_date", "type: expected a date (YYYY-MM-DD)"),
    ("orders", "order_id,customer_id,touchpoint_id,ordered_at,amount\no1,c1,web,2025-03-01,-3\n",
     "amount", "range: must be >= 0"),
    ("system_health", "touchpoint_id,day,availability_pct\nweb,2025-03-01,101\n",
     "availability_pct", "range: must be between 0..100"),
    ("kpi_targets", "kpi_id,touchpoint_id,target\nhappiness,,80\n", "kpi_id",
     "reference: unknown kpi_id (see the glossary)"),
])
def test_rules_of_every_table(base, tmp_path, table, text, column, rule):
    r = load(base, table, write(tmp_path, "f.csv", text))
    assert (r.rows_loaded, r.rows_rejected) == (0, 1), r.summary()
    assert [(c, rl) for _, c, rl, _ in rejected(base)] == [(column, rule)]


def test_duplicate_key_in_a_file_keeps_the_first(base, tmp_path):
    r = load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,first,,\n"
                                         "i2,c1,web,2025-03-01,,,\ni1,c1,web,2025-03-02,second,,\n"))
    assert (r.rows_loaded, r.rows_rejected) == (2, 1)
    assert rejected(base) == [(4, "interaction_id", "duplicate key: the same key appears earlier in the file", "i1")]
    assert rows(base, "SELECT intent FROM interactions WHERE interaction_id = 'i1'") == [("first",)]


def test_composite_key_with_empty_part(base, tmp_path):
    text = "kpi_id,touchpoint_id,target\ncsat,,80\ncsat,web,85\ncsat,,82\n"
    r = load(base, "kpi_targets", write(tmp_path, "t.csv", text))
    assert (r.rows_loaded, r.rows_rejected) == (2, 1)
    # a later file replaces the company-wide row by its (kpi_id, empty) key
    load(base, "kpi_targets", write(tmp_path, "t2.csv", "kpi_id,touchpoint_id,target\ncsat,,90\n"))
    assert rows(base, "SELECT touchpoint_id, target FROM kpi_targets ORDER BY 1 NULLS FIRST") == [(None, 90.0), ("web", 85.0)]


# ------------------------------------------------------------------ refused files change nothing

@pytest.mark.parametrize("name, content, message", [
    ("i.csv", "interaction_id,customer_id,touchpoint_id\ni1,c1,web\n", "missing required column occurred_at"),
    ("i.csv", "", "the file is empty"),
    ("i.csv", "hello world\nthis is not a table\n", "found a single column"),
    ("i.csv", "interaction_id touchpoint_id occurred_at\ni1 web 2025-03-01\n", "found a single column"),
    ("i.csv.gz", gzip.compress((HEADER + "".join(f"i{n},c{n * 7},web,2025-03-01,,,{n}\n" for n in range(5000)))
                               .encode())[:4000], "truncated"),
    ("i.xlsx", "whatever", "unknown file type"),
])
def test_refused_files_load_nothing(base, tmp_path, name, content, message):
    before = snapshot(base)
    r = load(base, "interactions", write(tmp_path, name, content))
    assert r.outcome == "refused" and message in r.message, r.message
    assert str(tmp_path / name) in r.message  # names the file
    assert snapshot(base) == before
    assert rows(base, "SELECT outcome FROM import_log ORDER BY import_id DESC LIMIT 1") == [("refused",)]


def test_header_only_loads_nothing_and_says_so(base, tmp_path):
    r = load(base, "interactions", write(tmp_path, "i.csv", HEADER))
    # Not "loaded": a file with no rows is almost always the wrong export.
    assert (r.outcome, r.rows_read, r.rows_loaded) == ("refused", 0, 0)
    assert "has a header but no data rows; nothing was loaded" in r.message


def test_non_utf8_and_malformed_lines_are_rejected_with_their_line(base, tmp_path):
    content = (HEADER + "i1,c1,web,2025-03-01,,,\n").encode() + b"i2,c1,web,2025-03-01,caf\xe9,,\n" + \
        b"i3,c1,web\n" + b"i4,c1,web,2025-03-01,,,\n"
    r = load(base, "interactions", write(tmp_path, "i.csv", content))
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (4, 2, 2), r.summary()
    got = rows(base, "SELECT line, rule FROM rejected_rows ORDER BY line")
    assert [g[0] for g in got] == [3, 4]
    assert "INVALID ENCODING" in got[0][1] and "MISSING COLUMNS" in got[1][1]
    assert sorted(x[0] for x in rows(base, "SELECT interaction_id FROM interactions")) == ["i1", "i4"]


def test_line_numbers_count_skipped_lines_back_in():
    assert ingest._line_of(1, []) == 2
    assert ingest._line_of(2, [3]) == 4  # line 3 was malformed: the 2nd parsed row is line 4
    assert ingest._line_of(2, [3, 4]) == 5
    assert ingest._line_of(3, [3, 6]) == 5


# ------------------------------------------------------------------ idempotent, dry run, CLI

def test_reimport_is_a_no_op(base, tmp_path):
    f = write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\ni2,c1,web,2025-03-02,,true,4\n")
    load(base, "interactions", f)
    first = snapshot(base)
    r = load(base, "interactions", f)
    assert (r.rows_loaded, r.rows_replaced) == (2, 2)
    assert snapshot(base) == first


def test_dry_run_changes_nothing(base, tmp_path):
    before = snapshot(base)
    log = rows(base, "SELECT count(*) FROM import_log")
    r = load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\ni2,c1,fax,x,,,\n"),
             dry_run=True)
    assert (r.outcome, r.rows_loaded, r.rows_rejected) == ("dry-run", 1, 1)
    assert {x[4] for x in r.rejected_sample} == {"touchpoint_id", "occurred_at"}
    assert snapshot(base) == before and rows(base, "SELECT count(*) FROM import_log") == log


def test_cli_exit_codes_and_rejects_export(base, tmp_path, capsys):
    good = write(tmp_path, "good.csv", HEADER + "i1,c1,web,2025-03-01,,,\n")
    bad = write(tmp_path, "bad.csv", HEADER + "i2,c1,web,2025-03-01,,,\ni3,c1,fax,2025-03-01,,,\n")
    assert cli.main(["import", "interactions", str(good), "--db", str(base)]) == 0
    assert cli.main(["import", "interactions", str(bad), "--db", str(base)]) == cli.EXIT_REJECTED
    refused = write(tmp_path, "refused.csv", "a,b\n1,2\n")
    assert cli.main(["import", "interactions", str(refused), "--db", str(base)]) == cli.EXIT_REFUSED
    out = capsys.readouterr().out
    assert "read 2, loaded 1 (1 new, 0 replaced), rejected 1" in out and "REFUSED" in out
    export = tmp_path / "rejects.csv"
    assert cli.main(["rejects", "--db", str(base), "--table", "interactions", "--out", str(export)]) == 0
    lines = export.read_text().splitlines()
    assert len(lines) == 2 and "fax" in lines[1] and "bad.csv" in lines[1]


# ------------------------------------------------------------------ property: nothing is lost

cells = st.one_of(st.none(), st.sampled_from(["web", "fax", "yes", "no", "2", "-1", "x", "2025-03-01",
                                              "2025-03-01T10:00:00Z", "1e3", "i1"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(cells, cells, cells, cells, cells, cells, cells), max_size=25))
def test_loaded_plus_rejected_equals_read(base, tmp_path, data):
    text = HEADER + "".join(",".join("" if c is None else c for c in row) + "\n" for row in data)
    f = write(tmp_path, "p.csv", text)
    before = rows(base, "SELECT count(*) FROM interactions")[0][0]
    r = load(base, "interactions", f)
    assert r.rows_read == len(data)
    assert r.rows_loaded + r.rows_rejected == r.rows_read
    after = rows(base, "SELECT count(*) FROM interactions")[0][0]
    assert after == before + r.rows_loaded - r.rows_replaced


# ------------------------------------------------------------------ crash safety and coexistence

def test_killed_import_leaves_the_database_as_it_was(base, tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write(HEADER)
        for i in range(600_000):
            f.write(f"k{i},c{i % 5000},web,2025-03-01T10:00:00,billing,true,{i % 300}\n")
    before = snapshot(base)
    proc = subprocess.Popen([sys.executable, "-m", "cxhub.cli", "import", "interactions", str(big),
                             "--db", str(base)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # wait until the copy being written exists, then kill the import mid-load
    deadline = time.time() + 60
    while time.time() < deadline and not list(base.parent.glob(f".{base.name}.*.writing")):
        time.sleep(0.02)
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(base) == before
    # the next writer clears the dead import's copy and works
    assert load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\n")).rows_loaded == 1
    assert not list(base.parent.glob(f".{base.name}.*.writing*"))


def test_import_while_the_dashboard_reads(base, tmp_path):
    # The dashboard holds a read-only snapshot; a CLI import in another
    # process neither waits for it nor disturbs it, and a new snapshot sees it.
    app_con = db.open_snapshot(base)
    assert db.query_rows(app_con, "SELECT count(*) FROM interactions") == [(0,)]
    f = write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\n")
    out = subprocess.run([sys.executable, "-m", "cxhub.cli", "import", "interactions", str(f), "--db", str(base)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert db.query_rows(app_con, "SELECT count(*) FROM interactions") == [(0,)]  # its snapshot is stable
    fresh = db.open_snapshot(base)
    assert db.query_rows(fresh, "SELECT count(*) FROM interactions") == [(1,)]
