"""The demo company: a deterministic, believable dataset built in DuckDB SQL.

Randomness comes from hashing (seed, row keys, a salt), so the same seed and
end month give the same rows on any machine, whatever the thread count.
The story the dashboard should reveal is declared as small data below:
seasonality, a mobile-app release that goes wrong, a slow contact center and
identity resolution that improves over time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from cxhub import joint, rollups, workspace
from cxhub.db import query_rows, transaction, utc_now
from cxhub.kpis.period import add_months, month_end

DEFAULT_CUSTOMERS = 20_000
DEFAULT_MONTHS = 24
DEFAULT_SEED = 42

# touchpoint_id, name, kind, owner, share of a customer's non-primary contacts,
# P(csat >= 4), mean handle seconds, P(resolved) (NULL: not tracked),
# P(the customer comes back within a week | unresolved, resolved)
TOUCHPOINTS = [
    ("web", "Website", "digital", "Joint", 0.26, 0.84, 150, 0.86, 0.25, 0.04),
    ("mobile_app", "Mobile app", "digital", "Joint", 0.22, 0.86, 110, 0.88, 0.25, 0.04),
    ("contact_center", "Contact center", "assisted", "CIO", 0.13, 0.71, 640, 0.70, 0.55, 0.20),
    ("store", "Stores", "physical", "CMO", 0.10, 0.88, 420, 0.92, 0.20, 0.03),
    ("email", "Email", "digital", "CMO", 0.14, 0.78, 60, None, 0.0, 0.0),
    ("social", "Social media", "digital", "CMO", 0.06, 0.74, 90, None, 0.0, 0.0),
    ("chat", "Live chat", "assisted", "Joint", 0.09, 0.82, 380, 0.83, 0.35, 0.07),
]

# Each touchpoint's usual p95 latency (ms); a day varies ±15% around it.
LATENCY_MS = {"web": 620, "mobile_app": 540, "contact_center": 900, "chat": 700, "store": 450, "email": 800,
              "social": 800}

# A customer's main channel, and how often each is the main one.
PRIMARY_CHANNELS = [("web", 0.34), ("mobile_app", 0.36), ("store", 0.20), ("contact_center", 0.10)]

# Monthly volume multipliers (month number -> factor).
SEASONALITY = {1: 0.95, 2: 0.9, 3: 1.0, 4: 1.0, 5: 1.0, 6: 0.95, 7: 0.85, 8: 0.85, 9: 1.0, 10: 1.05,
               11: 1.2, 12: 1.35}

SEGMENTS = [("consumer", 0.80, 55.0), ("smb", 0.15, 240.0), ("enterprise", 0.05, 1400.0)]
REGIONS = [("North", 0.30), ("South", 0.25), ("East", 0.25), ("West", 0.20)]

INTENTS = ["purchase", "billing", "support", "account", "delivery", "complaint"]

# Verbatims: a handful of real themes per touchpoint ('*' = any) and tone,
# each phrased many ways (a lead-in, an opening, a middle and an ending from
# its lists): some 2,000 distinct sentences, as a text model meets them.
LEAD_INS = {"neg": ["", "Honestly, ", "Again: "], "pos": ["", "Honestly, "], "neu": [""]}
ENDINGS = {"neg": [".", ", very frustrating.", ", please fix this.", " again.", ", not good enough.",
                   ", really disappointed."],
           "pos": [".", ", thank you.", ", great job.", ", well done.", "!"],
           "neu": [".", ", nothing special.", ", I suppose."]}
COMMENT_THEMES = [
    ("mobile_app", "neg", ["The app", "Your app", "The mobile app", "Since the update the app"],
     ["crashes at checkout", "keeps logging me out", "freezes on the login screen", "is painfully slow to load",
      "failed to take my payment"]),
    ("mobile_app", "pos", ["The app", "Ordering in the app", "The new app"],
     ["is quick and easy", "takes a minute", "works perfectly"]),
    ("web", "neg", ["The website", "Checkout on the website", "Your site", "The online checkout"],
     ["kept timing out", "would not accept my card", "hid my invoice somewhere", "was slow to load"]),
    ("web", "pos", ["The website", "Your site"], ["is easy to use", "made ordering simple", "has everything I need"]),
    ("contact_center", "neg", ["I waited", "I was kept", "I spent", "I sat"],
     ["25 minutes on hold", "on hold for ages", "half an hour in the phone queue",
      "forever on hold before anyone answered"]),
    ("contact_center", "neg", ["I was transferred", "The call was passed", "They moved my call"],
     ["between departments four times", "to three different agents", "around and cut off"]),
    ("contact_center", "pos", ["The agent", "The person on the phone", "Your advisor"],
     ["knew my history", "fixed it in one call", "was patient and helpful"]),
    ("store", "neg", ["The store", "Your shop", "The branch"],
     ["had no stock of what the website showed", "had a long queue at the till", "could not process my return"]),
    ("store", "pos", ["Staff in the store", "The shop assistant", "The team at the branch"],
     ["were great", "were friendly and helpful", "went out of their way"]),
    ("email", "neg", ["Too many marketing emails", "Your emails", "The newsletters"],
     ["every single day", "I never signed up for", "fill my inbox"]),
    ("email", "pos", ["Clear order confirmation emails", "Useful delivery emails"], ["", "every time"]),
    ("social", "neg", ["My message on social media", "My post on Twitter", "Your social team"],
     ["was answered only after two days", "was ignored", "sent me to the call centre"]),
    ("social", "pos", ["Quick reply on social media", "Your social team"], ["", "sorted it fast"]),
    ("chat", "neg", ["The chat bot", "The chatbot", "Live chat"],
     ["could not understand me", "kept repeating itself", "disconnected halfway"]),
    ("chat", "pos", ["The chat agent", "Live chat"], ["solved it in five minutes", "was quick and friendly"]),
    ("*", "neg", ["Nobody", "No one from your team"], ["followed up as promised", "called me back"]),
    ("*", "neg", ["I had to explain my problem", "I repeated my issue"], ["three times", "to every person"]),
    ("*", "neu", ["It was fine", "It was okay", "Got what I needed"], ["", "in the end", "eventually"]),
    ("*", "pos", ["Quick and painless", "Easy and fast", "Sorted first time"], ["", "as always"]),
]


def comments() -> list[tuple[str, str, str]]:
    """(touchpoint, tone, sentence) for every phrasing of every theme."""
    out = []
    for tp, tone, openings, middles in COMMENT_THEMES:
        for lead in LEAD_INS[tone]:
            for opening in openings:
                start = lead + (opening[0].lower() + opening[1:] if lead and not opening.startswith("I ") else opening)
                for middle in middles:
                    for ending in ENDINGS[tone]:
                        out.append((tp, tone, " ".join(filter(None, [start, middle])) + ending))
    return out


@dataclass(frozen=True)
class Story:
    """When the mobile release goes wrong, relative to the last month."""

    release_months_before_end: int = 5  # e.g. May when the data ends in October
    release_day: int = 4
    incident_days: int = 12
    bad_months: int = 2
    release_latency: float = 1.45  # the app's p95 latency while the release is broken, × usual
    latency_effect: float = 0.3  # P(satisfied) falls by this × (the day's latency ÷ usual − 1), at most 0.4
    extra_churn: float = 0.05  # monthly churn added for app-first customers
    anonymous_start: float = 0.35  # share of anonymous contacts, first month
    anonymous_end: float = 0.08  # ... and last month
    staffing_day: int = 6  # the contact center loses staff on this day of the last month...
    staffing_reroute: float = 0.4  # ...and this share of its callers goes to chat instead


class DemoRefused(ValueError):
    """The database holds imported data that a demo build would overwrite."""


def default_end_month(today: date | None = None) -> date:
    """The last full month before today (as its first day)."""
    today = today or date.today()
    return add_months(today.replace(day=1), -1)


def _values(rows: list[tuple]) -> str:
    def lit(v):
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return repr(float(v)) if isinstance(v, float) else str(v)

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def _cumulative(pairs: list[tuple[str, float]]) -> list[tuple[str, float, float]]:
    out, lo = [], 0.0
    total = sum(w for _, w in pairs)
    for name, w in pairs:
        out.append((name, lo / total, (lo + w) / total))
        lo += w
    return out


def build_demo(
    con: duckdb.DuckDBPyConnection,
    customers: int = DEFAULT_CUSTOMERS,
    months: int = DEFAULT_MONTHS,
    seed: int = DEFAULT_SEED,
    end_month: date | None = None,
    story: Story = Story(),
    workspace_path: str | Path | None = None,
) -> dict[str, int]:
    """Replace the database's data with the demo company, in one transaction.
    Returns the row count of each table. Refuses when imported data exists.
    The demo's initiatives and meetings go into the workspace at
    `workspace_path` when given and it holds no joint work yet: people's
    work is never replaced by the demo story."""
    if customers < 1 or months < 3:
        raise ValueError("the demo needs at least 1 customer and 3 months")
    seed = int(seed)
    end_first = (end_month or default_end_month()).replace(day=1)
    start = add_months(end_first, -(months - 1))
    end = month_end(end_first)
    release_month = add_months(end_first, -story.release_months_before_end)
    release_start = release_month.replace(day=story.release_day)
    bad_until = add_months(release_month, story.bad_months)  # first month after the bad ones

    imported = query_rows(
        con, "SELECT count(*) FROM import_log WHERE source <> 'demo' AND outcome IN ('loaded', 'partial')"
    )[0][0]
    if imported:
        raise DemoRefused(
            "This database holds imported data; the demo would overwrite it. "
            "Use another --db for the demo."
        )

    started = utc_now()
    t0 = time.perf_counter()
    with transaction(con) as cur:
        for table in ("touchpoints", "customers", "interactions", "surveys", "orders", "system_health",
                      "kpi_targets", "rejected_rows", "import_log"):
            cur.execute(f"DELETE FROM {table}")
        _generate(cur, Calendar(customers, seed, months, start, end, release_month, release_start, bad_until, story))
        counts = {}
        for table in ("touchpoints", "customers", "interactions", "surveys", "orders", "system_health",
                      "kpi_targets"):
            n = cur.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            counts[table] = n
            cur.execute(
                "INSERT INTO import_log (table_name, source, rows_read, rows_loaded, started_at, finished_at, "
                "outcome, message) VALUES (?, 'demo', ?, ?, ?, ?, 'loaded', ?)",
                [table, n, n, started, utc_now(), f"demo company, seed {seed}, {customers} customers"],
            )
        rollups.refresh(cur)
    if workspace_path is not None:
        with workspace.opened(workspace_path) as ws:
            tps = [r[0] for r in query_rows(con, "SELECT touchpoint_id FROM touchpoints")]
            counts["initiatives"] = _seed_joint_work(ws, end_first, release_month, tps)
    con.execute("CHECKPOINT")
    counts["seconds"] = round(time.perf_counter() - t0, 2)
    return counts


@dataclass(frozen=True)
class Calendar:
    """What every table's generator needs to know: the size, the seed, the
    window and the story's dates."""

    customers: int
    seed: int
    months: int
    start: date  # first day of the window
    end: date  # last day of the window
    release_month: date
    release_start: date
    bad_until: date  # first month after the bad ones
    story: Story

    @property
    def window_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def staffing_change(self) -> date:
        """The day the contact center loses staff (the story's volume shift)."""
        return self.end.replace(day=self.story.staffing_day)


