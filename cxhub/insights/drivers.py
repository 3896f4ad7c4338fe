"""Key drivers: what moves NPS (or CSAT), and whether it sits with the CMO,
the CIO or both (insights contract v1, "Key drivers").

One row per survey response of the period (after filters) with the outcome;
nine candidate drivers per response, read from the whole database (a
customer's contacts and orders anywhere count). The engine aggregates:
per pattern of missing drivers, each driver's mean and the covariances of
every pair (covar_pop), so no response row leaves the database. Python
merges the patterns of the complete rows (Chan's pairwise formula, exact)
into one correlation matrix and splits R² among the drivers with Johnson's
relative weights (Johnson 2000)."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from cxhub.db import query_df
from cxhub.kpis.period import Filters, Period
from cxhub.kpis.sources import Source, filtered_rows
from cxhub.rollups import CONTACT_DAYS, ORDER_DAYS

MIN_ROWS = 100  # fewer responses: no result, with the reason
MAX_MISSING = 0.20  # a driver missing for more of the rows is left out
OUTCOMES = {"nps": "Net Promoter Score (0–10 answer)", "csat": "CSAT (1–5 answer)"}
OWNERS = ("CMO", "CIO", "Joint")


@dataclass(frozen=True)
class Driver:
    id: str
    label: str
    owner: str
    sql: str  # the value per response, from the query's columns (see _ROWS)


DRIVERS = (
    Driver("effort", "Customer effort (the response's CES)", "Joint", "r.ces"),
    Driver("latency", "p95 latency of its touchpoint that day", "CIO", "h.p95_latency_ms"),
    Driver("availability", "Availability of its touchpoint that day", "CIO", "h.availability_pct"),
    Driver("incident_day", "An incident at its touchpoint that day", "CIO",
           "CASE WHEN h.touchpoint_id IS NULL THEN NULL WHEN coalesce(h.incidents, 0) > 0 THEN 1 ELSE 0 END"),
    Driver("error_rate", "Error rate of its touchpoint that day", "CIO", "h.error_rate_pct"),
    Driver("recent_contacts", f"The customer's contacts in the {CONTACT_DAYS} days before", "Joint",
           "CASE WHEN k.known THEN k.recent_contacts END"),
    Driver("unresolved_contact", "One of those contacts unresolved", "Joint",
           "CASE WHEN k.known THEN k.unresolved_contact END"),
    Driver("recent_orders", f"The customer's orders in the {ORDER_DAYS} days before", "CMO",
           "CASE WHEN k.known THEN k.recent_orders END"),
    Driver("tenure_days", "Days since the customer signed up", "CMO", "k.tenure_days"),
)
BY_ID = {d.id: d for d in DRIVERS}

# The responses (filtered as every KPI is), each with its driver values; what
# is known of its customer (sign-up, contacts and orders before the answer)
# comes from the response_context rollup (cxhub/rollups.py).
_ROWS = """
WITH responses AS (
    SELECT x.response_id, x.touchpoint_id, x.d AS day, x.{kpi}::DOUBLE AS y, x.ces::DOUBLE AS ces
    FROM ({filtered}) x WHERE x.{kpi} IS NOT NULL
),
rows AS (
    SELECT r.y, {values}
    FROM responses r
    LEFT JOIN system_health h ON h.touchpoint_id = r.touchpoint_id AND h.day = r.day
    LEFT JOIN response_context k ON k.response_id = r.response_id AND k.d = r.day
)
SELECT {pattern} AS pattern, count(*) AS n, {moments}
FROM rows GROUP BY ALL
"""


def _moments_sql(columns: list[str]) -> tuple[str, str]:
    """(the missing-pattern bit mask, each column's mean and every pair's
    population covariance, missing values as 0 so every pattern has them)."""
    pattern = " + ".join(f"({c} IS NULL)::BIGINT * {1 << i}" for i, c in enumerate(columns))
    filled = {c: f"coalesce({c}, 0)::DOUBLE" for c in columns}
    parts = [f"avg({filled[c]}) AS m_{c}" for c in columns]
    parts += [f"coalesce(covar_pop({filled[a]}, {filled[b]}), 0) AS c_{a}__{b}"
              for i, a in enumerate(columns) for b in columns[i:]]
    return pattern, ", ".join(parts)


def driver_moments(con: duckdb.DuckDBPyConnection, kpi: str, period: Period, filters: Filters = Filters()):
    """Per pattern of missing drivers: n, means and covariances (one query)."""
    if kpi not in OUTCOMES:
        raise ValueError(f"unknown outcome {kpi!r}; use one of {', '.join(OUTCOMES)}")
    source = Source("surveys", "responded_at", "x.response_id, x.touchpoint_id, x.nps, x.csat, x.ces")
    filtered, params = filtered_rows(source, filters, period, None)
    columns = ["y", *(d.id for d in DRIVERS)]
    pattern, moments = _moments_sql(columns)
    values = ", ".join(f"{d.sql} AS {d.id}" for d in DRIVERS)
    return query_df(con, _ROWS.format(kpi=kpi, filtered=filtered, values=values, pattern=pattern,
                                      moments=moments), params), columns


def pooled(frame, columns: list[str], keep: list[str]) -> tuple[int, np.ndarray]:
    """(n, covariance matrix of `keep`) over the patterns where every kept
    column is present: Chan's formula merges the groups' means and
    covariances exactly."""
    bits = {c: 1 << i for i, c in enumerate(columns)}
    need = sum(bits[c] for c in keep)
    groups = frame[(frame["pattern"].astype("int64") & need) == 0]
    n = int(groups["n"].sum())
    if n == 0:
        return 0, np.zeros((len(keep), len(keep)))
    weights = groups["n"].to_numpy(dtype=float)
    means = groups[[f"m_{c}" for c in keep]].to_numpy(dtype=float)
    grand = weights @ means / n
    cov = np.zeros((len(keep), len(keep)))
    for a, ca in enumerate(keep):
        for b, cb in enumerate(keep):
            i, j = sorted((columns.index(ca), columns.index(cb)))
            within = groups[f"c_{columns[i]}__{columns[j]}"].to_numpy(dtype=float)
            between = (means[:, a] - grand[a]) * (means[:, b] - grand[b])
            cov[a, b] = weights @ (within + between) / n
    return n, cov


def relative_weights(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Johnson's relative weights from the correlation matrix of the drivers
    and the outcome (outcome last): each driver's share of R², summing to R².
    The drivers' correlation matrix R = PΔPᵀ; Λ = PΔ^½Pᵀ correlates them with
    their closest orthogonal counterparts Z; β regresses the outcome on Z;
    a driver's weight is Σₖ Λⱼₖ² βₖ²."""
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    values, vectors = np.linalg.eigh(rxx)
    lam = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]
    weights = (lam ** 2) @ (beta ** 2)
    return weights, float(weights.sum())


