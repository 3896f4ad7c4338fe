"""Exports for people who work in spreadsheets: the scorecard and the
initiative list as CSV and Excel, each number with its definition and the
time its data was loaded."""

from __future__ import annotations

import io

import pandas as pd

from cxhub import joint
from cxhub.kpis import KPIS, Period


def scorecard_frame(card: pd.DataFrame, period: Period, loaded_at) -> pd.DataFrame:
    """A scorecard() frame as a flat sheet: one row per KPI."""
    rows = []
    for r in card.to_dict("records"):
        k = KPIS[r["id"]]
        rows.append({
            "kpi_id": k.id, "kpi": k.name, "group": k.group, "owner": k.owner, "unit": k.shown_unit,
            "period_start": period.start, "period_end": period.end,
            "value": r["value"], "previous": r["previous"], "change": r["change"],
            "target": r["target"], "status": r["status"], "status_note": r["note"], "n": r["n"],
            "previous_n": r["previous_n"], "complete": r["complete"], "data_through": r["data_through"],
            "small_sample": r["small_sample"], "interval_95_low": r["interval_low"],
            "interval_95_high": r["interval_high"],
            "better_when": k.better, "definition": k.business, "formula": k.technical,
            "data_loaded_at": loaded_at,
        })
    return pd.DataFrame(rows)


def initiatives_frame(initiatives: pd.DataFrame) -> pd.DataFrame:
    """A joint.initiatives() frame as a flat sheet, ranked."""
    out = initiatives[["initiative_id"] + [f.name for f in joint.FIELDS]
                      + ["agreed_impact", "agreed_effort", "priority", "needs_discussion", "awaiting_score",
                         "overdue"]].copy()
    for name in ("touchpoints", "kpi_ids"):
        out[name] = out[name].map(", ".join)
    return out.rename(columns={f.name: f.label.lower().replace(" ", "_") for f in joint.FIELDS})


# A text cell starting with one of these is a formula to a spreadsheet program
# (OWASP "CSV injection"): =HYPERLINK(...) in a customer segment would run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """Every cell CX Hub writes to a CSV or Excel file passes here: a text
    that a spreadsheet would take for a formula gets a leading ' and stays
    text; anything else is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with safe_cell applied to every text cell (headers included)."""
    out = frame.rename(columns=lambda c: safe_cell(str(c)))
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read accents
    right; every cell through safe_cell."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_excel(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, a sheet per frame; every cell through safe_cell, and
    every text cell written as text, never as a formula."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            sheet = safe_frame(frame)
            for column in sheet.columns:
                if sheet[column].dtype == object or pd.api.types.is_string_dtype(sheet[column]):
                    # Control characters cannot be stored in a workbook: shown as the replacement mark.
                    sheet[column] = sheet[column].map(
                        lambda v: ILLEGAL_CHARACTERS_RE.sub("\ufffd", v) if isinstance(v, str) else v)
            sheet.to_excel(writer, sheet_name=name[:31], index=False)
            for row in writer.sheets[name[:31]].iter_rows():
                for cell in row:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # openpyxl would store "=..." as a formula
    return buf.getvalue()
