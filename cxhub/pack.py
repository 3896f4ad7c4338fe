"""The meeting pack: what gets mailed round after a steering meeting.

One content (sections of paragraphs, tables and charts) rendered twice: a
self-contained HTML file (Plotly charts, interactive, plotly.js inlined so it
opens with no network) and a PDF (fpdf2, charts drawn by matplotlib as
images, fonts shipped with matplotlib)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

import duckdb
import jinja2
from markupsafe import Markup
import matplotlib
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
from fpdf import FPDF
from fpdf.fonts import FontFace

from cxhub import charts, joint, static_charts
from cxhub.db import freshness, utc_now
from cxhub.joint import agenda as agenda_mod
from cxhub.kpis import KPIS, Period, engine
from cxhub.kpis.period import add_months, month_end
from cxhub.kpis.status import STATUS_WORDS

# The pack opens with the meeting in one screen, then its agenda.
SECTIONS = ("Summary", "Agenda", "Scorecard", "Trends of the red KPIs", "Insights", "Priorities",
            "Decisions and actions")
TREND_MONTHS = 12


def cell_text(value) -> str:
    """A table cell as the pack prints it: no literal None or NaN, ever."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return "–"
    return str(value)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    status_column: int | None = None  # this column's cells are coloured by status
    empty: str = "Nothing."

    def __post_init__(self) -> None:
        self.rows = [[cell_text(v) for v in row] for row in self.rows]


@dataclass
class Chart:
    title: str
    figure: go.Figure
    png: bytes


@dataclass
class Section:
    title: str
    intro: str
    blocks: list = field(default_factory=list)  # str (a paragraph), Table or Chart


@dataclass
class Pack:
    meeting_date: date
    title: str
    subtitle: str
    sections: list[Section]
    scope: str = ""  # the period and filters, on every printed page

    def file_stem(self) -> str:
        return f"cxhub-steering-{self.meeting_date.isoformat()}"


def _fmt_date(d) -> str:
    return "" if d is None or pd.isna(d) else pd.Timestamp(d).strftime("%d %b %Y")


def _score(v) -> str:
    return "–" if v is None or pd.isna(v) else f"{int(v)}"


def _scorecard_table(card: pd.DataFrame) -> Table:
    rows = []
    for r in card.to_dict("records"):
        k = KPIS[r["id"]]
        rows.append([k.name, k.format(r["value"]), k.format_change(r["change"]), k.format(r["target"]),
                     r["note"], f"{int(r['n']):,}", r["owner"]])
    return Table("All KPIs", ["KPI", "Value", "Change", "Target", "Status", "n", "Owner"], rows, status_column=4)


def _trend_window(period: Period) -> Period:
    start = add_months(period.start, -(TREND_MONTHS - 1))
    return Period(start, month_end(period.end))


