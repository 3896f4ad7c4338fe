"""The meeting pack (HTML and PDF from one content) and the spreadsheet
exports, on the judged company of conftest.py with a meeting recorded."""

from __future__ import annotations

import io
import re
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader

from cxhub import exports, joint, pack
from cxhub.cli import main
from cxhub.kpis import CATALOG, Period, scorecard

from fixtures import TINY_TOUCHPOINTS as TPS

MEETING = date(2025, 4, 10)
CMO = joint.Person("Claire", "CMO")
CIO = joint.Person("Ian", "CIO")
DECISION = "Fund <b>callbacks</b> & measure FCR"  # markup must come out as text


@pytest.fixture
def meeting_db(judged_db, ws):
    a = joint.create_initiative(ws, {"title": "Callback service", "owner": "Joint", "cost_band": "L",
                                          "cmo_impact": 5, "cmo_effort": 2, "touchpoints": ["contact_center"],
                                          "kpi_ids": ["fcr"]}, CMO, known_touchpoints=TPS)
    joint.update_initiatives(ws, {a: {"cio_impact": 3, "cio_effort": 4}}, CIO, known_touchpoints=TPS)
    joint.add_decision(ws, MEETING, DECISION, CMO, initiative_id=a)
    joint.add_action(ws, MEETING, "Cost the callback platform", "Ian", "2025-05-15", CIO, a)
    return judged_db, ws


@pytest.fixture
def content(meeting_db):
    return pack.build(*meeting_db, MEETING)


def test_the_pack_has_every_section_in_order(content):
    assert [s.title for s in content.sections] == list(pack.SECTIONS)
    assert content.file_stem() == "cxhub-steering-2025-04-10"
    trends = next(s for s in content.sections if s.title == "Trends of the red KPIs")
    assert [b.title for b in trends.blocks] == ["Churn rate"]  # the one red KPI of March (see test_agenda)
    summary = content.sections[0].blocks  # the meeting at a glance, before anything else
    assert "Off target: 1 KPI(s) — Churn rate; newly red since the last meeting: Churn rate." in summary
    assert "To discuss: 1 initiative(s); 0 open action item(s) from earlier meetings, 0 overdue." in summary
    assert "Recorded at this meeting: 1 decision(s), 1 action item(s)." in summary


def test_the_html_is_self_contained_and_escapes_user_text(content):
    html = pack.to_html(content)
    for title in pack.SECTIONS:
        assert f"<h2>{title}</h2>" in html
    # Nothing is fetched: no element loads a URL (plotly.js itself is inline, its
    # code's own strings set aside), no stylesheet link, no @import.
    markup = re.sub(r"<script>.*?</script>", "<script></script>", html, flags=re.DOTALL)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", markup)
    assert "<link" not in markup and "@import" not in markup and "<script src" not in html
    assert html.count('class="plotly-graph-div"') == 2  # the red KPI's trend and the priorities matrix
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js is inlined
    assert "Fund &lt;b&gt;callbacks&lt;/b&gt; &amp; measure FCR" in html
    assert "<b>callbacks</b>" not in html