def _generate(cur, p: Calendar) -> None:
    """Every table of the demo company, in dependency order."""
    _prepare(cur, p)
    _touchpoints(cur)
    _customers(cur, p)
    _customer_months(cur, p)
    _system_health(cur, p)
    _interactions(cur, p)
    _surveys(cur, p)  # satisfaction follows the day's latency at the touchpoint
    _orders(cur, p)
    cur.execute(f"INSERT INTO kpi_targets VALUES {_values(TARGETS)}")
    for t in ("demo_customer", "demo_cm", "demo_contact", "demo_interaction", "demo_rating", "demo_answer",
              "demo_profile", "demo_season", "demo_comment"):
        cur.execute(f"DROP TABLE IF EXISTS {t}")


def _prepare(cur, p: Calendar) -> None:
    """The seeded random macro and the small tables the generators join."""
    # rnd(a, b, salt): a uniform number in [0, 1) fixed by the seed and its keys.
    cur.execute(f"CREATE OR REPLACE TEMP MACRO rnd(a, b, salt) AS (hash(a, b, salt, {p.seed}) % 1000003) / 1000003.0")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE demo_profile AS SELECT * FROM (VALUES "
        + _values([r[:1] + r[4:] + (LATENCY_MS[r[0]],) for r in TOUCHPOINTS])
        + ") t(touchpoint_id, share, sat, handle, p_resolved, back_unresolved, back_resolved, latency)"
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE demo_season AS SELECT * FROM (VALUES "
        + _values(list(SEASONALITY.items())) + ") t(month_no, factor)"
    )


def _touchpoints(cur) -> None:
    tp_rows = [row[:4] for row in TOUCHPOINTS]
    cur.execute(f"INSERT INTO touchpoints VALUES {_values(tp_rows)}")



def _customers(cur, p: Calendar) -> None:
    seg = _cumulative([(s, w) for s, w, _ in SEGMENTS])
    seg_case = " ".join(f"WHEN u < {hi} THEN '{name}'" for name, _, hi in seg)
    reg_case = " ".join(f"WHEN u2 < {hi} THEN '{name}'" for name, _, hi in _cumulative(REGIONS))
    prim_case = " ".join(f"WHEN u3 < {hi} THEN '{name}'" for name, _, hi in _cumulative(PRIMARY_CHANNELS))
    window_days = p.window_days
    # Customers: 40% were already customers when the window opens, the rest
    # join across it. Each has a main channel and a steady buying propensity.
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_customer AS
        WITH base AS (
            SELECT i, rnd(i, 0, 'seg') AS u, rnd(i, 0, 'reg') AS u2, rnd(i, 0, 'prim') AS u3,
                   rnd(i, 0, 'signup') AS us, rnd(i, 0, 'prop') AS up
            FROM range({p.customers}) r(i)
        )
        SELECT i,
            printf('C%08d', i) AS customer_id,
            CASE WHEN us < 0.4 THEN DATE '{p.start}' - CAST(floor(us / 0.4 * 1000) AS INTEGER) - 1
                 ELSE DATE '{p.start}' + CAST(floor((us - 0.4) / 0.6 * {window_days}) AS INTEGER) END AS signup_date,
            CASE {seg_case} ELSE 'consumer' END AS segment,
            CASE {reg_case} ELSE 'North' END AS region,
            CASE {prim_case} ELSE 'web' END AS primary_tp,
            0.12 + 0.75 * up * up AS propensity
        FROM base
    """)
    cur.execute("""
        INSERT INTO customers
        SELECT customer_id, signup_date, segment, region FROM demo_customer
    """)



def _customer_months(cur, p: Calendar) -> None:
    # Customer-months: active from signup until the month the customer churns.
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_cm AS
        WITH grid AS (
            SELECT c.i, c.primary_tp, c.segment, c.propensity,
                   (DATE '{p.start}' + to_months(m.k))::DATE AS month, m.k
            FROM demo_customer c, range({p.months}) m(k)
            WHERE (DATE '{p.start}' + to_months(m.k))::DATE >= date_trunc('month', c.signup_date)
        ),
        hazard AS (
            SELECT *, rnd(i, k, 'churn') < 0.022
                + CASE WHEN primary_tp = 'mobile_app' AND month >= DATE '{p.release_month}'
                            AND month < DATE '{p.bad_until}' THEN {p.story.extra_churn} ELSE 0 END AS churns
            FROM grid
        ),
        churn AS (SELECT i, min(month) FILTER (WHERE churns) AS churn_month FROM hazard GROUP BY i)
        SELECT h.i, h.k, h.month, h.primary_tp, h.segment, h.propensity, s.factor AS season
        FROM hazard h JOIN churn USING (i) JOIN demo_season s ON s.month_no = month(h.month)
        WHERE churn.churn_month IS NULL OR h.month < churn.churn_month
    """)