def build(con: duckdb.DuckDBPyConnection, ws: sqlite3.Connection, meeting_date: date,
          agenda: agenda_mod.Agenda | None = None) -> Pack:
    """Gather the pack's content for the meeting on `meeting_date`."""
    ag = agenda or agenda_mod.build_agenda(con, ws, meeting_date)
    fresh = freshness(con)
    loaded = pd.to_datetime(fresh["loaded_at"]).max()
    subtitle = (f"Reviews {ag.period.label()} against {ag.compared_with.label()}"
                + (f" (last meeting {_fmt_date(ag.last_meeting)})" if ag.last_meeting else "")
                + (f" · data loaded {loaded:%d %b %Y %H:%M} UTC" if not pd.isna(loaded) else
                   " · when the data was loaded is not recorded")  # a Spark catalog keeps no load times
                + f" · pack made {utc_now():%d %b %Y %H:%M} UTC")

    scorecard = Section("Scorecard", f"Every KPI for {ag.period.label()}; change against the month before.",
                        [_scorecard_table(ag.scorecard)])

    red_rows = [[KPIS[r["id"]].name, KPIS[r["id"]].format(r["value"]), KPIS[r["id"]].format(r["target"]),
                 "yes" if r["newly_red"] else "", r["owner"]] for r in ag.red_kpis.to_dict("records")]
    from cxhub.insights import alerts as alerts_mod, drivers as drivers_mod, themes as themes_mod

    names = engine.touchpoints(con).set_index("touchpoint_id")["name"].to_dict()
    broke = [[_fmt_date(a["day"]), names.get(a["touchpoint"], a["touchpoint"]), alerts_mod.BY_ID[a["metric"]].label,
              a["kind"], f"{a['value']:,.2f}", f"{a['expected']:,.2f}"] for a in ag.alerts]  # not a KPI value
    agenda_blocks = [
        Table("0. What just broke (new bad alerts)", ["Day", "Touchpoint", "Series", "Kind", "Value", "Expected"],
              broke, empty="No new bad alert in the month."),
        Table("1. KPIs off target", ["KPI", "Value", "Target", "Turned red since last meeting", "Owner"], red_rows,
              empty="No KPI is off target."),
    ]
    if not ag.recovered.empty:
        agenda_blocks.append("Back from red: " + ", ".join(KPIS[i].name for i in ag.recovered["id"]) + ".")
    agenda_blocks.append(Table("2. Biggest movers", ["What moved"], [[s] for s in ag.movers["sentence"]],
                               empty="No KPI moved beyond its margin of error."))
    agenda_blocks.append(Table(
        "3. Initiatives to discuss", ["#", "Initiative", "Owner", "Status", "Due", "Why"],
        [[str(r["initiative_id"]), r["title"], r["owner"], r["status"], _fmt_date(r["due_date"]), r["reasons"]]
         for r in ag.initiatives.to_dict("records")], empty="No initiative needs the meeting."))
    agenda_blocks.append(Table(
        "4. Open action items", ["Action", "Owner", "Due", "Raised", "Overdue"],
        [[r["text"], r["owner"], _fmt_date(r["due_date"]), _fmt_date(r["meeting_date"]),
          "overdue" if r["overdue"] else ""] for r in ag.open_actions.to_dict("records")],
        empty="No open action items."))
    agenda_section = Section("Agenda", "Built from the data: what is off target, what moved, what needs a decision.",
                             agenda_blocks)

    trend_section = Section("Trends of the red KPIs", f"The last {TREND_MONTHS} months against target.")
    red_ids = list(ag.red_kpis["id"])
    if red_ids:
        all_trends = engine.trends(con, red_ids, _trend_window(ag.period), "month")
        for kpi_id in red_ids:
            trend = all_trends[all_trends["kpi_id"] == kpi_id]
            name = KPIS[kpi_id].name
            figure = charts.trend_chart(trend, kpi_id).update_layout(
                title=dict(text=name, automargin=True, yref="container"), margin=dict(t=60))
            trend_section.blocks.append(Chart(name, figure, static_charts.trend_png(trend, kpi_id, title="")))
    else:
        trend_section.blocks.append("No KPI is off target.")

    inits = joint.initiatives(ws, as_of=meeting_date)
    ranked = [[str(r["initiative_id"]), r["title"], r["owner"], r["status"],
               "–" if pd.isna(r["priority"]) else f"{r['priority']:.2f}",  # not a KPI value
               f"{_score(r['cmo_impact'])}/{_score(r['cmo_effort'])}",
               f"{_score(r['cio_impact'])}/{_score(r['cio_effort'])}",
               "needs discussion" if r["needs_discussion"] else "", _fmt_date(r["due_date"])]
              for r in inits.to_dict("records")]
    priorities = Section("Priorities", joint.PRIORITY_DEFINITION + " " + joint.ALIGNMENT_DEFINITION, [
        Chart("Impact × effort of the open initiatives (bubble size = cost band, red ring = needs discussion; "
              "#: the ranked table below)",
              charts.priority_matrix(inits[~inits["status"].isin(joint.CLOSED)]),
              static_charts.matrix_png(inits[~inits["status"].isin(joint.CLOSED)])),
        Table("Ranked initiatives", ["#", "Initiative", "Owner", "Status", "Priority", "CMO impact/effort",
                                     "CIO impact/effort", "Alignment", "Due"], ranked, empty="No initiatives yet."),
    ])

    decided = joint.decisions(ws, meeting_date)
    raised = joint.actions(ws, as_of=meeting_date, raised_at=meeting_date)
    outcomes = Section("Decisions and actions", f"Recorded at the meeting of {_fmt_date(meeting_date)}.", [
        Table("Decisions", ["Decision", "About", "Recorded by"],
              [[r["text"], r["initiative"] if isinstance(r["initiative"], str) else
                (KPIS[r["kpi_id"]].name if isinstance(r["kpi_id"], str) else ""), f"{r['author']} ({r['role']})"]
               for r in decided.to_dict("records")], empty="No decisions recorded."),
        Table("Action items", ["Action", "Owner", "Due", "Status"],
              [[r["text"], r["owner"], _fmt_date(r["due_date"]), r["status"]] for r in raised.to_dict("records")],
              empty="No action items recorded."),
    ])
    insight_blocks: list = []
    for kpi in ("nps", "csat"):
        doc = drivers_mod.drivers(con, kpi, ag.period)
        if doc.get("reason"):
            insight_blocks.append(f"What moves {kpi.upper()}: no result ({doc['reason']}).")
            continue
        owners = drivers_mod.by_owner(doc)
        insight_blocks.append(Table(
            f"What moves {kpi.upper()} (n = {doc['n']:,}, R² = {doc['r2']:.3f}): "  # not a KPI value
            f"{owners['CIO']:.0f}% sits with the CIO, {owners['CMO']:.0f}% with the CMO, "  # not a KPI value
            f"{owners['Joint']:.0f}% with both",  # not a KPI value
            ["Driver", "Owner", "Share", "Direction"],
            [[d["label"], d["owner"], f"{d['share']:.1f}%", d["direction"]] for d in doc["drivers"]]))  # not a KPI value
    found = themes_mod.themes(con, ag.period)
    insight_blocks.append(Table(
        f"What customers are saying ({found['n_comments']:,} comments; comments themselves are not printed)",
        ["Theme", "Comments", "Share", "Before", "NPS", "CSAT %"],
        [[t["label"], f"{t['count']:,}", f"{t['share']:.1f}%", f"{t['previous_count']:,}",  # not a KPI value
          "–" if t["nps"] is None else f"{t['nps']:+.1f}", "–" if t["csat"] is None else f"{t['csat']:.1f}"]  # not a KPI value
         for t in found["themes"]], empty=f"No themes: {found.get('reason', 'no comments')}."))
    insight_section = Section("Insights", f"What moves satisfaction and what customers say, {ag.period.label()}: "
                                          "drivers by Johnson's relative weights, themes by TF-IDF and NMF.",
                              insight_blocks)

    summary = Section("Summary", f"The meeting of {_fmt_date(meeting_date)} in one screen.",
                      _summary(ag, decided, raised))
    return Pack(meeting_date, f"Steering meeting, {_fmt_date(meeting_date)}", subtitle,
                [summary, agenda_section, scorecard, trend_section, insight_section, priorities, outcomes],
                scope=f"{ag.period.label()} vs {ag.compared_with.label()} · all segments · all regions")


