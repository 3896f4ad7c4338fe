"""What every joint-work write shares: who makes it (Editor), how a refusal
reads (EditRefused), how values are read from people and written to the
change log, and the change log itself (append-only, in the workspace)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from cxhub import workspace

ROLES = ("CMO", "CIO")


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
    """How a value is written in the change log."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return ", ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def log(ws: sqlite3.Connection, entity: str, entity_id: int, field: str, old: Any, new: Any, editor: Editor,
        at: datetime) -> None:
    """One change-log row (inside the caller's transaction)."""
    ws.execute(
        "INSERT INTO change_log (entity, entity_id, field, old_value, new_value, author, role, changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [entity, entity_id, field, as_text(old), as_text(new), editor.name.strip(), editor.role,
         workspace.stored(at)],
    )


def history(ws: sqlite3.Connection, entity: str = "initiative", entity_id: int | None = None) -> pd.DataFrame:
    """The change log, oldest first: for one item, or for all of a kind."""
    sql = ("SELECT change_id, entity, entity_id, field, old_value, new_value, author, role, changed_at "
           "FROM change_log WHERE entity = ?")
    params: list[Any] = [entity]
    if entity_id is not None:
        sql += " AND entity_id = ?"
        params.append(int(entity_id))
    return workspace.frame(ws, sql + " ORDER BY change_id", params, dates=["changed_at"])