def _interactions(cur, p: Calendar) -> None:
    sec_case = " ".join(
        f"WHEN rnd(i, k * 10 + j, 'secondary') < {hi} THEN '{name}'"
        for name, _, hi in _cumulative([(t[0], t[4]) for t in TOUCHPOINTS])
    )
    # Contacts: 0-3 a month, mostly at the customer's main channel.
    anon = f"({p.story.anonymous_start} + ({p.story.anonymous_end} - {p.story.anonymous_start}) * cm.k / {max(p.months - 1, 1)})"
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_contact AS
        WITH counts AS (
            SELECT cm.*, {anon} AS anon_share,
                (rnd(i, k, 'n1') < 0.42 * season)::INT + (rnd(i, k, 'n2') < 0.22 * season)::INT
                    + (rnd(i, k, 'n3') < 0.08 * season)::INT AS n
            FROM demo_cm cm
        ),
        expanded AS (SELECT *, unnest(range(n)) AS j FROM counts WHERE n > 0),
        placed AS (
            SELECT e.*,
                CASE WHEN rnd(i, k * 10 + j, 'primary') < 0.55 THEN e.primary_tp
                     ELSE CASE {sec_case} ELSE 'web' END END AS touchpoint_id,
                e.month + to_seconds(CAST(floor(rnd(i, k * 10 + j, 'time')
                    * 86400 * (last_day(e.month) - e.month + 1)) AS BIGINT)) AS occurred_at
            FROM expanded e
        )
        SELECT printf('I%07d%02d%d', i, k, j) AS interaction_id, i, k * 10 + j AS key2,
               printf('C%08d', i) AS customer_id, anon_share,
               -- After the staffing change, some callers cannot get through and use the chat instead.
               CASE WHEN touchpoint_id = 'contact_center' AND occurred_at >= TIMESTAMP '{p.staffing_change}'
                         AND rnd(i, k * 10 + j, 'reroute') < {p.story.staffing_reroute} THEN 'chat'
                    ELSE touchpoint_id END AS touchpoint_id,
               occurred_at
        FROM placed
    """)
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_interaction AS
        SELECT c.interaction_id, c.i, c.key2, c.customer_id AS true_customer,
            CASE WHEN p.touchpoint_id IN ('web', 'social', 'email')
                      AND rnd(c.i, c.key2, 'anon') < c.anon_share * 1.6 THEN NULL
                 WHEN rnd(c.i, c.key2, 'unknown') < 0.01 THEN printf('X%08d', c.i)
                 ELSE c.customer_id END AS customer_id,
            c.touchpoint_id, c.occurred_at,
            {_intent_case('c.i', 'c.key2')} AS intent,
            CASE WHEN p.p_resolved IS NULL THEN NULL
                 ELSE rnd(c.i, c.key2, 'resolved') < p.p_resolved
                      - CASE WHEN c.touchpoint_id = 'mobile_app' AND c.occurred_at >= TIMESTAMP '{p.release_start}'
                                  AND c.occurred_at < TIMESTAMP '{p.bad_until}' THEN 0.25 ELSE 0 END END AS resolved,
            round(-ln(1 - rnd(c.i, c.key2, 'handle')) * p.handle) AS handle_seconds,
            p.back_unresolved, p.back_resolved
        FROM demo_contact c JOIN demo_profile p USING (touchpoint_id)
    """)
    # Follow-ups: an unresolved (or, less often, resolved) contact brings the
    # customer back within a week, often through another channel.
    cur.execute(f"""
        INSERT INTO demo_interaction
        SELECT printf('F%s', s.interaction_id), s.i, s.key2 + 7, s.true_customer, s.true_customer,
            CASE WHEN rnd(s.i, s.key2, 'fu_tp') < 0.45 THEN s.touchpoint_id
                 WHEN rnd(s.i, s.key2, 'fu_tp') < 0.75 THEN 'contact_center'
                 WHEN rnd(s.i, s.key2, 'fu_tp') < 0.88 THEN 'chat' ELSE 'web' END,
            s.occurred_at + to_seconds(CAST(3600 + rnd(s.i, s.key2, 'fu_t') * 6.5 * 86400 AS BIGINT)),
            s.intent,
            rnd(s.i, s.key2, 'fu_res') < 0.8,
            round(-ln(1 - rnd(s.i, s.key2, 'fu_handle')) * 400),
            0, 0
        FROM demo_interaction s
        WHERE s.customer_id IS NOT NULL AND s.resolved IS NOT NULL
          AND rnd(s.i, s.key2, 'followup') < CASE WHEN s.resolved THEN s.back_resolved ELSE s.back_unresolved END
          AND s.occurred_at < TIMESTAMP '{p.end}' + INTERVAL 1 DAY - INTERVAL 7 DAY
    """)
    cur.execute("""
        INSERT INTO interactions
        SELECT interaction_id, customer_id, touchpoint_id, occurred_at, intent, resolved, handle_seconds
        FROM demo_interaction
        ORDER BY occurred_at, interaction_id  -- as daily exports arrive: a period's scan reads its days only
    """)



