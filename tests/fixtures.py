"""What the tests share: the small hand-checked companies (their SQL and
builders), file and database helpers for imports, and the AppTest helpers
for pages. conftest.py turns the builders into fixtures; test modules import
helpers from here, never from each other."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest

from streamlit.testing.v1 import AppTest

from cxhub import db, ingest, rollups
from cxhub.access import Person
from cxhub.kpis import Period

# The tiny company's month of reference (see TINY_SQL) and its touchpoints.
MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))
TINY_TOUCHPOINTS = ("web", "mobile_app", "contact_center", "store")

TINY_SQL = """
INSERT INTO touchpoints VALUES
    ('web', 'Website', 'digital', 'CMO'),
    ('mobile_app', 'Mobile app', 'digital', 'Joint'),
    ('contact_center', 'Contact center', 'assisted', 'CIO'),
    ('store', 'Stores', 'physical', 'CMO');

INSERT INTO customers VALUES
    ('c1', '2024-06-01', 'consumer', 'North'),
    ('c2', '2024-06-01', 'consumer', 'South'),
    ('c3', '2024-06-01', 'smb', 'North'),
    ('c4', '2024-06-01', 'enterprise', 'South');

-- c5 bought in March but is not in customers.
INSERT INTO orders VALUES
    ('o01', 'c1', 'web',        '2025-01-10 12:00:00',  10),
    ('o02', 'c2', 'web',        '2025-01-11 12:00:00',  20),
    ('o03', 'c1', 'web',        '2025-02-03 12:00:00', 100),
    ('o04', 'c2', 'store',      '2025-02-04 12:00:00',  50),
    ('o05', 'c3', 'web',        '2025-02-28 23:59:59',  30),
    ('o06', 'c1', 'web',        '2025-03-01 00:00:00',  40),
    ('o07', 'c1', 'mobile_app', '2025-03-15 12:00:00',  60),
    ('o08', 'c3', 'store',      '2025-03-16 12:00:00',  90),
    ('o09', 'c4', 'web',        '2025-03-31 23:59:59',  10),
    ('o10', 'c5', 'web',        '2025-03-20 12:00:00', 100),
    ('o11', 'c4', 'web',        '2025-04-01 00:00:00', 999);

INSERT INTO surveys VALUES
    ('s01', 'c1', 'web',            '2025-03-02 10:00:00', 10, 5, 7, 'Great'),
    ('s02', 'c2', 'web',            '2025-03-03 10:00:00',  9, 4, 6, NULL),
    ('s03', 'c3', 'web',            '2025-03-04 10:00:00',  6, 2, 3, 'Slow checkout'),
    ('s04', 'c4', 'web',            '2025-03-05 10:00:00',  8, 4, NULL, NULL),
    ('s05', NULL, 'web',            '2025-03-06 10:00:00', NULL, 3, 5, NULL),
    ('s06', 'c1', 'contact_center', '2025-03-07 10:00:00',  0, 1, 1, 'On hold for ages'),
    ('s07', 'c2', 'contact_center', '2025-03-08 10:00:00',  7, NULL, 4, NULL),
    ('s08', 'c3', 'contact_center', '2025-03-31 23:00:00', 10, 5, NULL, NULL),
    ('s09', 'c1', 'web',            '2025-02-10 10:00:00',  9, 5, 6, NULL);

INSERT INTO interactions VALUES
    ('i01', 'c1', 'contact_center', '2025-03-05 10:00:00', 'billing', true,  300),
    ('i02', 'c2', 'contact_center', '2025-03-10 09:00:00', 'billing', true,  200),
    ('i03', 'c3', 'contact_center', '2025-03-20 09:00:00', 'support', false, 900),
    ('i04', NULL, 'contact_center', '2025-03-21 09:00:00', 'support', true,  100),
    ('i05', 'c4', 'contact_center', '2025-03-28 12:00:00', 'billing', true,  250),
    ('i06', 'c1', 'contact_center', '2025-03-25 09:00:00', 'account', NULL,  120),
    ('i07', 'c3', 'store',          '2025-03-22 09:00:00', 'purchase', true, 600),
    ('i08', 'c1', 'web',            '2025-03-12 10:00:00', 'billing', true,  NULL),
    ('i09', 'c2', 'mobile_app',     '2025-03-17 09:00:01', 'billing', true,  NULL),
    ('i10', 'c4', 'store',          '2025-04-02 10:00:00', 'billing', true,  NULL),
    ('i11', 'c9', 'web',            '2025-03-15 10:00:00', 'purchase', NULL, NULL),
    ('i12', NULL, 'web',            '2025-03-16 10:00:00', 'purchase', NULL, NULL),
    ('i13', 'c1', 'web',            '2025-02-10 10:00:00', 'purchase', NULL, NULL);

