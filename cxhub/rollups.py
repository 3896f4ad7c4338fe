"""Rollups: small tables derived from the fact tables so that the dashboard's
queries read thousands of rows instead of millions.

They are refreshed inside the transaction that changed their sources (an
import, the demo build, a schema migration), so they are never stale: a
failed load rolls the rollup back with the rows. An import refreshes only
what it touched (the customers whose orders changed, and the months whose
counts they change; the days whose contacts or answers, or whose
customers' first-contact outcome, changed; the answers a new contact or
order precedes), so its cost grows with the file, not with the database; a
build or a migration rebuilds them whole. The KPI engine reads a rollup
only where it gives the same numbers as the fact tables
(tests/test_rollups.py checks both ways).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

# Past this share of a rollup's rows touched, rebuilding it whole is cheaper.
FULL_REBUILD_SHARE = 0.25
# A contact is a repeat of the resolved contacts of the 7 days before it.
REPEAT_DAYS = 7
# The windows before a survey answer that its drivers count contacts and orders in.
CONTACT_DAYS = 7
ORDER_DAYS = 90


@dataclass(frozen=True)
class Rollup:
    name: str
    description: str
    sources: tuple[str, ...]  # the tables whose change requires a refresh
    scope: str  # what a partial refresh recomputes: "customer", "day", "month" or "response"
    sql: str  # the SELECT that builds it; {where} (and {moments}, ...) narrow it to the touched scope
    # A day rollup: the fact table whose rows it counts by day, their time column, and how many
    # days before a changed day change with it.
    fact: str = ""
    fact_time: str = ""
    reach_back: int = 0
    added_in: int = 0  # the analytics schema version whose migration builds it from the data present

    @property
    def key(self) -> str:
        """The column a partial refresh deletes and rebuilds by."""
        return {"customer": "customer_id", "day": "d", "month": "month", "response": "response_id"}[self.scope]

    def select(self, **conditions: str) -> str:
        """The SELECT that builds the rollup, narrowed by the conditions given
        (where, moments, contacts, orders); any not given is true: all of it."""
        return self.sql.format_map(defaultdict(lambda: "true", conditions))


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


def _order_months(days: str, *keys: str) -> str:
    """The customer-days rollup `days` counted per calendar month (and `keys`),
    with the customer's segment and region: what retention, repeat purchase
    and revenue per customer (and its spread) need for whole-month periods.
    A customer's month is one buyer; their last day in it links to their
    next day with an order."""
    of_days, of_months = "".join(f", x.{k}" for k in keys), "".join(f", m.{k}" for k in keys)
    return f"""
        WITH customer_months AS (
            SELECT x.customer_id{of_days}, date_trunc('month', x.d)::DATE AS month, sum(x.orders) AS orders,
                   sum(x.amount) AS spent, max(x.next_day) AS next_day
            FROM {days} x WHERE {{where}} GROUP BY ALL
        )
        SELECT m.month{of_months}, c.segment, c.region,
               count(*) AS buyers,
               count(*) FILTER (WHERE m.orders = 1) AS single_order_buyers,
               sum(m.spent) AS revenue,
               sum(m.spent::DOUBLE * m.spent::DOUBLE) AS revenue_squares,
               count(*) FILTER (WHERE m.next_day > last_day(m.month)
                                AND m.next_day <= last_day(m.month + INTERVAL 1 MONTH)) AS came_back
        FROM customer_months m LEFT JOIN customers c ON c.customer_id = m.customer_id
        GROUP BY ALL
        ORDER BY month
        """


ROLLUPS = (
    Rollup(
        "customer_days",
        "One row per customer and day with an order: the day's orders and amount, the customer's first "
        "order day ever, and their previous and next day with an order. Retention, repeat purchase, "
        "revenue per customer and cohort retention read it: who bought in a period, and who came back, "
        "are counted in one pass without a self-join.",
        ("orders",), "customer",
        _customer_days("customer_id"), added_in=4,
    ),
    Rollup(
        "customer_touchpoint_days",
        "The same per customer, touchpoint and day, the links running within the touchpoint: what "
        "those KPIs read for one touchpoint, or touchpoint by touchpoint.",
        ("orders",), "customer",
        _customer_days("customer_id, touchpoint_id"), added_in=4,
    ),
    Rollup(
        "interaction_days",
        "Interactions counted per day, touchpoint, whether the customer is known, and the customer's "
        "segment and region: all interactions, those with a resolved flag, and those resolved with no "
        "repeat contact by the same customer within 7 days. FCR, single-customer-view coverage and "
        "digital share read it.",
        ("interactions", "customers"), "day",
        fact="interactions", fact_time="occurred_at", reach_back=REPEAT_DAYS, added_in=4,
        sql=f"""
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
    Rollup(
        "survey_days",
        "Survey answers counted per day, touchpoint, and the customer's segment and region: NPS "
        "answers, promoters and detractors; CSAT answers and satisfied ones; CES answers, their sum and "
        "sum of squares. NPS, CSAT, CES, their 95% intervals and channel consistency read it.",
        ("surveys", "customers"), "day",
        fact="surveys", fact_time="responded_at", added_in=7,
        sql="""
        SELECT x.responded_at::DATE AS d, x.touchpoint_id, c.segment, c.region,
               count(x.nps) AS n_nps,
               count(*) FILTER (WHERE x.nps >= 9) AS promoters,
               count(*) FILTER (WHERE x.nps <= 6) AS detractors,
               count(x.csat) AS n_csat,
               count(*) FILTER (WHERE x.csat >= 4) AS satisfied,
               count(x.ces) AS n_ces,
               coalesce(sum(x.ces), 0)::BIGINT AS ces_sum,
               coalesce(sum(x.ces * x.ces), 0)::BIGINT AS ces_squares
        FROM surveys x
        LEFT JOIN customers c ON c.customer_id = x.customer_id
        WHERE {where}
        GROUP BY ALL
        ORDER BY d
        """,
    ),
    Rollup(
        "order_months",
        "customer_days counted per calendar month, segment and region: buyers, buyers of a single "
        "order, revenue and the sum of each buyer's spend squared (its spread), and buyers who came back "
        "the next month. A period of whole single months reads a few thousand rows here instead of a "
        "million customer-days.",
        ("orders", "customers"), "month",
        _order_months("customer_days"), added_in=7,
    ),
    Rollup(
        "order_touchpoint_months",
        "The same per touchpoint, from customer_touchpoint_days.",
        ("orders", "customers"), "month",
        _order_months("customer_touchpoint_days", "touchpoint_id"), added_in=7,
    ),
    Rollup(
        "response_context",
        "One row per survey response with a customer: whether the customer is known, their days since "
        "sign-up, their contacts in the 7 days before it (and whether one was unresolved) and their "
        "orders in the 90 days before it, at any touchpoint. The drivers of NPS and CSAT read it "
        "instead of matching each answer against its customer and every contact and order of theirs.",
        ("surveys", "interactions", "orders", "customers"), "response",
        f"""
        WITH scope AS (
            SELECT response_id, customer_id, responded_at AS t FROM surveys
            WHERE customer_id IS NOT NULL AND {{where}}
        ),
        contacts AS (
            SELECT r.response_id, count(*) AS recent_contacts,
                   max(CASE WHEN i.resolved = false THEN 1 ELSE 0 END) AS unresolved_contact
            FROM scope r JOIN interactions i ON i.customer_id = r.customer_id
             AND i.occurred_at >= r.t - INTERVAL {CONTACT_DAYS} DAY AND i.occurred_at < r.t AND {{contacts}}
            GROUP BY r.response_id
        ),
        buys AS (
            SELECT r.response_id, count(*) AS recent_orders
            FROM scope r JOIN orders o ON o.customer_id = r.customer_id
             AND o.ordered_at >= r.t - INTERVAL {ORDER_DAYS} DAY AND o.ordered_at < r.t AND {{orders}}
            GROUP BY r.response_id
        )
        SELECT r.response_id, r.customer_id, r.t::DATE AS d,
               c.customer_id IS NOT NULL AS known,
               datediff('day', c.signup_date, r.t::DATE) AS tenure_days,
               coalesce(k.recent_contacts, 0) AS recent_contacts,
               coalesce(k.unresolved_contact, 0) AS unresolved_contact,
               coalesce(b.recent_orders, 0) AS recent_orders
        FROM scope r
        LEFT JOIN customers c ON c.customer_id = r.customer_id
        LEFT JOIN contacts k ON k.response_id = r.response_id
        LEFT JOIN buys b ON b.response_id = r.response_id
        ORDER BY d, r.response_id
        """,
        added_in=7,
    ),
)


