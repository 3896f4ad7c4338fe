"""Rollups: small tables derived from the fact tables so that the dashboard's
queries read thousands of rows instead of millions.

Each rollup is rebuilt whole, inside the transaction that changed its
sources (an import, the demo build, a schema migration), so it is never
stale: a failed load rolls the rollup back with the rows. Rebuilding whole is
simple and cheap next to the load itself (a few seconds at 1M customers).
The KPI engine reads a rollup only where it gives the same numbers as the
fact tables (tests/test_rollups.py checks that on the demo company).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rollup:
    name: str
    description: str
    sources: tuple[str, ...]  # the tables whose change requires a rebuild
    sql: str


def _customer_days(keys: str) -> str:
    """Orders per customer (and touchpoint) and day, each row linked to the
    customer's first, previous and next day with an order (at that touchpoint)."""
    return f"""
        WITH days AS (
            SELECT {keys}, ordered_at::DATE AS d, count(*) AS orders, sum(amount) AS amount
            FROM orders GROUP BY ALL
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
        ("orders",),
        _customer_days("customer_id"),
    ),
    Rollup(
        "customer_touchpoint_days",
        "The same per customer, touchpoint and day, the links running within the touchpoint: what "
        "those KPIs read for one touchpoint, or touchpoint by touchpoint.",
        ("orders",),
        _customer_days("customer_id, touchpoint_id"),
    ),
    Rollup(
        "interaction_days",
        "Interactions counted per day, touchpoint, whether the customer is known, and the customer's "
        "segment and region: all interactions, those with a resolved flag, and those resolved with no "
        "repeat contact by the same customer within 7 days. FCR, single-customer-view coverage and "
        "digital share read it.",
        ("interactions", "customers"),
        """
        WITH resolved AS (
            SELECT DISTINCT customer_id, occurred_at FROM interactions
            WHERE resolved AND customer_id IS NOT NULL
        ),
        came_back AS (
            -- The repeat contact is searched over every interaction, any touchpoint.
            SELECT DISTINCT r.customer_id, r.occurred_at
            FROM resolved r JOIN interactions i
              ON i.customer_id = r.customer_id
             AND i.occurred_at > r.occurred_at
             AND i.occurred_at <= r.occurred_at + INTERVAL 7 DAY
        )
        SELECT x.occurred_at::DATE AS d, x.touchpoint_id,
               c.customer_id IS NOT NULL AS known, c.segment, c.region,
               count(*) AS interactions,
               count(x.resolved) AS resolved_n,
               count(*) FILTER (WHERE x.resolved AND b.customer_id IS NULL) AS first_contact
        FROM interactions x
        LEFT JOIN customers c ON c.customer_id = x.customer_id
        LEFT JOIN came_back b ON b.customer_id = x.customer_id AND b.occurred_at = x.occurred_at
        GROUP BY ALL
        ORDER BY d
        """,
    ),
)


def refresh(con, changed: str | None = None) -> list[str]:
    """Rebuild the rollups fed by table `changed` (all of them when None), on
    the caller's connection or cursor and inside its transaction. Returns
    the names rebuilt."""
    rebuilt = []
    for rollup in ROLLUPS:
        if changed is None or changed in rollup.sources:
            con.execute(f"CREATE OR REPLACE TABLE {rollup.name} AS {rollup.sql}")
            rebuilt.append(rollup.name)
    return rebuilt