INSERT INTO system_health VALUES
    ('web',            '2025-03-01',  99.0,  500, 0.1, 1),
    ('web',            '2025-03-02',  97.0, NULL, 0.2, 0),
    ('contact_center', '2025-03-01', 100.0,  800, 0.0, 2),
    ('web',            '2025-02-28',  99.5,  400, 0.1, 0);

INSERT INTO kpi_targets VALUES
    ('retention_rate',       NULL,  70.0, 5.0),
    ('churn_rate',           NULL,  30.0, NULL),
    ('repeat_purchase_rate', NULL,  20.0, NULL),
    ('revenue_per_customer', NULL,  75.0, NULL),
    ('csat',                 NULL,  60.0, 2.0),
    ('csat',                 'web', 50.0, NULL),
    ('channel_consistency',  NULL,  80.0, NULL),
    ('p95_latency_ms',       NULL, 640.0, NULL);
"""


def consistency_rows() -> str:
    """June 2025 surveys for channel_consistency's 30-response rule: web 30
    answers (24 satisfied: 80%), mobile_app 30 (15: 50%), contact_center 29
    (all satisfied: 100%, too few to count). July: web 30 (80%) and
    mobile_app 29, so only one touchpoint qualifies."""
    rows = []

    def add(month, tp, total, satisfied):
        for i in range(total):
            csat = 5 if i < satisfied else 2
            rows.append(f"('cc-{month}-{tp}-{i}', NULL, '{tp}', '2025-{month:02d}-10 10:00:00', NULL, {csat}, NULL, NULL)")

    add(6, "web", 30, 24)
    add(6, "mobile_app", 30, 15)
    add(6, "contact_center", 29, 29)
    add(7, "web", 30, 24)
    add(7, "mobile_app", 29, 29)
    return "INSERT INTO surveys VALUES " + ",\n".join(rows) + ";"


def build_tiny(path: Path):
    con = db.connect(path)
    with con.cursor() as cur:
        cur.execute(TINY_SQL)
        cur.execute(consistency_rows())
        rollups.refresh(cur)  # rows inserted by hand: rebuild what a load would
        cur.execute(
            "INSERT INTO import_log (table_name, source, rows_read, rows_loaded, started_at, finished_at, outcome) "
            "VALUES ('orders', 'tiny.csv', 11, 11, TIMESTAMP '2025-04-02 08:00:00', TIMESTAMP '2025-04-02 08:00:01', 'loaded')"
        )
    return con


# A company just big enough to judge (30+ in every group but one), built so
# every figure can be worked out by hand; tests/test_judging.py does so.
#   60 customers j00..j59: j00-j39 consumer, j40-j59 smb; even numbers North, odd South.
#   orders (web): j00-j39 on 1 Jan (10 each) and 10 Feb (20 each); j00-j29 on 10 Mar (30 each),
#     j00-j04 again on 20 Mar (5 each); j00-j29 on 5 Apr (40 each): orders run 1 Jan to 5 Apr 2025.
#   surveys (web), 12 Mar: j00-j29 csat 5 / nps 9 / ces 6, j30-j39 csat 2 / nps 3 / ces 2 (consumer),
#     j40-j51 csat 5 / nps 10 (smb, 12 answers); plus one answer on 1 Jan and one on 5 Apr (j59).
#   interactions: j00-j39 at the contact center on 5 Mar, resolved; one web contact on 1 Jan and on 5 Apr.
#   system_health (web): every day 1 Jan to 5 Apr, 99.5% up, p95 300 ms; one incident on 15 Jan,
#     15 Feb, 15 Mar and 16 Mar.
#   targets: churn 20 (band 1), repeat purchase 10, revenue per customer 30, csat 70, incidents 2 a month (band 0.5).
JUDGED_SQL = """
INSERT INTO touchpoints VALUES
    ('web', 'Website', 'digital', 'CMO'),
    ('contact_center', 'Contact center', 'assisted', 'CIO'),
    ('store', 'Stores', 'physical', 'CMO');