def build(con, names: tuple[str, ...]) -> None:
    """Build the named rollups whole, in ROLLUPS' order (a migration that
    adds them, or a refresh that touched too much to narrow)."""
    for rollup in ROLLUPS:
        if rollup.name in names:
            con.execute(f"CREATE OR REPLACE TABLE {rollup.name} AS {rollup.select()}")


def refresh(con, changed: str | None = None, touched: str | None = None) -> list[str]:
    """Refresh the rollups fed by table `changed` (all of them when None), on
    the caller's connection or cursor and inside its transaction, in ROLLUPS'
    order (a month rollup reads the day rollup refreshed before it). `touched`
    names a table of (customer_id, d) the change touched (both the new rows
    and the rows they replaced); without it the rollups are rebuilt whole.
    Returns the names refreshed."""
    refreshed = []
    for rollup in ROLLUPS:
        if changed is not None and changed not in rollup.sources:
            continue
        narrowed = _scope(con, rollup, changed, touched) if touched else None
        if narrowed is None:
            build(con, (rollup.name,))
        else:
            con.execute(f"DELETE FROM {rollup.name} WHERE {rollup.key} IN (SELECT {rollup.key} FROM cx_scope)")
            con.execute(f"INSERT INTO {rollup.name} {rollup.select(**narrowed)}")
        refreshed.append(rollup.name)
    return refreshed


