"""Joint work: initiatives both executives score, the append-only change log,
steering meetings, their decisions and action items.

Initiative fields are declared once (FIELDS) and drive validation, the
editable table and the glossary. Every write validates everything first and
then changes the database in one transaction, logging who changed what and
when: a refused edit changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

import duckdb
import pandas as pd

from cxhub.db import query_df, query_rows, transaction, utc_now
from cxhub.kpis.catalog import KPIS

OWNERS = ("CMO", "CIO", "Joint")
ROLES = ("CMO", "CIO")
STATUSES = ("proposed", "approved", "in progress", "done", "dropped")
CLOSED = ("done", "dropped")
COST_BANDS = {"S": "under 50k", "M": "50k to 250k", "L": "250k to 1M", "XL": "over 1M"}
ACTION_STATUSES = ("open", "done", "dropped")
# Scores this far apart (impact or effort) mean the two executives see the
# initiative differently: it goes on the steering meeting's agenda.
DISCUSSION_GAP = 2

PRIORITY_DEFINITION = (
    "Priority = agreed impact ÷ agreed effort, where agreed impact is the mean of the CMO's and the CIO's "
    "customer-impact scores (1–5) and agreed effort the mean of their effort/risk scores (1–5). Above 1: more "
    "impact than effort. Blank until both have scored."
)
ALIGNMENT_DEFINITION = (
    f"Needs discussion: the CMO's and the CIO's impact scores, or their effort scores, differ by "
    f"{DISCUSSION_GAP} or more."
)


@dataclass(frozen=True)
class Field:
    """One editable field of an initiative."""

    name: str
    label: str
    kind: str  # text | choice | list | date | score
    help: str
    choices: tuple[str, ...] = ()
    required: bool = False
    role: str | None = None  # only this role may set it


FIELDS = (
    Field("title", "Title", "text", "What the initiative does, in a few words.", required=True),
    Field("description", "Description", "text", "Why it matters and what will be done."),
    Field("owner", "Owner", "choice", "Who answers for it: the CMO, the CIO, or both (Joint).", OWNERS, True),
    Field("touchpoints", "Touchpoints", "list", "The touchpoints it is meant to change (ids from the touchpoints table)."),
    Field("kpi_ids", "KPIs", "list", "The KPIs it is meant to move (ids from the KPI catalog)."),
    Field("expected_effect", "Expected effect", "text",
          "The promised change, e.g. '+3 pts CSAT on mobile_app'. A leading signed number is drawn as the goal "
          "on the 'is it working?' chart of the first KPI."),
    Field("status", "Status", "choice", "proposed → approved → in progress → done, or dropped.", STATUSES, True),
    Field("started_on", "Started", "date",
          "When work began; 'is it working?' compares the KPIs with the month before. Set to today when the "
          "status first becomes in progress."),
    Field("due_date", "Due", "date", "When it should be done; past it and neither done nor dropped, it is overdue."),
    Field("cost_band", "Cost band", "choice",
          "S " + COST_BANDS["S"] + ", M " + COST_BANDS["M"] + ", L " + COST_BANDS["L"] + ", XL " + COST_BANDS["XL"]
          + " (company currency, total).", tuple(COST_BANDS), True),
    Field("cmo_impact", "CMO impact", "score", "The CMO's score of customer impact: 1 little … 5 large.", role="CMO"),
    Field("cmo_effort", "CMO effort", "score", "The CMO's score of effort and risk: 1 small … 5 large.", role="CMO"),
    Field("cio_impact", "CIO impact", "score", "The CIO's score of customer impact: 1 little … 5 large.", role="CIO"),
    Field("cio_effort", "CIO effort", "score", "The CIO's score of effort and risk: 1 small … 5 large.", role="CIO"),
)
FIELD = {f.name: f for f in FIELDS}


class EditRefused(ValueError):
    """An edit that breaks a rule; nothing was written. `errors` lists each
    broken rule in words that name the item, the field and the value."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Editor:
    """Who is making a change: a display name and the role they act in."""

    name: str
    role: str

    def __post_init__(self) -> None:
        if not self.name or not self.name.strip():
            raise EditRefused(["Pick a display name before editing."])
        if self.role not in ROLES:
            raise EditRefused([f"Role {self.role!r} is not one of {', '.join(ROLES)}."])


