"""The insights as the CLI prints them: strict JSON (the contract's
documents), CSV (one row per driver, alert or theme, through the one
safe-cell function) and a table for people."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date

from cxhub.exports import safe_cell


def plain(value):
    """A value as strict JSON has it: dates as ISO text, NaN and infinities null."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # a numpy number
        return plain(value.item())
    return value


def to_json(doc) -> str:
    return json.dumps(plain(doc), indent=2, allow_nan=False, ensure_ascii=False)


def _csv(header: list[str], rows: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(plain(v)) for v in row])
    return out.getvalue()


def _table(title: str, header: list[str], rows: list[list], footer: list[str] = ()) -> str:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()
    return "\n".join([title, line(header), line(["-" * w for w in widths]), *map(line, cells), *footer])


def _number(x, places: int = 1) -> str:
    return "–" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:,.{places}f}"


DRIVER_FIELDS = ["id", "label", "owner", "weight", "share", "direction"]


def drivers_csv(doc: dict) -> str:
    return _csv(DRIVER_FIELDS, [[d[f] for f in DRIVER_FIELDS] for d in doc["drivers"]])


def drivers_table(doc: dict, owners: dict[str, float]) -> str:
    title = (f"What moves {doc['kpi'].upper()}, {doc['period']['start']} to {doc['period']['end']}: "
             f"n = {doc['n']:,}, R² = {_number(doc['r2'], 3)}")
    if doc.get("reason"):
        return f"{title}\nNo result: {doc['reason']}."
    rows = [[d["label"], d["owner"], f"{_number(d['share'])}%", d["direction"], _number(d["weight"], 4)]
            for d in doc["drivers"]]
    footer = ["", "By owner: " + ", ".join(f"{o} {_number(s)}%" for o, s in owners.items())]
    footer += [f"Left out: {x['id']}: {x['why']}" for x in doc["left_out"]]
    return _table(title, ["driver", "owner", "share", "dir", "weight"], rows, footer)


ALERT_FIELDS = ["metric", "touchpoint", "day", "kind", "value", "expected", "score", "bad"]


def alerts_csv(found: list[dict]) -> str:
    return _csv(ALERT_FIELDS, [[a[f] for f in ALERT_FIELDS] for a in found])


def alerts_table(found: list[dict], start: date, end: date) -> str:
    rows = [[a["day"].isoformat(), a["touchpoint"], a["metric"], a["kind"], "bad" if a["bad"] else "good",
             _number(a["value"], 2), _number(a["expected"], 2), _number(a["score"], 1)] for a in found]
    title = f"Alerts {start} to {end}: {len(found)} ({sum(a['bad'] for a in found)} bad), worst first"
    return _table(title, ["day", "touchpoint", "metric", "kind", "", "value", "expected", "score"], rows)


THEME_FIELDS = ["label", "terms", "count", "share", "nps", "csat", "previous_count", "examples"]


def themes_csv(doc: dict) -> str:
    return _csv(THEME_FIELDS, [[" | ".join(t[f]) if f in ("terms", "examples") else t[f] for f in THEME_FIELDS]
                               for t in doc["themes"]])


def themes_table(doc: dict) -> str:
    title = f"Themes in {doc['n_comments']:,} comments"
    if doc.get("reason"):
        return f"{title}\nNo themes: {doc['reason']}."
    rows = [[t["label"], f"{t['count']:,}", f"{_number(t['share'])}%", f"{t['previous_count']:,}",
             _number(t["nps"]), _number(t["csat"]), (t["examples"] or [""])[0][:60]] for t in doc["themes"]]
    return _table(title, ["theme", "count", "share", "before", "NPS", "CSAT %", "example"], rows)