INSERT INTO customers
    SELECT printf('j%02d', i), DATE '2024-06-01', CASE WHEN i < 40 THEN 'consumer' ELSE 'smb' END,
        CASE WHEN i % 2 = 0 THEN 'North' ELSE 'South' END
    FROM range(60) t(i);
INSERT INTO orders
    SELECT printf('jan-%02d', i), printf('j%02d', i), 'web', TIMESTAMP '2025-01-01 09:00:00', 10 FROM range(40) t(i)
    UNION ALL SELECT printf('feb-%02d', i), printf('j%02d', i), 'web', TIMESTAMP '2025-02-10 09:00:00', 20 FROM range(40) t(i)
    UNION ALL SELECT printf('mar-%02d', i), printf('j%02d', i), 'web', TIMESTAMP '2025-03-10 09:00:00', 30 FROM range(30) t(i)
    UNION ALL SELECT printf('mar2-%02d', i), printf('j%02d', i), 'web', TIMESTAMP '2025-03-20 09:00:00', 5 FROM range(5) t(i)
    UNION ALL SELECT printf('apr-%02d', i), printf('j%02d', i), 'web', TIMESTAMP '2025-04-05 09:00:00', 40 FROM range(30) t(i);
INSERT INTO surveys
    SELECT printf('s-%02d', i), printf('j%02d', i), 'web', TIMESTAMP '2025-03-12 10:00:00',
        CASE WHEN i < 30 THEN 9 WHEN i < 40 THEN 3 ELSE 10 END, CASE WHEN i < 30 OR i >= 40 THEN 5 ELSE 2 END,
        CASE WHEN i < 30 THEN 6 WHEN i < 40 THEN 2 END, NULL
    FROM range(52) t(i)
    UNION ALL VALUES ('s-first', 'j59', 'web', TIMESTAMP '2025-01-01 10:00:00', 8, 4, 5, NULL),
                     ('s-last', 'j59', 'web', TIMESTAMP '2025-04-05 10:00:00', 8, 4, 5, NULL);
INSERT INTO interactions
    SELECT printf('i-%02d', i), printf('j%02d', i), 'contact_center', TIMESTAMP '2025-03-05 10:00:00', 'billing',
        true, 300 FROM range(40) t(i)
    UNION ALL VALUES ('i-first', 'j59', 'web', TIMESTAMP '2025-01-01 10:00:00', 'purchase', NULL, NULL),
                     ('i-last', 'j59', 'web', TIMESTAMP '2025-04-05 10:00:00', 'purchase', NULL, NULL);
INSERT INTO system_health
    SELECT 'web', d::DATE, 99.5, 300, 0.1,
        CASE WHEN d::DATE IN ('2025-01-15', '2025-02-15', '2025-03-15', '2025-03-16') THEN 1 ELSE 0 END
    FROM range(DATE '2025-01-01', DATE '2025-04-06', INTERVAL 1 DAY) t(d);
INSERT INTO kpi_targets VALUES
    ('churn_rate', NULL, 20.0, 1.0),
    ('repeat_purchase_rate', NULL, 10.0, NULL),
    ('revenue_per_customer', NULL, 30.0, NULL),
    ('csat', NULL, 70.0, NULL),
    ('incidents', NULL, 2.0, 0.5);