def _scope(con, rollup: Rollup, changed: str, touched: str) -> dict | None:
    """Fill cx_scope with what the rollup must recompute and return the
    conditions that narrow its SELECT to it; None when so much was touched
    that a whole rebuild is cheaper."""
    narrowed = {"customer": _customers_touched, "day": _days_touched, "month": _months_touched,
                "response": _responses_touched}[rollup.scope](con, rollup, changed, touched)
    total = con.execute(f"SELECT count(*) FROM {rollup.name}").fetchall()[0][0]
    hit = con.execute(f"SELECT count(*) FROM {rollup.name} WHERE {rollup.key} IN (SELECT {rollup.key} FROM cx_scope)"
                      ).fetchall()[0][0]
    return None if total == 0 or hit > FULL_REBUILD_SHARE * total else narrowed


def _bounds(con, key: str):
    """The scope's first and last day or month, as constants the scans filter on as they read."""
    return con.execute(f"SELECT min({key}), max({key}) FROM cx_scope").fetchall()[0]


def _customers_touched(con, rollup: Rollup, changed: str, touched: str) -> dict:
    con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT customer_id FROM {touched} "
                "WHERE customer_id IS NOT NULL")
    return {"where": "customer_id IN (SELECT customer_id FROM cx_scope)", "moments": "true"}


