"""Rollups: small tables derived from the fact tables so that the dashboard's
queries read thousands of rows instead of millions.

They are refreshed inside the transaction that changed their sources (an
import, the demo build, a schema migration), so they are never stale: a
failed load rolls the rollup back with the rows. An import refreshes only
what it touched (the customers whose orders changed; the days whose
contacts, or whose customers' first-contact outcome, changed), so its cost
grows with the file, not with the database; a build or a migration
rebuilds them whole. The KPI engine reads a rollup only where it gives the
same numbers as the fact tables (tests/test_rollups.py checks both ways).
"""

from __future__ import annotations

from dataclasses import dataclass

# Past this share of a rollup's rows touched, rebuilding it whole is cheaper.
FULL_REBUILD_SHARE = 0.25
# A contact is a repeat of the resolved contacts of the 7 days before it.
REPEAT_DAYS = 7


@dataclass(frozen=True)
class Rollup:
    name: str
    description: str
    sources: tuple[str, ...]  # the tables whose change requires a refresh
    scope: str  # what a partial refresh recomputes: "customer" or "day"
    sql: str  # the SELECT that builds it; {where} (and {moments}) narrow it to the touched scope


def _customer_days(keys: str) -> str:
    """Orders per customer (and touchpoint) and day, each row linked to the
    customer's first, previous and next day with an order (at that touchpoint)."""
    return f"""
        WITH days AS (
            SELECT {keys}, ordered_at::DATE AS d, count(*) AS orders, sum(amount) AS amount
            FROM orders WHERE {{where}} GROUP BY ALL
        )
        SELECT {keys}, d, orders, amount,
               min(d) OVER (PARTITION BY {keys}) AS first_day,
               lag(d) OVER by_day AS prev_day,
               lead(d) OVER by_day AS next_day
        FROM days
        WINDOW by_day AS (PARTITION BY {keys} ORDER BY d)
        ORDER BY d, {keys}
        """


ROLLUPS = (
    Rollup(
        "customer_days",
        "One row per customer and day with an order: the day's orders and amount, the customer's first "
        "order day ever, and their previous and next day with an order. Retention, repeat purchase, "
        "revenue per customer and cohort retention read it: who bought in a period, and who came back, "
        "are counted in one pass without a self-join.",
        ("orders",), "customer",
        _customer_days("customer_id"),
    ),
    Rollup(
        "customer_touchpoint_days",
        "The same per customer, touchpoint and day, the links running within the touchpoint: what "
        "those KPIs read for one touchpoint, or touchpoint by touchpoint.",
        ("orders",), "customer",
        _customer_days("customer_id, touchpoint_id"),
    ),
    Rollup(
        "interaction_days",
        "Interactions counted per day, touchpoint, whether the customer is known, and the customer's "
        "segment and region: all interactions, those with a resolved flag, and those resolved with no "
        "repeat contact by the same customer within 7 days. FCR, single-customer-view coverage and "
        "digital share read it.",
        ("interactions", "customers"), "day",
        f"""
        WITH scope AS (SELECT * FROM interactions x WHERE {{where}}),
        moments AS (
            -- Each moment a customer of the scope was in contact, any touchpoint, from the scope's first
            -- day to 8 days after its last: enough to find the next contact after each of theirs.
            SELECT DISTINCT customer_id, occurred_at FROM interactions
            WHERE customer_id IN (SELECT customer_id FROM scope WHERE resolved AND customer_id IS NOT NULL)
              AND {{moments}}
        ),
        came_back AS (
            -- The next contact strictly after each moment, found by sorting each customer's moments
            -- once: no pairwise join, so a customer with 200,000 contacts costs a sort, not a square.
            SELECT customer_id, occurred_at FROM (
                SELECT customer_id, occurred_at,
                       lead(occurred_at) OVER (PARTITION BY customer_id ORDER BY occurred_at) AS next_at
                FROM moments
            ) WHERE next_at <= occurred_at + INTERVAL {REPEAT_DAYS} DAY
        )
        SELECT x.occurred_at::DATE AS d, x.touchpoint_id,
               c.customer_id IS NOT NULL AS known, c.segment, c.region,
               count(*) AS interactions,
               count(x.resolved) AS resolved_n,
               count(*) FILTER (WHERE x.resolved AND b.customer_id IS NULL) AS first_contact
        FROM scope x
        LEFT JOIN customers c ON c.customer_id = x.customer_id
        LEFT JOIN came_back b ON b.customer_id = x.customer_id AND b.occurred_at = x.occurred_at
        GROUP BY ALL
        ORDER BY d
        """,
    ),
)