def _surveys(cur, p: Calendar) -> None:
    # Surveys: about one contact in nine is rated. Satisfaction depends on the
    # channel, on whether the need was met, and on the mobile release.
    cur.execute(f"""
        CREATE OR REPLACE TEMP TABLE demo_rating AS
        SELECT i.interaction_id, i.i, i.key2, i.customer_id, i.touchpoint_id, i.occurred_at,
            least(0.97, greatest(0.05, p.sat
                - least(0.4, {p.story.latency_effect} * greatest(0, coalesce(h.p95_latency_ms, p.latency) / p.latency - 1))
                - CASE WHEN i.resolved = false THEN 0.25 ELSE 0 END
                + CASE WHEN i.resolved THEN 0.04 ELSE 0 END)) AS p_sat
        FROM demo_interaction i JOIN demo_profile p USING (touchpoint_id)
        LEFT JOIN system_health h ON h.touchpoint_id = i.touchpoint_id AND h.day = i.occurred_at::DATE
        WHERE rnd(i.i, i.key2, 'survey') < 0.11 AND i.occurred_at < TIMESTAMP '{p.end}'
    """)
    phrased = comments()
    n_comments = {}
    for tp, tone, _ in phrased:
        n_comments[(tp, tone)] = n_comments.get((tp, tone), 0) + 1
    numbered, seen = [], {}
    for tp, tone, text in phrased:
        idx = seen.get((tp, tone), 0)
        seen[(tp, tone)] = idx + 1
        numbered.append((tp, tone, idx, n_comments[(tp, tone)], text))
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE demo_comment AS SELECT * FROM (VALUES "
        + _values(numbered) + ") t(touchpoint_id, tone, idx, of_n, text)"
    )
    cur.execute("""
        CREATE OR REPLACE TEMP TABLE demo_answer AS
        SELECT r.*,
            rnd(i, key2, 'sat') < p_sat AS satisfied,
            rnd(i, key2, 'ask_nps') < 0.75 AS ask_nps,
            rnd(i, key2, 'ask_csat') < 0.9 AS ask_csat,
            rnd(i, key2, 'ask_ces') < 0.55 AS ask_ces,
            rnd(i, key2, 'score') AS u
        FROM demo_rating r
    """)
    cur.execute("""
        INSERT INTO surveys
        WITH scored AS (
            SELECT a.*,
                CASE WHEN satisfied THEN CASE WHEN u < 0.55 THEN 5 ELSE 4 END
                     ELSE CASE WHEN u < 0.3 THEN 1 WHEN u < 0.6 THEN 2 ELSE 3 END END AS csat_v,
                CASE WHEN satisfied THEN CASE WHEN u < 0.30 THEN 10 WHEN u < 0.60 THEN 9 WHEN u < 0.85 THEN 8 ELSE 7 END
                     ELSE CAST(floor(rnd(i, key2, 'nps') * 8) AS INTEGER) END AS nps_v,
                CASE WHEN satisfied THEN 5 + CAST(floor(rnd(i, key2, 'ces') * 3) AS INTEGER)
                     ELSE 1 + CAST(floor(rnd(i, key2, 'ces') * 5) AS INTEGER) END AS ces_v,
                CASE WHEN satisfied AND u >= 0.55 THEN 'neu' WHEN satisfied THEN 'pos' ELSE 'neg' END AS tone,
                rnd(i, key2, 'comment') AS uc
            FROM demo_answer a
        )
        SELECT printf('R%s', s.interaction_id), s.customer_id, s.touchpoint_id,
            s.occurred_at + to_seconds(CAST(60 + rnd(s.i, s.key2, 'lag') * 3 * 3600 AS BIGINT)),  -- sent after the contact
            CASE WHEN s.ask_nps OR NOT (s.ask_csat OR s.ask_ces) THEN s.nps_v END,
            CASE WHEN s.ask_csat THEN s.csat_v END,
            CASE WHEN s.ask_ces THEN s.ces_v END,
            c.text
        FROM scored s
        LEFT JOIN demo_comment c
          ON s.uc < 0.3
         AND c.tone = s.tone
         AND c.touchpoint_id = CASE WHEN rnd(s.i, s.key2, 'which') < 0.6 AND s.tone <> 'neu'
                                    THEN s.touchpoint_id ELSE '*' END
         AND c.idx = CAST(floor(rnd(s.i, s.key2, 'cidx') * c.of_n) AS INTEGER)
        ORDER BY 4, 1  -- in time order, as daily exports arrive
    """)



