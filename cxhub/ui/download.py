"""The CSV and Excel download pair under a table."""

import pandas as pd
import streamlit as st

from cxhub import exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@st.cache_data(show_spinner=False, max_entries=64)
def _excel(sheet_name: str, csv: bytes, _sheet: pd.DataFrame) -> bytes:
    """The Excel file of a sheet, cached on its content (the CSV bytes): a
    rerun costs nothing, and an edit gives a new file at once."""
    return exports.to_excel({sheet_name: _sheet})


def csv_and_excel(sheet: pd.DataFrame, sheet_name: str, stem: str, key: str, widths=(1, 1)) -> None:
    """Two buttons side by side: `stem`.csv and `stem`.xlsx of one sheet,
    both written before the click (a file made on the click could come back
    empty on the first click after an edit)."""
    left, right = st.columns(list(widths))[:2]
    csv = exports.to_csv(sheet)
    left.download_button(f"{sheet_name} (CSV)", csv, f"{stem}.csv", "text/csv",
                         icon=":material/download:", key=f"{key}_csv")
    right.download_button(f"{sheet_name} (Excel)", _excel(sheet_name, csv, sheet), f"{stem}.xlsx",
                          mime=XLSX, icon=":material/download:", key=f"{key}_xlsx")
