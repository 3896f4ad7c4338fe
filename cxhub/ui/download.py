"""The CSV and Excel download pair under a table."""

from functools import partial

import pandas as pd
import streamlit as st

from cxhub import exports

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_and_excel(sheet: pd.DataFrame, sheet_name: str, stem: str, key: str, widths=(1, 1)) -> None:
    """Two buttons side by side: `stem`.csv and `stem`.xlsx of one sheet. The
    Excel file is written only when clicked (it costs tens of milliseconds a
    run otherwise); the writer is pure, so it needs no script context."""
    left, right = st.columns(list(widths))[:2]
    left.download_button(f"{sheet_name} (CSV)", exports.to_csv(sheet), f"{stem}.csv", "text/csv",
                         icon=":material/download:", key=f"{key}_csv")
    right.download_button(f"{sheet_name} (Excel)", partial(exports.to_excel, {sheet_name: sheet}), f"{stem}.xlsx",
                          mime=XLSX, icon=":material/download:", key=f"{key}_xlsx")