# ---------------------------------------------------------------- values

def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValueError("is not a date (YYYY-MM-DD)") from None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def normalize(f: Field, value: Any, touchpoint_ids: Iterable[str]) -> Any:
    """The stored form of a value, or ValueError naming the rule it breaks."""
    if f.kind == "list":
        if _blank(value):
            items: list[str] = []
        elif isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        else:
            items = [str(v).strip() for v in value if str(v).strip()]
        known = set(touchpoint_ids) if f.name == "touchpoints" else set(KPIS)
        unknown = [v for v in items if v not in known]
        if unknown:
            what = "touchpoint" if f.name == "touchpoints" else "KPI id"
            raise ValueError(f"unknown {what} {', '.join(unknown)}; use {', '.join(sorted(known))}")
        return sorted(set(items), key=items.index)
    if _blank(value):
        if f.required:
            raise ValueError("is required")
        return "" if f.kind == "text" else None
    if f.kind == "text":
        return str(value).strip()
    if f.kind == "choice":
        if str(value) not in f.choices:
            raise ValueError(f"must be one of {', '.join(f.choices)}")
        return str(value)
    if f.kind == "date":
        return _as_date(value)
    if f.kind == "score":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number from 1 to 5") from None
        if number != int(number) or not 1 <= number <= 5:
            raise ValueError("must be a whole number from 1 to 5")
        return int(number)
    raise AssertionError(f"unknown field kind {f.kind}")


