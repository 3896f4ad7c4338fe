"""The one writer of the audit (a table of the workspace): every change,
import and refusal, with who did it and whether it was allowed. Callers
write inside their own transaction; the table refuses updates and deletes."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

import pandas as pd

from cxhub import workspace
from cxhub.access import Person
from cxhub.db import utc_now

NOBODY = "(nobody signed in)"


def record(ws: sqlite3.Connection, person: Person | None, *, action: str, entity: str,
           entity_id: int | None = None, field: str | None = None, old: str | None = None,
           new: str | None = None, allowed: bool = True, detail: str | None = None,
           at: datetime | None = None) -> None:
    """One audit row: who (their verified identity, or a typed name marked
    not verified), their role, when (UTC), what, and whether it was allowed."""
    ws.execute(
        "INSERT INTO audit (at, actor, name, verified, role, action, entity, entity_id, field, old_value, "
        "new_value, allowed, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [workspace.stored(at or utc_now()), person.who if person else NOBODY, person.name if person else "",
         int(bool(person and person.verified)), person.role_label if person else "", action, entity, entity_id,
         field, old, new, int(allowed), detail],
    )


def read(ws: sqlite3.Connection, since: date | None = None) -> pd.DataFrame:
    """The whole audit, oldest first (from a day on, when given)."""
    sql = "SELECT * FROM audit"
    params: list[Any] = []
    if since is not None:
        sql += " WHERE at >= ?"
        params.append(since.isoformat())
    return workspace.frame(ws, sql + " ORDER BY audit_id", params, dates=["at"], flags=["verified", "allowed"])
