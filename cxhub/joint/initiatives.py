"""Initiatives both executives score: their fields (declared once, driving
validation, the editable table and the glossary), the writes that create
and edit them, and the ranked list with agreed impact, effort and priority.

Every write checks everything first and then changes the workspace in one
transaction, logging who changed what and when: a refused edit changes
nothing. The checks run under the write lock, so two people editing at once
each see the other's last change.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Collection, Iterable

import pandas as pd

from cxhub import access, workspace
from cxhub.access import AccessRefused, Person
from cxhub.db import utc_now
from cxhub.joint.changes import EditRefused, as_date, as_text, blank, guarded, log
from cxhub.kpis.catalog import KPIS

OWNERS = ("CMO", "CIO", "Joint")
STATUSES = ("proposed", "approved", "in progress", "done", "dropped")
CLOSED = ("done", "dropped")
COST_BANDS = {"S": "under 50k", "M": "50k to 250k", "L": "250k to 1M", "XL": "over 1M"}
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


def normalize(f: Field, value: Any, known_touchpoints: Iterable[str]) -> Any:
    """The stored form of a value, or ValueError naming the rule it breaks."""
    if f.kind == "list":
        if blank(value):
            items: list[str] = []
        elif isinstance(value, str):
            items = [v.strip() for v in value.split(",") if v.strip()]
        else:
            items = [str(v).strip() for v in value if str(v).strip()]
        known = set(known_touchpoints) if f.name == "touchpoints" else set(KPIS)
        unknown = [v for v in items if v not in known]
        if unknown:
            what = "touchpoint" if f.name == "touchpoints" else "KPI id"
            raise ValueError(f"unknown {what} {', '.join(unknown)}; use {', '.join(sorted(known))}")
        return sorted(set(items), key=items.index)
    if blank(value):
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
        return as_date(value)
    if f.kind == "score":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError("must be a whole number from 1 to 5") from None
        if number != int(number) or not 1 <= number <= 5:
            raise ValueError("must be a whole number from 1 to 5")
        return int(number)
    raise AssertionError(f"unknown field kind {f.kind}")


def _same(a: Any, b: Any) -> bool:
    return (as_text(a) or "") == (as_text(b) or "")


def expected_change(effect: str) -> float | None:
    """The leading signed number of an expected effect ('+3 pts CSAT' -> 3.0)."""
    m = re.match(r"\s*([+-−]\s*\d+(?:[.,]\d+)?)", effect or "")
    if not m:
        return None
    return float(m.group(1).replace("−", "-").replace(" ", "").replace(",", "."))



def _check_values(label: str, values: dict[str, Any], person: Person, known_touchpoints: Collection[str],
                  current: dict | None) -> tuple[dict, list[str], list[str]]:
    """Normalized values that differ from `current`, the broken rules, and
    the scores this person's role may not give."""
    changed, errors, denied = {}, [], []
    for name, raw in values.items():
        f = FIELD.get(name)
        if f is None:
            errors.append(f"{label}: {name!r} cannot be edited.")
            continue
        try:
            value = normalize(f, raw, known_touchpoints)
        except ValueError as exc:
            errors.append(f"{label}: {f.label} = {as_text(raw) if not blank(raw) else '(empty)'} refused — {f.label} {exc}.")
            continue
        if current is not None and _same(current.get(name), value):
            continue
        if f.role and not access.may(person, f"score_as_{f.role.lower()}"):
            denied.append(f"{label}: {f.label} is the {f.role}'s score; you act as {person.role_label}.")
            continue
        changed[name] = value
    merged = {**(current or {}), **changed}
    start, due = merged.get("started_on"), merged.get("due_date")
    if start and due and due < start:
        errors.append(f"{label}: Due {due} refused — it is before Started {start}.")
    return changed, errors, denied


def _autostart(changed: dict, current: dict, today: date) -> None:
    if changed.get("status") in ("in progress", "done") and not current.get("started_on") and not changed.get("started_on"):
        changed["started_on"] = today


@guarded("initiative")
def create_initiative(ws: sqlite3.Connection, values: dict[str, Any], person: Person, *,
                      known_touchpoints: Collection[str], at: datetime | None = None) -> int:
    """Add an initiative and audit each field it starts with. Touchpoints must
    be among `known_touchpoints` (the analytics file's touchpoints table).
    Returns its id."""
    access.require(person, "edit_joint_work", "Adding an initiative")
    at = at or utc_now()
    values = {"status": "proposed", **values}
    label = f"New initiative {values.get('title') or ''!r}".strip()
    for f in FIELDS:
        if f.required and f.name not in values:
            values[f.name] = None  # reported as required
    changed, errors, denied = _check_values(label, values, person, known_touchpoints, None)
    if denied:
        raise AccessRefused(denied)
    if errors:
        raise EditRefused(errors)
    _autostart(changed, {}, at.date())
    names = list(changed)
    with workspace.transaction(ws):
        new_id = ws.execute(
            f"INSERT INTO initiatives ({', '.join(names)}, created_at, updated_at) "
            f"VALUES ({', '.join('?' for _ in names)}, ?, ?) RETURNING initiative_id",
            [workspace.stored(changed[n]) for n in names] + [workspace.stored(at)] * 2,
        ).fetchall()[0][0]
        for name in names:
            if not blank(changed[name]) and changed[name] != []:
                log(ws, "initiative", new_id, name, None, changed[name], person, at, action="create")
    return new_id