def _text(value: Any) -> str | None:
    """How a value is written in the change log."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _same(a: Any, b: Any) -> bool:
    return (_text(a) or "") == (_text(b) or "")


def expected_change(effect: str) -> float | None:
    """The leading signed number of an expected effect ('+3 pts CSAT' -> 3.0)."""
    m = re.match(r"\s*([+-−]\s*\d+(?:[.,]\d+)?)", effect or "")
    if not m:
        return None
    return float(m.group(1).replace("−", "-").replace(" ", "").replace(",", "."))


# ---------------------------------------------------------------- writing


def _log(cur, entity: str, entity_id: int, field: str, old: Any, new: Any, editor: Editor, at: datetime) -> None:
    cur.execute(
        "INSERT INTO change_log (entity, entity_id, field, old_value, new_value, author, role, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [entity, entity_id, field, _text(old), _text(new), editor.name.strip(), editor.role, at],
    )


def _touchpoint_ids(con) -> list[str]:
    return [r[0] for r in query_rows(con, "SELECT touchpoint_id FROM touchpoints")]


def _check_values(label: str, values: dict[str, Any], editor: Editor, touchpoint_ids, current: dict | None) -> tuple[dict, list[str]]:
    """Normalized values that differ from `current`, and the broken rules."""
    changed, errors = {}, []
    for name, raw in values.items():
        f = FIELD.get(name)
        if f is None:
            errors.append(f"{label}: {name!r} cannot be edited.")
            continue
        try:
            value = normalize(f, raw, touchpoint_ids)
        except ValueError as exc:
            errors.append(f"{label}: {f.label} = {_text(raw) if not _blank(raw) else '(empty)'} refused — {f.label} {exc}.")
            continue
        if current is not None and _same(current.get(name), value):
            continue
        if f.role and f.role != editor.role:
            errors.append(f"{label}: {f.label} is the {f.role}'s score; you act as {editor.role}.")
            continue
        changed[name] = value
    merged = {**(current or {}), **changed}
    start, due = merged.get("started_on"), merged.get("due_date")
    if start and due and due < start:
        errors.append(f"{label}: Due {due} refused — it is before Started {start}.")
    return changed, errors


def _autostart(changed: dict, current: dict, today: date) -> None:
    if changed.get("status") in ("in progress", "done") and not current.get("started_on") and not changed.get("started_on"):
        changed["started_on"] = today


def create_initiative(con: duckdb.DuckDBPyConnection, values: dict[str, Any], editor: Editor,
                      at: datetime | None = None) -> int:
    """Add an initiative and log each field it starts with. Returns its id."""
    at = at or utc_now()
    values = {"status": "proposed", **values}
    label = f"New initiative {values.get('title') or ''!r}".strip()
    for f in FIELDS:
        if f.required and f.name not in values:
            values[f.name] = None  # reported as required
    changed, errors = _check_values(label, values, editor, _touchpoint_ids(con), None)
    if errors:
        raise EditRefused(errors)
    _autostart(changed, {}, at.date())
    names = list(changed)
    with transaction(con) as cur:
        new_id = cur.execute(
            f"INSERT INTO initiatives ({', '.join(names)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' for _ in names)}, ?, ?) RETURNING initiative_id",
            [changed[n] for n in names] + [at, at],
        ).fetchall()[0][0]
        for name in names:
            if not _blank(changed[name]) and changed[name] != []:
                _log(cur, "initiative", new_id, name, None, changed[name], editor, at)
    return new_id


def _current(con, ids: Iterable[int]) -> dict[int, dict]:
    ids = list(ids)
    if not ids:
        return {}
    frame = query_df(con, f"SELECT initiative_id, {', '.join(FIELD)} FROM initiatives WHERE initiative_id IN "
                          f"({', '.join('?' for _ in ids)})", ids)
    out = {}
    for row in frame.to_dict("records"):
        for name in ("touchpoints", "kpi_ids"):
            row[name] = list(row[name]) if row[name] is not None else []
        for name in ("started_on", "due_date"):
            row[name] = _as_date(row[name])
        for f in FIELDS:
            if f.kind == "score" and row[f.name] is not None and row[f.name] == row[f.name]:
                row[f.name] = int(row[f.name])
            elif f.kind == "score":
                row[f.name] = None
        out[int(row.pop("initiative_id"))] = row
    return out


def update_initiatives(con: duckdb.DuckDBPyConnection, edits: dict[int, dict[str, Any]], editor: Editor,
                       at: datetime | None = None) -> int:
    """Apply edits {initiative_id: {field: value}} all together, or none of
    them: every rule is checked first and a single broken rule refuses the
    whole batch. Each changed field is logged once. Returns how many fields
    changed."""
    at = at or utc_now()
    current = _current(con, edits)
    tps = _touchpoint_ids(con)
    errors, planned = [], {}
    for initiative_id, values in edits.items():
        row = current.get(int(initiative_id))
        if row is None:
            errors.append(f"Initiative {initiative_id} does not exist.")
            continue
        label = f"Initiative {initiative_id} {row['title']!r}"
        changed, problems = _check_values(label, values, editor, tps, row)
        errors += problems
        _autostart(changed, row, at.date())
        if changed:
            planned[int(initiative_id)] = changed
    if errors:
        raise EditRefused(errors)
    count = 0
    with transaction(con) as cur:
        for initiative_id, changed in planned.items():
            sets = ", ".join(f"{name} = ?" for name in changed)
            cur.execute(f"UPDATE initiatives SET {sets}, updated_at = ? WHERE initiative_id = ?",
                        list(changed.values()) + [at, initiative_id])
            for name, value in changed.items():
                _log(cur, "initiative", initiative_id, name, current[initiative_id][name], value, editor, at)
                count += 1
    return count


def hold_meeting(con: duckdb.DuckDBPyConnection, meeting_date: date, editor: Editor,
                 at: datetime | None = None) -> None:
    """Record that a steering meeting takes place on this date (idempotent)."""
    con.execute("INSERT INTO meetings VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [meeting_date, editor.name.strip(), at or utc_now()])


def _check_links(con, initiative_id, kpi_id) -> list[str]:
    errors = []
    if initiative_id is not None and not query_rows(
            con, "SELECT 1 FROM initiatives WHERE initiative_id = ?", [int(initiative_id)]):
        errors.append(f"Initiative {initiative_id} does not exist.")
    if kpi_id is not None and kpi_id not in KPIS:
        errors.append(f"KPI {kpi_id!r} is not in the catalog.")
    return errors


def add_decision(con: duckdb.DuckDBPyConnection, meeting_date: date, text: str, editor: Editor,
                 initiative_id: int | None = None, kpi_id: str | None = None, at: datetime | None = None) -> int:
    """Record a decision taken at a meeting, optionally about an initiative or a KPI."""
    errors = _check_links(con, initiative_id, kpi_id)
    if _blank(text):
        errors.insert(0, "A decision needs its text.")
    if errors:
        raise EditRefused(errors)
    at = at or utc_now()
    hold_meeting(con, meeting_date, editor, at)
    return con.execute(
        "INSERT INTO decisions (meeting_date, text, initiative_id, kpi_id, author, role, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING decision_id",
        [meeting_date, text.strip(), initiative_id, kpi_id, editor.name.strip(), editor.role, at],
    ).fetchall()[0][0]


def add_action(con: duckdb.DuckDBPyConnection, meeting_date: date, text: str, owner: str, due_date: Any,
               editor: Editor, initiative_id: int | None = None, kpi_id: str | None = None,
               at: datetime | None = None) -> int:
    """Record an action item raised at a meeting; it stays on later agendas until closed."""
    errors = _check_links(con, initiative_id, kpi_id)
    if _blank(text):
        errors.insert(0, "An action needs its text.")
    if _blank(owner):
        errors.append("An action needs an owner.")
    try:
        due = _as_date(due_date)
        if due is None:
            errors.append("An action needs a due date.")
    except ValueError:
        errors.append(f"Due date {due_date!r} is not a date (YYYY-MM-DD).")
    if errors:
        raise EditRefused(errors)
    at = at or utc_now()
    hold_meeting(con, meeting_date, editor, at)
    with transaction(con) as cur:
        action_id = cur.execute(
            "INSERT INTO action_items (meeting_date, text, owner, due_date, status, initiative_id, kpi_id, created_at) "
            "VALUES (?, ?, ?, ?, 'open', ?, ?, ?) RETURNING action_id",
            [meeting_date, text.strip(), owner.strip(), due, initiative_id, kpi_id, at],
        ).fetchall()[0][0]
        for name, value in (("text", text.strip()), ("owner", owner.strip()), ("due_date", due), ("status", "open")):
            _log(cur, "action", action_id, name, None, value, editor, at)
    return action_id


def set_action_status(con: duckdb.DuckDBPyConnection, action_id: int, status: str, editor: Editor,
                      on: date | None = None, at: datetime | None = None) -> None:
    """Close (done / dropped) or reopen an action item, logging the change."""
    if status not in ACTION_STATUSES:
        raise EditRefused([f"Action status {status!r} must be one of {', '.join(ACTION_STATUSES)}."])
    rows = query_rows(con, "SELECT status FROM action_items WHERE action_id = ?", [int(action_id)])
    if not rows:
        raise EditRefused([f"Action {action_id} does not exist."])
    if rows[0][0] == status:
        return
    at = at or utc_now()
    closed_on = None if status == "open" else (on or at.date())
    with transaction(con) as cur:
        cur.execute("UPDATE action_items SET status = ?, closed_on = ? WHERE action_id = ?",
                    [status, closed_on, int(action_id)])
        _log(cur, "action", int(action_id), "status", rows[0][0], status, editor, at)


# ---------------------------------------------------------------- reading

INITIATIVES_SQL = f"""
    SELECT *,
        (cmo_impact + cio_impact) / 2.0 AS agreed_impact,
        (cmo_effort + cio_effort) / 2.0 AS agreed_effort,
        agreed_impact / agreed_effort AS priority,
        coalesce(abs(cmo_impact - cio_impact) >= {DISCUSSION_GAP}
                 OR abs(cmo_effort - cio_effort) >= {DISCUSSION_GAP}, false) AS needs_discussion,
        CASE WHEN cmo_impact IS NULL OR cmo_effort IS NULL THEN 'CMO'
             WHEN cio_impact IS NULL OR cio_effort IS NULL THEN 'CIO' END AS awaiting_score,
        coalesce(due_date < $as_of AND status NOT IN ('done', 'dropped'), false) AS overdue
    FROM initiatives
    ORDER BY priority DESC NULLS LAST, agreed_impact DESC NULLS LAST, initiative_id