def test_the_pdf_has_the_same_content(content):
    reader = PdfReader(io.BytesIO(pack.to_pdf(content)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert len(reader.pages) >= len(pack.SECTIONS)  # each section starts a page
    starts = [next(i for i, p in enumerate(reader.pages) if title in p.extract_text()) for title in pack.SECTIONS]
    assert starts == sorted(starts), "sections in order"
    for needle in ("Steering meeting, 10 Apr 2025", "Reviews Mar 2025 against Feb 2025", "Churn rate",
                   "Callback service", "needs discussion", DECISION, "Cost the callback platform",
                   "Priority = agreed impact ÷ agreed effort"):
        assert needle in text, needle
    # Every KPI of the catalog is on the scorecard page.
    scorecard = reader.pages[starts[list(pack.SECTIONS).index("Scorecard")]].extract_text()
    assert all(k.name in scorecard for k in CATALOG)
    # No table header breaks inside a word ("Owne r"): each word of each header is on one line.
    lines = {line.strip() for page in reader.pages for line in page.extract_text().splitlines()}
    words = {w for line in lines for w in line.split()}
    headers = [c for s in content.sections for b in s.blocks if isinstance(b, pack.Table) and b.rows for c in b.columns]
    broken = [w for h in headers for w in h.split() if w not in words and len(w) > 2]
    assert not broken, broken
    # The charts are images embedded in the file.
    assert sum(len(p.images) for p in reader.pages) == 2


def test_cli_writes_both_files(tiny_db_path, tmp_path, capsys):
    out = tmp_path / "pack"
    assert main(["pack", "--meeting", "2025-04-10", "--out", str(out), "--db", str(tiny_db_path)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["cxhub-steering-2025-04-10.html",
                                                      "cxhub-steering-2025-04-10.pdf"]
    assert (out / "cxhub-steering-2025-04-10.pdf").read_bytes().startswith(b"%PDF")
    assert "cxhub-steering-2025-04-10.html" in capsys.readouterr().out


def test_cli_pack_refuses_a_missing_database(tmp_path, capsys):
    assert main(["pack", "--meeting", "2025-04-10", "--out", str(tmp_path), "--db", str(tmp_path / "no.duckdb")]) == 2
    assert "No database at" in capsys.readouterr().err


def test_scorecard_export_round_trips_through_csv_and_excel(judged_db):
    period = Period(date(2025, 3, 1), date(2025, 3, 31))
    card = scorecard(judged_db, period)
    sheet = exports.scorecard_frame(card, period, pd.Timestamp("2025-04-02 08:00:01"))
    assert list(sheet["kpi_id"]) == [k.id for k in CATALOG]
    from_csv = pd.read_csv(io.BytesIO(exports.to_csv(sheet)), encoding="utf-8-sig")
    from_xlsx = pd.read_excel(io.BytesIO(exports.to_excel({"Scorecard": sheet})), sheet_name="Scorecard")
    for frame in (from_csv, from_xlsx):
        row = frame.set_index("kpi_id").loc["churn_rate"]
        assert row["value"] == pytest.approx(25.0) and row["status"] == "red"  # 10 of 40, see test_agenda
        assert row["n"] == 40 and bool(row["complete"]) and not bool(row["small_sample"])
        assert row["status_note"] == "Off target"
        assert row["definition"] == next(k.business for k in CATALOG if k.id == "churn_rate")
        assert str(row["data_loaded_at"]).startswith("2025-04-02 08:00:01")


def test_initiatives_export_lists_every_field(meeting_db):
    frame = joint.initiatives(meeting_db[1])
    sheet = pd.read_excel(io.BytesIO(exports.to_excel({"Initiatives": exports.initiatives_frame(frame)})))
    row = sheet.iloc[0]
    assert row["title"] == "Callback service" and row["touchpoints"] == "contact_center"
    assert row["priority"] == pytest.approx(4 / 3) and bool(row["needs_discussion"])
    assert {f.label.lower().replace(" ", "_") for f in joint.FIELDS} <= set(sheet.columns)


def test_no_literal_none_or_nan_in_any_pack_table(content):
    cells = [v for s in content.sections for b in s.blocks if isinstance(b, pack.Table) for row in b.rows for v in row]
    assert cells and not [v for v in cells if v in ("None", "nan", "NaN", "NaT")]
    assert pack.cell_text(None) == pack.cell_text(float("nan")) == "–"


def test_the_pack_carries_the_insights(content):
    insights = next(s for s in content.sections if s.title == "Insights")
    tables = {b.title.split(" (")[0]: b for b in insights.blocks if hasattr(b, "rows")}
    # The judged company's March: 54 NPS answers on one day at one touchpoint, fewer than 100.
    assert any(isinstance(b, str) and b.startswith("What moves NPS: no result") for b in insights.blocks)
    assert "What customers are saying" in tables
    agenda_first = next(s for s in content.sections if s.title == "Agenda").blocks[0]
    assert agenda_first.title.startswith("0. What just broke")