"""


def build_judged(path: Path):
    con = db.connect(path)
    with con.cursor() as cur:
        cur.execute(JUDGED_SQL)
        rollups.refresh(cur)
        cur.execute(
            "INSERT INTO import_log (table_name, source, rows_read, rows_loaded, started_at, finished_at, outcome) "
            "VALUES ('orders', 'judged.csv', 175, 175, TIMESTAMP '2025-04-06 08:00:00', TIMESTAMP '2025-04-06 08:00:01', 'loaded')"
        )
    return con


# ------------------------------------------------------------------ imports

TOUCHPOINTS = "touchpoint_id,name,kind,owner\nweb,Website,digital,CMO\ncontact_center,Contact center,assisted,CIO\n"
HEADER = "interaction_id,customer_id,touchpoint_id,occurred_at,intent,resolved,handle_seconds\n"


def write(tmp_path, name, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


# The person the tests import as: an admin whose identity is verified.
ADMIN = Person("Test admin", "admin", email="admin@example.com", verified=True)


def load(path, table, file, dry_run=False):
    return ingest.import_file(path, table, file, dry_run=dry_run, person=ADMIN)


def rows(path, sql):
    con = db.connect(path, read_only=True)
    try:
        return db.query_rows(con, sql)
    finally:
        con.close()


def assert_same_rows(mine: list[tuple], theirs: list[tuple], what: str) -> None:
    """The same rows in any order; a float to 1e-12 relative (a sum of
    floats depends on the order the engine adds them in), all else exactly."""
    def key(row):
        return repr(tuple(None if isinstance(v, float) else v for v in row))
    mine, theirs = sorted(mine, key=key), sorted(theirs, key=key)
    assert len(mine) == len(theirs), what
    for a, b in zip(mine, theirs):
        assert [None if isinstance(v, float) else v for v in a] == [None if isinstance(v, float) else v for v in b], \
            (what, a, b)
        assert [v for v in a if isinstance(v, float)] == pytest.approx([v for v in b if isinstance(v, float)],
                                                                      rel=1e-12), (what, a, b)


def snapshot(path) -> dict:
    """Every table's rows, to prove that nothing else changed."""
    con = db.connect(path, read_only=True)
    try:
        names = [r[0] for r in db.query_rows(con, "SELECT table_name FROM information_schema.tables "
                                                   "WHERE table_schema = 'main' AND table_name <> 'import_log'")]
        return {n: sorted(db.query_rows(con, f"SELECT * FROM {n}"), key=repr) for n in names}
    finally:
        con.close()


# ------------------------------------------------------------------ system packages

def require(missing: str | None, suite: str) -> None:
    """Skip a test whose system package (Chromium, Java) is missing, saying
    which; under CI, which installs every one, fail instead."""
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{suite} cannot run under CI: {missing}")
        pytest.skip(missing)


def spark_missing() -> str | None:
    """Why the spark engine cannot run here (None when it can)."""
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        return "PySpark or SQLGlot is not installed (the test extra installs both)"
    if not shutil.which("java"):
        return "Java is not installed (Debian: openjdk-17-jre-headless; .ci/run installs it)"
    return None


# ------------------------------------------------------------------ pages

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def app(path, monkeypatch, params: dict | None = None) -> AppTest:
    monkeypatch.setenv(db.ENV_VAR, str(path))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    return at.run()


# The page file behind each address (app.py); every touchpoint page is drawn by touchpoint.py.
PAGE_FILES = {"overview": "scorecard", "channels": "channel_comparison", "priorities": "joint_priorities",
              "meeting": "steering_meeting", "data": "data_freshness", "glossary": "kpi_glossary",
              "kpi": "kpi_detail", "audit": "audit_log", "voice": "voice_of_customer"}
TOUCHPOINT = "touchpoint-"


def open_page(at: AppTest, url_path: str) -> AppTest:
    """Open the page at an address as a user would: a page of the sidebar;
    a touchpoint's page through the touchpoint picker of the first one."""
    if url_path == "overview":  # the default page: what the first run shows
        return at
    if not url_path.startswith(TOUCHPOINT):
        return at.switch_page(f"app_pages/{PAGE_FILES[url_path]}.py").run()
    at = at.switch_page("app_pages/touchpoint.py").run()
    wanted = url_path.removeprefix(TOUCHPOINT)
    picker = next(s for s in at.selectbox if s.key.startswith("touchpoint_switch_"))
    if picker.value != wanted:
        at = picker.set_value(wanted).run()
    return at


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("title", "subheader", "header", "caption", "markdown", "info")
             for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


# ------------------------------------------------------------------ insights: planted companies

def insert_rows(con, table: str, rows: list[tuple]) -> None:
    with con.cursor() as cur:
        cur.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)