def _names(ids) -> str:
    return ", ".join(KPIS[i].name for i in ids)


def _summary(ag: agenda_mod.Agenda, decided: pd.DataFrame, raised: pd.DataFrame) -> list[str]:
    """A few sentences a reader takes in at a glance: what is red, what
    moved most, what needs a decision, what was decided."""
    if ag.scorecard["value"].isna().all():
        return [f"No data for {ag.period.label()}, the month this meeting reviews: there is nothing to judge."]
    lines = [f"Reviews {ag.period.label()} against {ag.compared_with.label()}."]
    if ag.alerts:
        lines.append(f"What just broke: {len(ag.alerts)} new bad alert(s), worst first in the agenda.")
    if ag.red_kpis.empty:
        lines.append("No KPI is off target (partial values and those from fewer than 30 are not judged).")
    else:
        newly = ag.red_kpis[ag.red_kpis["newly_red"]]["id"]
        lines.append(f"Off target: {len(ag.red_kpis)} KPI(s) — {_names(ag.red_kpis['id'])}"
                     + (f"; newly red since the last meeting: {_names(newly)}." if len(newly) else "."))
    if not ag.recovered.empty:
        lines.append(f"Back from red: {_names(ag.recovered['id'])}.")
    if not ag.movers.empty:
        lines.append(f"Biggest move: {ag.movers['sentence'].iloc[0]}.")
    overdue = int(ag.open_actions["overdue"].sum()) if not ag.open_actions.empty else 0
    lines.append(f"To discuss: {len(ag.initiatives)} initiative(s); {len(ag.open_actions)} open action item(s)"
                 f" from earlier meetings, {overdue} overdue.")
    lines.append(f"Recorded at this meeting: {len(decided)} decision(s), {len(raised)} action item(s).")
    return lines


# ---------------------------------------------------------------- HTML