def _orders(cur, p: Calendar) -> None:
    spend = " ".join(f"WHEN '{s}' THEN {v}" for s, _, v in SEGMENTS)
    # Orders: a customer buys in an active month with their own propensity.
    cur.execute(f"""
        INSERT INTO orders
        WITH buying AS (
            -- App-first customers buy less while the app is broken.
            SELECT cm.*, propensity * season * CASE WHEN primary_tp = 'mobile_app'
                AND month >= DATE '{p.release_month}' AND month < DATE '{p.bad_until}' THEN 0.6 ELSE 1 END AS p
            FROM demo_cm cm
        ),
        counts AS (
            SELECT *, (rnd(i, k, 'o1') < least(0.95, p))::INT + (rnd(i, k, 'o2') < p * 0.35)::INT AS n
            FROM buying
        ),
        expanded AS (SELECT *, unnest(range(n)) AS j FROM counts WHERE n > 0)
        SELECT printf('O%07d%02d%d', i, k, j),
            printf('C%08d', i),
            CASE WHEN rnd(i, k * 10 + j, 'otp') < 0.7 AND primary_tp <> 'contact_center' THEN primary_tp
                 WHEN rnd(i, k * 10 + j, 'otp') < 0.85 THEN 'web'
                 WHEN rnd(i, k * 10 + j, 'otp') < 0.95 THEN 'mobile_app' ELSE 'store' END,
            month + to_seconds(CAST(floor(rnd(i, k * 10 + j, 'otime') * 86400 * (last_day(month) - month + 1)) AS BIGINT)),
            round((CASE segment {spend} END) * (0.4 + 1.2 * rnd(i, k * 10 + j, 'amount')) * (0.9 + 0.2 * season), 2)
        FROM expanded
        ORDER BY 4, 1  -- in time order, as daily exports arrive
    """)