def build_latency_company(path: Path, seed: int = 7, days: int = 200, per_day: int = 3):
    """A company where latency alone moves NPS: one touchpoint (web) whose
    p95 latency varies by day; each day's answers have NPS = 10 − latency /
    150 + noise (0..10), an effort score drawn at random, and customers who
    signed up on random days. Availability is the same every day, error rate
    is never recorded, nobody has contacts or orders. Returns (connection,
    the answers as (latency, ces, tenure_days, nps) rows)."""
    import random
    from datetime import timedelta

    rnd = random.Random(seed)
    con = db.connect(path)
    insert_rows(con, "touchpoints", [("web", "Website", "digital", "CIO")])
    start = date(2025, 1, 1)
    customers = [(f"k{i:04d}", start - timedelta(days=rnd.randint(30, 900)), "consumer", "North")
                 for i in range(400)]
    insert_rows(con, "customers", customers)
    health, answers, surveys = [], [], []
    for d in range(days):
        day = start + timedelta(days=d)
        latency = float(rnd.randint(200, 1400))
        health.append(("web", day, 99.9, latency, None, 0))
        for j in range(per_day):
            customer, signup = customers[rnd.randrange(len(customers))][:2]
            nps = max(0, min(10, round(10 - latency / 150 + rnd.gauss(0, 1))))
            ces = rnd.randint(1, 7)
            surveys.append((f"s{d:03d}{j}", customer, "web", f"{day} 12:00:00", nps, None, ces, None))
            answers.append((latency, ces, (day - signup).days, nps))
    insert_rows(con, "system_health", health)
    insert_rows(con, "surveys", surveys)
    with con.cursor() as cur:
        rollups.refresh(cur)
    return con, answers


def build_health_series(path: Path, latency: list[float], start: date):
    """One touchpoint (web) with the given p95 latency per day from `start`;
    availability 99.9 and no incidents every day."""
    from datetime import timedelta

    con = db.connect(path)
    insert_rows(con, "touchpoints", [("web", "Website", "digital", "CIO")])
    insert_rows(con, "system_health", [("web", start + timedelta(days=i), 99.9, v, None, 0)
                                       for i, v in enumerate(latency)])
    return con


def build_comment_company(path: Path, counts: dict[str, int], previous: dict[str, int], seed: int = 3):
    """Comments from planted topics in March 2025 (`counts` per topic) and
    February 2025 (`previous`), each sentence composed from varied phrasing
    (see TOPICS). Each topic's answers carry the topic's NPS and CSAT.
    Returns (connection, the March answers as (topic, nps, csat) rows)."""
    import random

    rnd = random.Random(seed)
    con = db.connect(path)
    insert_rows(con, "touchpoints", [("web", "Website", "digital", "CMO")])
    rows, march = [], []
    for month, wanted in ((2, previous), (3, counts)):
        for topic, n in wanted.items():
            words = TOPICS[topic]
            for i in range(n):
                text = " ".join([rnd.choice(words["open"]), rnd.choice(words["object"]), rnd.choice(words["close"])])
                nps, csat = words["nps"], words["csat"]
                rows.append((f"r{month}{topic}{i}", None, "web", f"2025-{month:02d}-{1 + i % 27:02d} 10:00:00",
                             nps, csat, None, text))
                if month == 3:
                    march.append((topic, nps, csat))
    insert_rows(con, "surveys", rows)
    return con, march


# Four topics, each with its core word (as a real theme has) phrased many ways.
TOPICS = {
    "delivery": {"open": ["The parcel arrived", "My delivery came", "The courier dropped the package",
                          "Shipping took", "The order was delivered"],
                 "object": ["three days late", "a week late", "damaged in the box", "to the wrong address",
                            "after the promised date"],
                 "close": ["delivery tracking useless.", "delivery never updated.", "worst delivery ever.",
                           "delivery slow again."], "nps": 3, "csat": 2},
    "app": {"open": ["The app crashes", "Mobile app freezes", "App login fails", "The app keeps logging out"],
            "object": ["after the update", "on my phone", "at checkout", "whenever I open it"],
            "close": ["please fix the app.", "app unusable now.", "reinstalled the app twice.",
                      "app update broke it."], "nps": 4, "csat": 2},
    "staff": {"open": ["The agent was", "Staff were", "The advisor on the phone was", "Store staff were"],
              "object": ["friendly and helpful", "patient and kind", "knowledgeable and polite",
                         "helpful and warm"],
              "close": ["great service from staff.", "thank the staff.", "staff made the difference.",
                        "staff solved everything."], "nps": 10, "csat": 5},
    "price": {"open": ["Prices went up", "The price is", "Your prices are", "The subscription price is"],
              "object": ["too expensive", "higher than competitors", "not worth the money", "a rip off"],
              "close": ["price cheaper elsewhere.", "price increase again.", "expensive price plan.",
                        "price unfair."], "nps": 5, "csat": 3},
}
