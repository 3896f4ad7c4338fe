"""The KPI part of a steering meeting's agenda: each KPI's status in the
month reviewed and in the month compared with, what is red (and newly so),
what came back from red, and the biggest movers."""

from __future__ import annotations

import duckdb
import pandas as pd

from cxhub.kpis.catalog import KPIS
from cxhub.kpis.details import biggest_moves
from cxhub.kpis.engine import by_touchpoint, scorecard
from cxhub.kpis.period import Period
from cxhub.kpis.status import judge


def _statuses_then(con, card: pd.DataFrame, period: Period, then: Period) -> dict[str, str]:
    """Each KPI's status in the earlier month: from the scorecard's previous
    values when that is the month before (no extra query), else computed."""
    if then == period.previous():
        # Review periods are whole months: the target is the same figure for both.
        return {r["id"]: judge(KPIS[r["id"]], None if pd.isna(r["previous"]) else r["previous"], r["previous_n"],
                               r["previous_complete"],
                               None if pd.isna(r["target"]) else (r["target"], r["amber_band"]))
                for r in card.to_dict("records")}
    earlier = scorecard(con, then)
    return dict(zip(earlier["id"], earlier["status"]))


def kpi_review(con: duckdb.DuckDBPyConnection, period: Period, then: Period
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(scorecard with status_then, red KPIs with newly_red, KPIs back from
    red, biggest movers) for a month reviewed against an earlier one."""
    card = scorecard(con, period)
    before = _statuses_then(con, card, period, then)
    card = card.assign(status_then=card["id"].map(before))
    # Partial values and those from fewer than 30 are never judged (status none): not news, red or not.
    red = card[card["status"] == "red"].assign(newly_red=lambda f: f["status_then"] != "red")
    red = red.sort_values(["newly_red", "group"], ascending=[False, True]).reset_index(drop=True)
    recovered = card[(card["status_then"] == "red") & card["status"].isin(["green", "amber"])].reset_index(drop=True)
    movers = biggest_moves(card, by_touchpoint(con, list(KPIS), period), period)
    return card, red, recovered, movers