def _system_health(cur, p: Calendar) -> None:
    # System health: quiet days, a few random incidents, and the release.
    cur.execute(f"""
        INSERT INTO system_health
        WITH days AS (
            SELECT t.touchpoint_id, (DATE '{p.start}' + d.n::INTEGER) AS day, d.n
            FROM touchpoints t, range({p.window_days}) d(n)
        ),
        flagged AS (
            SELECT *,
                touchpoint_id = 'mobile_app' AND day >= DATE '{p.release_start}'
                    AND day < DATE '{p.release_start}' + {p.story.incident_days} AS release_incident,
                rnd(hash(touchpoint_id), n, 'incident') < 0.025 AS random_incident,
                touchpoint_id = 'mobile_app' AND day >= DATE '{p.release_start}'
                    AND day < DATE '{p.bad_until}' AS release_slow
            FROM days
        )
        SELECT touchpoint_id, day,
            round(CASE WHEN release_incident THEN 95.5 + 3 * rnd(hash(touchpoint_id), n, 'avail')
                       WHEN random_incident THEN 98.2 + 1.5 * rnd(hash(touchpoint_id), n, 'avail')
                       ELSE 99.90 + 0.1 * rnd(hash(touchpoint_id), n, 'avail') END, 3),
            round(p.latency * (0.85 + 0.3 * rnd(hash(touchpoint_id), n, 'lat'))
                  * CASE WHEN release_incident THEN 2.6 WHEN random_incident THEN 1.6
                         WHEN release_slow THEN {p.story.release_latency} ELSE 1 END),
            round(CASE WHEN release_incident THEN 2.5 + 3 * rnd(hash(touchpoint_id), n, 'err')
                       ELSE 0.1 + 0.4 * rnd(hash(touchpoint_id), n, 'err') END, 2),
            CASE WHEN release_incident THEN 1 + CAST(floor(rnd(hash(touchpoint_id), n, 'inc') * 3) AS INTEGER)
                 WHEN random_incident THEN 1 ELSE 0 END
        FROM flagged JOIN demo_profile p USING (touchpoint_id)
    """)



def _intent_case(a: str, b: str) -> str:
    cum = _cumulative([(n, w) for n, w in zip(INTENTS, (0.26, 0.2, 0.22, 0.12, 0.12, 0.08))])
    whens = " ".join(f"WHEN rnd({a}, {b}, 'intent') < {hi} THEN '{name}'" for name, _, hi in cum)
    return f"CASE {whens} ELSE 'support' END"