def to_html(pack: Pack) -> str:
    """A single HTML file: styles and plotly.js inline, no external resource."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(resources.files("cxhub").joinpath("templates/pack.html").read_text("utf-8"))
    charts_html = {}
    for section in pack.sections:
        for block in section.blocks:
            if isinstance(block, Chart):
                charts_html[id(block)] = Markup(charts.on_paper(block.figure).to_html(
                    full_html=False, include_plotlyjs=False, config={"displaylogo": False, "responsive": True}))
    return template.render(
        pack=pack, plotly_js=Markup(plotly.offline.get_plotlyjs()), chart_html=lambda b: charts_html[id(b)],
        status_colors=charts.STATUS_COLORS,
        status_of={v: k for k, v in STATUS_WORDS.items()},
    )


# ---------------------------------------------------------------- PDF

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_INK = (38, 50, 56)
_MUTED = (84, 110, 122)


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class _PackPDF(FPDF):
    def __init__(self, pack: Pack):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.pack = pack
        self.add_font("DejaVu", "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15, 15)
        self.set_title(pack.title)
        self.set_creator("CX Hub")

    def footer(self):
        self.set_y(-10)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*_MUTED)
        self.cell(0, 5, f"CX Hub · {self.pack.title} · {self.pack.scope} · page {self.page_no()}/{{nb}}",
                  align="C")


def _column_widths(pdf: _PackPDF, table: Table) -> list[float]:
    """Column widths in mm that never break a word (a header's or a cell's
    longest word fits its column); the room left goes to the columns whose
    text is longest, which wrap at spaces."""
    pad = 3.0
    pdf.set_font("DejaVu", "B", 8)
    least = [max(pdf.get_string_width(w) for w in (c.split() or [""])) + pad for c in table.columns]
    wanted = [pdf.get_string_width(c) + pad for c in table.columns]
    pdf.set_font("DejaVu", "", 8)
    for r in table.rows:
        for i, value in enumerate(r):
            words = str(value).split() or [""]
            least[i] = max(least[i], max(pdf.get_string_width(w) for w in words) + pad)
            wanted[i] = max(wanted[i], pdf.get_string_width(str(value)) + pad)
    room = pdf.epw
    if sum(least) >= room:  # too many columns to keep every word whole: share by need
        return [room * w / sum(least) for w in least]
    if sum(wanted) <= room:  # everything fits on one line: spread the spare room
        return [w + (room - sum(wanted)) * w / sum(wanted) for w in wanted]
    extra = [w - m for w, m in zip(wanted, least)]
    return [m + (room - sum(least)) * e / sum(extra) for m, e in zip(least, extra)]


def _pdf_table(pdf: _PackPDF, table: Table) -> None:
    _line(pdf, table.title, 10, bold=True, height=7)
    if not table.rows:
        _line(pdf, table.empty, 8, color=_MUTED, space_after=2)
        return
    widths = _column_widths(pdf, table)
    status_of = {v: k for k, v in STATUS_WORDS.items()}
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5, padding=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(236, 239, 241))) as t:
        header = t.row()
        for c in table.columns:
            header.cell(c)
        for r in table.rows:
            row = t.row()
            for i, value in enumerate(r):
                style = None
                if i == table.status_column and value in status_of and status_of[value] in charts.STATUS_COLORS:
                    style = FontFace(color=(255, 255, 255), fill_color=_rgb(charts.STATUS_COLORS[status_of[value]]))
                row.cell(value, style=style)
    pdf.ln(3)


def _line(pdf: _PackPDF, text: str, size: int, bold: bool = False, color=_INK, height: float = 5,
          space_after: float = 0) -> None:
    """A paragraph in one style, wrapped to the page width."""
    pdf.set_font("DejaVu", "B" if bold else "", size)
    pdf.set_text_color(*color)
    pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(space_after)


def to_pdf(pack: Pack) -> bytes:
    """The same content as the HTML, one section per page (or more)."""
    pdf = _PackPDF(pack)
    pdf.alias_nb_pages()
    for n, section in enumerate(pack.sections):
        pdf.add_page()
        if n == 0:
            _line(pdf, pack.title, 18, bold=True, height=9)
            _line(pdf, pack.subtitle, 9, color=_MUTED, space_after=4)
        _line(pdf, section.title, 14, bold=True, height=8)
        _line(pdf, section.intro, 9, color=_MUTED, space_after=2)
        for block in section.blocks:
            if isinstance(block, Table):
                _pdf_table(pdf, block)
            elif isinstance(block, Chart):
                _line(pdf, block.title, 10, bold=True, height=7)
                pdf.image(block.png, w=pdf.epw)
                pdf.ln(2)
            else:
                _line(pdf, block, 9, space_after=2)
    return bytes(pdf.output())


def write_pack(con: duckdb.DuckDBPyConnection, ws: sqlite3.Connection, meeting_date: date,
               out_dir: str | Path) -> tuple[Path, Path]:
    """Write <out_dir>/cxhub-steering-<date>.html and .pdf; returns both paths."""
    pack = build(con, ws, meeting_date)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / f"{pack.file_stem()}.html"
    pdf_path = out / f"{pack.file_stem()}.pdf"
    html_path.write_text(to_html(pack), encoding="utf-8")
    pdf_path.write_bytes(to_pdf(pack))
    return html_path, pdf_path
