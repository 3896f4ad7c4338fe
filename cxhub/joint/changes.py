"""What every joint-work write shares: how a refusal reads (EditRefused for
a broken rule; access.AccessRefused for a right the person lacks, audited),
how values are read from people, and the audit rows every change leaves
(append-only, in the workspace)."""

from __future__ import annotations

import functools
import sqlite3
from datetime import date, datetime
from typing import Any, Callable

import pandas as pd

from cxhub import audit, workspace
from cxhub.access import AccessRefused, Person, Refused


class EditRefused(Refused):
    """An edit that breaks a rule (a score of 7, a due date before the
    start); nothing was written."""


def guarded(entity: str) -> Callable:
    """Make a joint-work write's access refusals audited: the write's
    transaction has rolled back when the refusal arrives here, and the
    refusal is recorded on its own (about `entity`), then raised again."""

    def wrap(write: Callable) -> Callable:
        @functools.wraps(write)
        def run(ws: sqlite3.Connection, *args, **kwargs):
            try:
                return write(ws, *args, **kwargs)
            except AccessRefused as exc:
                person = next((a for a in (*args, *kwargs.values()) if isinstance(a, Person)), None)
                record_refusal(ws, person, entity, exc)
                raise

        return run

    return wrap


def record_refusal(ws: sqlite3.Connection, person: Person | None, entity: str, exc: AccessRefused,
                   at: datetime | None = None) -> None:
    """One audit row for a refused action (its own transaction)."""
    with workspace.transaction(ws):
        audit.record(ws, person, action="refused", entity=entity, allowed=False, detail="; ".join(exc.errors), at=at)


def as_date(value: Any) -> date | None:
    """A date from what a person or a table gives (None when blank)."""
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


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or (isinstance(value, str) and not value.strip())


def as_text(value: Any) -> str | None:
    """How a value is written in the audit."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def log(ws: sqlite3.Connection, entity: str, entity_id: int, field: str, old: Any, new: Any, person: Person,
        at: datetime, action: str = "edit") -> None:
    """One audit row for one changed field (inside the caller's transaction)."""
    audit.record(ws, person, action=action, entity=entity, entity_id=entity_id, field=field, old=as_text(old),
                 new=as_text(new), at=at)


def history(ws: sqlite3.Connection, entity: str = "initiative", entity_id: int | None = None) -> pd.DataFrame:
    """The changes made to one item (or all of a kind), oldest first: who by
    name and by identity (verified email, cli:<user>, or a name marked not
    verified), role, time, field, before and after."""
    sql = ("SELECT audit_id AS change_id, entity, entity_id, field, old_value, new_value, name AS author, "
           "actor AS identity, verified, role, at AS changed_at FROM audit "
           "WHERE allowed = 1 AND action <> 'import' AND entity = ?")
    params: list[Any] = [entity]
    if entity_id is not None:
        sql += " AND entity_id = ?"
        params.append(int(entity_id))
    return workspace.frame(ws, sql + " ORDER BY audit_id", params, dates=["changed_at"], flags=["verified"])