# Targets: company-wide for every KPI, plus the touchpoint targets the
# steering group agreed (kpi_id, touchpoint_id, target, amber_band).
TARGETS = [
    ("retention_rate", None, 60.0, 3.0),
    ("churn_rate", None, 40.0, 3.0),
    ("repeat_purchase_rate", None, 24.0, None),
    ("revenue_per_customer", None, 150.0, None),
    ("nps", None, 30.0, 5.0),
    ("csat", None, 80.0, 3.0),
    ("ces", None, 5.0, 0.3),
    ("channel_consistency", None, 85.0, 5.0),
    ("fcr", None, 70.0, 5.0),
    ("scv_coverage", None, 90.0, 4.0),
    ("digital_share", None, 65.0, 5.0),
    ("availability", None, 99.9, 0.4),
    ("p95_latency_ms", None, 750.0, 100.0),
    ("incidents", None, 5.0, 3.0),
    ("csat", "mobile_app", 85.0, 3.0),
    ("csat", "contact_center", 75.0, 4.0),
    ("fcr", "contact_center", 72.0, 5.0),
    ("availability", "mobile_app", 99.9, 0.3),
    ("availability", "web", 99.9, 0.3),
    ("p95_latency_ms", "contact_center", 950.0, 100.0),
]


# ---------------------------------------------------------------- joint work

CMO = joint.Person("Claire Martin", "CMO")
CIO = joint.Person("Ian Okafor", "CIO")

# The initiatives the two executives run, some aligned, some not. Months are
# relative to the last month of data (0); start None = not started; the
# release month is "R". Scores: (impact, effort) of the CMO, then the CIO.
# title, description, owner, touchpoints, KPIs, expected effect, status,
# start month, due month, cost band, CMO scores, CIO scores
INITIATIVES = [
    ("Release quality gate for the mobile app",
     "Automated regression tests and a staged roll-out, after the release that broke login and checkout.",
     "CIO", ["mobile_app"], ["csat", "incidents"], "+5 pts CSAT on mobile_app", "in progress",
     "R+1", 2, "M", (5, 2), (4, 3)),
    ("Contact-center knowledge base and callback",
     "One knowledge base for agents, and a callback instead of a queue at peak times.",
     "Joint", ["contact_center"], ["fcr", "ces"], "+6 pts FCR on contact_center", "in progress",
     -3, 3, "L", (5, 3), (3, 4)),
    ("Single customer view: identity resolution",
     "Match anonymous contacts to customers across web, app, stores and the contact center.",
     "CIO", ["web", "mobile_app", "contact_center", "store", "chat"], ["scv_coverage"],
     "+20 pts single-customer-view coverage", "done", -20, -4, "XL", (4, 3), (5, 4)),
    ("Loyalty programme relaunch",
     "Points for every channel, with offers in the app and by email.",
     "CMO", ["store", "email", "mobile_app"], ["retention_rate", "repeat_purchase_rate"],
     "+2 pts retention rate", "proposed", None, 6, "L", (4, 2), (2, 4)),
    ("Chatbot for simple requests on web and chat",
     "Answer order status and address changes without an agent, hand over with context.",
     "CIO", ["chat", "web"], ["digital_share", "ces"], "+5 pts digital share", "proposed",
     None, 5, "M", (2, 3), (4, 2)),
    ("Tablet checkout in stores",
     "Staff take payment anywhere in the store; receipts by email.",
     "CMO", ["store"], ["csat", "nps"], "+3 pts CSAT on store", "approved", None, 4, "M", (3, 2), (3, 3)),
    ("Preference centre for email and SMS",
     "Customers choose topics and frequency; fewer unsubscribes and complaints.",
     "Joint", ["email", "web"], ["nps", "churn_rate"], "-1 pts churn rate", "approved", None, 3, "S", (3, 1), (2, 2)),
    ("Social care seven days a week",
     "Weekend cover for social media questions.",
     "CMO", ["social"], ["csat"], "+4 pts CSAT on social", "dropped", None, 2, "S", (2, 2), (2, 1)),
    ("Contact-center platform upgrade",
     "Move the telephony and agent desktop to the new platform before the peak season.",
     "CIO", ["contact_center"], ["p95_latency_ms", "availability"], "-300 ms p95 latency on contact_center",
     "in progress", -6, -1, "XL", (2, 4), (4, 5)),
    ("Post-purchase survey redesign",
     "A shorter survey after every order, in every channel, with CES added.",
     "CMO", ["web", "store", "email"], ["nps", "csat"], "", "done", -8, -5, "S", (2, 1), (2, 1)),
    ("Web checkout performance",
     "Cache product pages and slim the checkout scripts.",
     "CIO", ["web"], ["p95_latency_ms", "availability", "csat"], "-200 ms p95 latency on web", "in progress",
     -2, 1, "M", (4, 2), (4, 3)),
    ("Churn early-warning model",
     "Score customers monthly on their risk of leaving; hand the top of the list to retention offers.",
     "Joint", [], ["churn_rate", "retention_rate"], "-1 pts churn rate", "proposed", None, 6, "M", (4, 3), None),
]