"""


def initiatives(con: duckdb.DuckDBPyConnection, as_of: date | None = None) -> pd.DataFrame:
    """Every initiative, ranked by priority, with agreed impact and effort,
    priority, needs_discussion, awaiting_score (the role yet to score) and
    overdue (as of the given day, default today)."""
    frame = query_df(con, INITIATIVES_SQL, {"as_of": as_of or date.today()})
    for name in ("touchpoints", "kpi_ids"):
        frame[name] = frame[name].map(lambda v: list(v) if v is not None else [])
    return frame


def history(con: duckdb.DuckDBPyConnection, entity: str = "initiative", entity_id: int | None = None) -> pd.DataFrame:
    """The change log, oldest first: for one item, or for all of a kind."""
    sql = "SELECT change_id, entity, entity_id, field, old_value, new_value, author, role, changed_at FROM change_log WHERE entity = ?"
    params: list[Any] = [entity]
    if entity_id is not None:
        sql += " AND entity_id = ?"
        params.append(int(entity_id))
    return query_df(con, sql + " ORDER BY change_id", params)


def meetings(con: duckdb.DuckDBPyConnection) -> list[date]:
    """Dates of the recorded steering meetings, oldest first."""
    return [_as_date(r[0]) for r in query_rows(con, "SELECT meeting_date FROM meetings ORDER BY meeting_date")]


def decisions(con: duckdb.DuckDBPyConnection, meeting_date: date | None = None) -> pd.DataFrame:
    """Decisions of one meeting (or all), with the linked initiative's title."""
    sql = """SELECT d.decision_id, d.meeting_date, d.text, d.initiative_id, i.title AS initiative, d.kpi_id,
                    d.author, d.role, d.recorded_at
             FROM decisions d LEFT JOIN initiatives i USING (initiative_id)"""
    params: list[Any] = []
    if meeting_date is not None:
        sql += " WHERE d.meeting_date = ?"
        params.append(meeting_date)
    return query_df(con, sql + " ORDER BY d.meeting_date, d.decision_id", params)


def actions(con: duckdb.DuckDBPyConnection, as_of: date | None = None, raised_at: date | None = None,
            open_only: bool = False) -> pd.DataFrame:
    """Action items with an `overdue` flag as of a day. `raised_at` keeps one
    meeting's items; `open_only` keeps those raised before `as_of` and still
    open on that day (closed later counts as open then)."""
    as_of = as_of or date.today()
    sql = """SELECT a.*, i.title AS initiative,
                    (a.status = 'open' OR a.closed_on >= $as_of) AND a.due_date < $as_of AS overdue
             FROM action_items a LEFT JOIN initiatives i USING (initiative_id) WHERE true"""
    params: dict[str, Any] = {"as_of": as_of}
    if raised_at is not None:
        sql += " AND a.meeting_date = $raised"
        params["raised"] = raised_at
    if open_only:
        sql += " AND a.meeting_date < $as_of AND (a.status = 'open' OR a.closed_on >= $as_of)"
    return query_df(con, sql + " ORDER BY a.due_date, a.action_id", params)