def _current(ws: sqlite3.Connection, ids: Iterable[int]) -> dict[int, dict]:
    """The stored fields of these initiatives, as normalize() gives them."""
    ids = [int(i) for i in ids]
    if not ids:
        return {}
    cur = ws.execute(f"SELECT initiative_id, {', '.join(FIELD)} FROM initiatives WHERE initiative_id IN "
                     f"({', '.join('?' for _ in ids)})", ids)
    out = {}
    for values in cur.fetchall():
        row = dict(zip(["initiative_id", *FIELD], values))
        for f in FIELDS:
            if f.kind == "list":
                row[f.name] = json.loads(row[f.name] or "[]")
            elif f.kind == "date":
                row[f.name] = as_date(row[f.name])
        out[row.pop("initiative_id")] = row
    return out


@guarded("initiative")
def update_initiatives(ws: sqlite3.Connection, edits: dict[int, dict[str, Any]], person: Person, *,
                       known_touchpoints: Collection[str], at: datetime | None = None) -> int:
    """Apply edits {initiative_id: {field: value}} all together, or none of
    them: every rule is checked first and a single broken rule refuses the
    whole batch. Each changed field is audited once. Returns how many fields
    changed."""
    access.require(person, "edit_joint_work", "Editing initiatives")
    at = at or utc_now()
    count = 0
    with workspace.transaction(ws):
        current = _current(ws, edits)
        errors, denied, planned = [], [], {}
        for initiative_id, values in edits.items():
            row = current.get(int(initiative_id))
            if row is None:
                errors.append(f"Initiative {initiative_id} does not exist.")
                continue
            label = f"Initiative {initiative_id} {row['title']!r}"
            changed, problems, refused = _check_values(label, values, person, known_touchpoints, row)
            errors += problems
            denied += refused
            _autostart(changed, row, at.date())
            if changed:
                planned[int(initiative_id)] = changed
        if denied:
            raise AccessRefused(denied)
        if errors:
            raise EditRefused(errors)
        for initiative_id, changed in planned.items():
            sets = ", ".join(f"{name} = ?" for name in changed)
            ws.execute(f"UPDATE initiatives SET {sets}, updated_at = ? WHERE initiative_id = ?",
                       [workspace.stored(v) for v in changed.values()] + [workspace.stored(at), initiative_id])
            for name, value in changed.items():
                log(ws, "initiative", initiative_id, name, current[initiative_id][name], value, person, at)
                count += 1
    return count


# ---------------------------------------------------------------- reading

INITIATIVES_SQL = f"""
    SELECT *, agreed_impact / agreed_effort AS priority
    FROM (
        SELECT *,
            (cmo_impact + cio_impact) / 2.0 AS agreed_impact,
            (cmo_effort + cio_effort) / 2.0 AS agreed_effort,
            coalesce(abs(cmo_impact - cio_impact) >= {DISCUSSION_GAP}
                     OR abs(cmo_effort - cio_effort) >= {DISCUSSION_GAP}, 0) AS needs_discussion,
            CASE WHEN cmo_impact IS NULL OR cmo_effort IS NULL THEN 'CMO'
                 WHEN cio_impact IS NULL OR cio_effort IS NULL THEN 'CIO' END AS awaiting_score,
            coalesce(due_date < :as_of AND status NOT IN ('done', 'dropped'), 0) AS overdue
        FROM initiatives
    )
    ORDER BY status IN ('done', 'dropped'), priority DESC NULLS LAST, agreed_impact DESC NULLS LAST, initiative_id
"""


def initiatives(ws: sqlite3.Connection, as_of: date | None = None) -> pd.DataFrame:
    """Every initiative, open ones first, ranked by priority, with agreed impact and effort,
    priority, needs_discussion, awaiting_score (the role yet to score) and
    overdue (as of the given day, default today)."""
    out = workspace.frame(ws, INITIATIVES_SQL, {"as_of": (as_of or date.today()).isoformat()},
                          dates=["started_on", "due_date", "created_at", "updated_at"],
                          lists=["touchpoints", "kpi_ids"], flags=["needs_discussion", "overdue"],
                          scores=[f.name for f in FIELDS if f.kind == "score"])
    for name in ("agreed_impact", "agreed_effort", "priority"):
        out[name] = out[name].astype(float)
    return out