# Two past steering meetings (month offset, day), their decisions and actions.
# Actions: (text, owner, due (month, day), closed on (month, day) or None, initiative title or None).
MEETINGS = [
    ((-1, 9), [
        ("Approve the release quality gate for the mobile app.", "Release quality gate for the mobile app", None),
        ("Keep the loyalty relaunch at proposed until the data work is costed.", "Loyalty programme relaunch",
         None),
    ], [
        ("Publish the post-mortem of the mobile release incidents.", "Ian Okafor", (-1, 23), (-1, 21),
         "Release quality gate for the mobile app"),
        ("Cost the data work of the loyalty relaunch.", "Ian Okafor", (0, 6), None, "Loyalty programme relaunch"),
    ]),
    ((0, 9), [
        ("Start the contact-center knowledge base in two waves: billing first.",
         "Contact-center knowledge base and callback", None),
        ("Report first-contact resolution monthly as the shared measure of the contact-center work.", None, "fcr"),
    ], [
        ("Brief store managers on the tablet checkout pilot.", "Claire Martin", (1, 15), None,
         "Tablet checkout in stores"),
        ("Agree how the churn model's success is measured.", "Claire Martin", (0, 30), None,
         "Churn early-warning model"),
        ("Review the platform upgrade plan with the vendor.", "Ian Okafor", (0, 20), (0, 17),
         "Contact-center platform upgrade"),
    ]),
]


def _day(end_first: date, month: int, day: int) -> date:
    first = add_months(end_first, month)
    return min(first.replace(day=day), month_end(first))


def _at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour)


def _seed_joint_work(ws, end_first: date, release_month: date, known_touchpoints: list[str]) -> int:
    """Write the demo story into an empty workspace, each step through
    cxhub.joint so the audit reads like real use. Returns how many
    initiatives the workspace holds (its own when it had some already)."""
    held = workspace.rows(ws, "SELECT count(*) FROM initiatives")[0][0]
    if held or workspace.rows(ws, "SELECT count(*) FROM meetings")[0][0]:
        return held
    ids = {}
    for (title, description, owner, tps, kpis, effect, status, start, due, cost, cmo, cio) in INITIATIVES:
        if start == "R+1":
            start_day = add_months(release_month, 1)
        else:
            start_day = None if start is None else add_months(end_first, start)
        proposed = add_months(start_day or add_months(end_first, -1), -1).replace(day=3)
        author = CIO if owner == "CIO" else CMO
        values = {"title": title, "description": description, "owner": owner, "touchpoints": tps,
                  "kpi_ids": kpis, "expected_effect": effect, "cost_band": cost, "due_date": _day(end_first, due, 28)}
        values.update({f"{author.role.lower()}_impact": (cmo, cio)[author is CIO][0],
                       f"{author.role.lower()}_effort": (cmo, cio)[author is CIO][1]})
        new_id = joint.create_initiative(ws, values, author, known_touchpoints=known_touchpoints,
                                         at=_at(proposed))
        ids[title] = new_id
        other, scores = (CMO, cmo) if author is CIO else (CIO, cio)
        if scores:
            joint.update_initiatives(ws, {new_id: {f"{other.role.lower()}_impact": scores[0],
                                                    f"{other.role.lower()}_effort": scores[1]}},
                                     other, known_touchpoints=known_touchpoints, at=_at(proposed, 15))
        if status != "proposed":
            approved = start_day - timedelta(days=7) if start_day else _day(end_first, -1, 9)
            joint.update_initiatives(ws, {new_id: {"status": "dropped" if status == "dropped" else "approved"}},
                                     author, known_touchpoints=known_touchpoints, at=_at(approved, 11))
        if start_day:
            joint.update_initiatives(ws, {new_id: {"status": "in progress", "started_on": start_day}},
                                     author, known_touchpoints=known_touchpoints, at=_at(start_day))
        if status == "done":
            joint.update_initiatives(ws, {new_id: {"status": "done"}}, author,
                                     known_touchpoints=known_touchpoints, at=_at(_day(end_first, due, 25)))
    for (month, day), decisions, actions in MEETINGS:
        meeting = _day(end_first, month, day)
        for text, title, kpi_id in decisions:
            joint.add_decision(ws, meeting, text, CMO, ids.get(title), kpi_id, at=_at(meeting, 11))
        for text, owner, due, closed, title in actions:
            action_id = joint.add_action(ws, meeting, text, owner, _day(end_first, *due), CIO,
                                         ids.get(title), at=_at(meeting, 11))
            if closed:
                closer = CIO if owner == CIO.name else CMO
                closed_on = _day(end_first, *closed)
                joint.set_action_status(ws, action_id, "done", closer, on=closed_on, at=_at(closed_on, 16))
    return len(ids)