def drivers(con: duckdb.DuckDBPyConnection, kpi: str, period: Period, filters: Filters = Filters()) -> dict:
    """The contract's document: kpi, period, filters, n, r2, drivers (by
    weight, largest first), left_out; `reason` when there is no result."""
    frame, columns = driver_moments(con, kpi, period, filters)
    doc = {"kpi": kpi, "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
           "filters": filters.as_dict(), "n": 0, "r2": None, "drivers": [], "left_out": []}
    total = int(frame["n"].sum()) if len(frame) else 0
    if total < MIN_ROWS:
        return {**doc, "n": total, "reason": f"{total} responses with {kpi.upper()} in the period: "
                                             f"fewer than {MIN_ROWS}, too few to tell what moves it"}
    bits = {c: 1 << i for i, c in enumerate(columns)}
    keep = []
    for d in DRIVERS:
        missing = int(frame.loc[(frame["pattern"].astype("int64") & bits[d.id]) != 0, "n"].sum())
        if missing > MAX_MISSING * total:
            doc["left_out"].append({"id": d.id, "why": f"missing for {100 * missing / total:.0f}% of the "
                                                       f"responses (more than {MAX_MISSING:.0%})"})
        else:
            keep.append(d.id)
    n, cov = pooled(frame, columns, keep + ["y"])
    spread = np.sqrt(np.clip(np.diag(cov), 0, None))
    if n < MIN_ROWS or spread[-1] == 0:
        why = (f"{n} responses have every kept driver: fewer than {MIN_ROWS}" if n < MIN_ROWS
               else f"every response gave the same {kpi.upper()}: nothing to explain")
        return {**doc, "n": n, "reason": why}
    flat = [i for i, s in enumerate(spread[:-1]) if s < 1e-9]
    for i in flat:
        doc["left_out"].append({"id": keep[i], "why": "the same value for every response: it cannot explain "
                                                      "a difference"})
    idx = [i for i in range(len(keep)) if i not in flat] + [len(keep)]
    keep = [keep[i] for i in idx[:-1]]
    if not keep:
        return {**doc, "n": n, "reason": "no driver varies across these responses"}
    cov = cov[np.ix_(idx, idx)]
    corr = cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov)))
    weights, r2 = relative_weights(corr)
    rows = [{"id": d, "label": BY_ID[d].label, "owner": BY_ID[d].owner, "weight": float(w),
             "share": float(100 * w / r2) if r2 > 0 else 0.0,
             "direction": "+" if corr[i, -1] >= 0 else "−"}
            for i, (d, w) in enumerate(zip(keep, weights))]
    rows.sort(key=lambda r: (-r["weight"], r["id"]))
    return {**doc, "n": n, "r2": r2, "drivers": rows}


def by_owner(doc: dict) -> dict[str, float]:
    """The sum of shares by owner: how much of what moves the KPI sits with
    the CMO, the CIO, or both."""
    return {owner: sum(d["share"] for d in doc["drivers"] if d["owner"] == owner) for owner in OWNERS}