def _days_touched(con, rollup: Rollup, changed: str, touched: str) -> dict:
    time = rollup.fact_time
    if changed == "customers":
        # A customer's segment, region or existence changes every day they were in contact (or answered).
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT {time}::DATE AS d "
                    f"FROM {rollup.fact} WHERE customer_id IN (SELECT customer_id FROM {touched})")
    else:
        # A row changes its own day, and those it reaches back to (whether the resolved contacts of the
        # 7 days before a contact were first contacts).
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT (t.d - k::INTEGER)::DATE AS d "
                    f"FROM {touched} t, range(0, {rollup.reach_back + 1}) r(k) WHERE t.d IS NOT NULL")
    low, high = _bounds(con, "d")
    if low is None:
        return {"where": "false", "moments": "false"}
    return {"where": f"x.{time} >= TIMESTAMP '{low}' AND x.{time} < TIMESTAMP '{high}' + INTERVAL 1 DAY "
                     f"AND x.{time}::DATE IN (SELECT d FROM cx_scope)",
            "moments": f"{time} >= TIMESTAMP '{low}' AND {time} < TIMESTAMP '{high}' "
                       f"+ INTERVAL {rollup.reach_back + 1} DAY"}


def _months_touched(con, rollup: Rollup, changed: str, touched: str) -> dict:
    if changed == "customers":
        # A customer's segment or region counts in every month they bought in.
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT date_trunc('month', d)::DATE AS month "
                    f"FROM customer_days WHERE customer_id IN (SELECT customer_id FROM {touched})")
    else:
        # An order day changes its own month, and the month before it: whether that month's buyers
        # came back (a day further away links to days further away still, before and after).
        con.execute(f"CREATE OR REPLACE TEMP TABLE cx_scope AS SELECT DISTINCT "
                    f"(date_trunc('month', t.d) - k * INTERVAL 1 MONTH)::DATE AS month "
                    f"FROM {touched} t, range(0, 2) r(k) WHERE t.d IS NOT NULL")
    low, high = _bounds(con, "month")
    if low is None:
        return {"where": "false", "moments": "false"}
    return {"where": f"x.d >= DATE '{low}' AND x.d < DATE '{high}' + INTERVAL 1 MONTH "
                     "AND date_trunc('month', x.d)::DATE IN (SELECT month FROM cx_scope)",
            "moments": "true"}


def _responses_touched(con, rollup: Rollup, changed: str, touched: str) -> dict:
    """The answers whose context a change reaches: a contact, those of its
    customer in the 7 days after it; an order, the 90 days after it; an
    answer, itself; a customer, all of theirs. Answers the rollup holds count
    too (an answer that lost its customer leaves it)."""
    after = {"interactions": CONTACT_DAYS, "orders": ORDER_DAYS, "surveys": 0}.get(changed)
    reach = "true" if after is None else f"x.d >= t.d AND x.d <= t.d + {after}"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE cx_scope AS
        SELECT x.response_id FROM (SELECT response_id, customer_id, responded_at::DATE AS d FROM surveys) x
        JOIN {touched} t ON t.customer_id = x.customer_id AND {reach}
        UNION
        SELECT x.response_id FROM response_context x JOIN {touched} t ON t.customer_id = x.customer_id AND {reach}""")
    low, high = con.execute("SELECT min(responded_at), max(responded_at) FROM surveys "
                            "WHERE response_id IN (SELECT response_id FROM cx_scope)").fetchall()[0]
    if low is None:
        return {"where": "false", "contacts": "false", "orders": "false"}
    # The answers' first and last moments as constants: the scans of contacts and orders read
    # only the days before them.
    return {"where": f"responded_at >= TIMESTAMP '{low}' AND responded_at <= TIMESTAMP '{high}' "
                     "AND response_id IN (SELECT response_id FROM cx_scope)",
            "contacts": f"i.occurred_at >= TIMESTAMP '{low}' - INTERVAL {CONTACT_DAYS} DAY "
                        f"AND i.occurred_at < TIMESTAMP '{high}'",
            "orders": f"o.ordered_at >= TIMESTAMP '{low}' - INTERVAL {ORDER_DAYS} DAY "
                      f"AND o.ordered_at < TIMESTAMP '{high}'"}
