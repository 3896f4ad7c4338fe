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


ROLLUPS = (
    Rollup(
        "customer_months",
        "One row per customer and calendar month with an order: the month's orders and amount, the "
        "customer's first order month ever, and their previous and next month with an order. "
        "Retention, repeat purchase and revenue of whole-month periods, and cohort retention, read it.",
        ("orders",),
        """
        WITH months AS (
            SELECT customer_id, date_trunc('month', ordered_at)::DATE AS month,
                   count(*) AS orders, sum(amount) AS amount
            FROM orders GROUP BY ALL
        )
        SELECT customer_id, month, orders, amount,
               min(month) OVER (PARTITION BY customer_id) AS first_month,
               lag(month) OVER by_month AS prev_month,
               lead(month) OVER by_month AS next_month
        FROM months
        WINDOW by_month AS (PARTITION BY customer_id ORDER BY month)
        ORDER BY month, customer_id
        """,
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
               count_if(x.resolved AND b.customer_id IS NULL) AS first_contact
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