def refresh(con, changed: str | None = None, touched: str | None = None) -> list[str]:
    """Refresh the rollups fed by table `changed` (all of them when None), on
    the caller's connection or cursor and inside its transaction. `touched`
    names a table of (customer_id, d) the change touched (both the new rows
    and the rows they replaced); without it the rollups are rebuilt whole.
    Returns the names refreshed."""
    refreshed = []
    for rollup in ROLLUPS:
        if changed is not None and changed not in rollup.sources:
            continue
        narrowed = _scope(con, rollup, changed, touched) if touched else None
        if narrowed is None:
            con.execute(f"CREATE OR REPLACE TABLE {rollup.name} AS {rollup.sql.format(where='true', moments='true')}")
        else:
            column = "customer_id" if rollup.scope == "customer" else "d"
            con.execute(f"DELETE FROM {rollup.name} WHERE {column} IN (SELECT {column} FROM cx_scope)")
            con.execute(f"INSERT INTO {rollup.name} {rollup.sql.format(**narrowed)}")
        refreshed.append(rollup.name)
    return refreshed


def _scope(con, rollup: Rollup, changed: str, touched: str) -> dict | None:
    """Fill cx_scope with what the rollup must recompute and return the
    conditions that narrow its SELECT to it; None when so much was touched
    that a whole rebuild is cheaper."""
    if rollup.scope == "customer":
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT customer_id FROM {touched} "
                    "WHERE customer_id IS NOT NULL")
        where = "customer_id IN (SELECT customer_id FROM cx_scope)"
    elif changed == "customers":
        # A customer's segment, region or existence changes every day they were in contact.
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT occurred_at::DATE AS d "
                    f"FROM interactions WHERE customer_id IN (SELECT customer_id FROM {touched})")
        where = "x.occurred_at::DATE IN (SELECT d FROM cx_scope)"
    elif changed == "interactions":
        # A contact changes its own day, and whether the resolved contacts of the 7 days before it were
        # first contacts.
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT (t.d - k::INTEGER)::DATE AS d "
                    f"FROM {touched} t, range(0, {REPEAT_DAYS + 1}) r(k) WHERE t.d IS NOT NULL")
        where = "x.occurred_at::DATE IN (SELECT d FROM cx_scope)"
    moments = "true"
    if rollup.scope == "day":
        # The days' bounds as constants: the scans filter on them as they read.
        low, high = con.execute("SELECT min(d), max(d) FROM cx_scope").fetchall()[0]
        if low is None:
            return {"where": "false", "moments": "false"}
        where = (f"x.occurred_at >= TIMESTAMP '{low}' AND x.occurred_at < TIMESTAMP '{high}' + INTERVAL 1 DAY "
                 f"AND {where}")
        moments = (f"occurred_at >= TIMESTAMP '{low}' "
                   f"AND occurred_at < TIMESTAMP '{high}' + INTERVAL {REPEAT_DAYS + 1} DAY")
    total = con.execute(f"SELECT count(*) FROM {rollup.name}").fetchall()[0][0]
    column = "customer_id" if rollup.scope == "customer" else "d"
    hit = con.execute(f"SELECT count(*) FROM {rollup.name} WHERE {column} IN (SELECT {column} FROM cx_scope)"
                      ).fetchall()[0][0]
    return None if total == 0 or hit > FULL_REBUILD_SHARE * total else {"where": where, "moments": moments}
