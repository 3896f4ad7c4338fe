"""Shared fixtures: a tiny hand-built company whose KPIs are worked out by
hand in tests/test_kpis.py, an empty database, and a small demo company."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cxhub import db, demo, rollups

# The demo fixtures end in a fixed month so every run sees the same data.
DEMO_END = date(2026, 10, 1)
DEMO_CUSTOMERS = 3000

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


@pytest.fixture
def tiny_db(tmp_path):
    path = tmp_path / "tiny.duckdb"
    con = build_tiny(path)
    yield con
    con.close()


@pytest.fixture
def tiny_db_path(tmp_path):
    path = tmp_path / "tiny.duckdb"
    build_tiny(path).close()
    return path


@pytest.fixture
def empty_db_path(tmp_path):
    path = tmp_path / "empty.duckdb"
    db.connect(path).close()
    return path


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory):
    """A small demo company, built once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    con = db.connect(path)
    demo.build_demo(con, customers=DEMO_CUSTOMERS, end_month=DEMO_END)
    con.close()
    return path
