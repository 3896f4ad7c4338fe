-- The tables of the data contract (shared/spec/data-contract.md, v1).
-- Timestamps are stored as UTC in TIMESTAMP columns. Keys of the large tables
-- are enforced by the loader rather than by ART indexes, which are slow to
-- maintain on tens of millions of rows; the small tables keep real keys.

CREATE TABLE touchpoints (
    touchpoint_id VARCHAR PRIMARY KEY CHECK (regexp_full_match(touchpoint_id, '[a-z][a-z0-9_]*')),
    name          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL CHECK (kind IN ('digital', 'assisted', 'physical')),
    owner         VARCHAR NOT NULL CHECK (owner IN ('CMO', 'CIO', 'Joint'))
);

CREATE TABLE customers (
    customer_id VARCHAR NOT NULL,
    signup_date DATE    NOT NULL,
    segment     VARCHAR,
    region      VARCHAR
);

CREATE TABLE interactions (
    interaction_id VARCHAR   NOT NULL,
    customer_id    VARCHAR,
    touchpoint_id  VARCHAR   NOT NULL,
    occurred_at    TIMESTAMP NOT NULL,
    intent         VARCHAR,
    resolved       BOOLEAN,
    handle_seconds DOUBLE CHECK (handle_seconds >= 0)
);

CREATE TABLE surveys (
    response_id   VARCHAR   NOT NULL,
    customer_id   VARCHAR,
    touchpoint_id VARCHAR   NOT NULL,
    responded_at  TIMESTAMP NOT NULL,
    nps           TINYINT CHECK (nps BETWEEN 0 AND 10),
    csat          TINYINT CHECK (csat BETWEEN 1 AND 5),
    ces           TINYINT CHECK (ces BETWEEN 1 AND 7),
    comment       VARCHAR,
    CHECK (nps IS NOT NULL OR csat IS NOT NULL OR ces IS NOT NULL)
);

CREATE TABLE orders (
    order_id      VARCHAR       NOT NULL,
    customer_id   VARCHAR       NOT NULL,
    touchpoint_id VARCHAR       NOT NULL,
    ordered_at    TIMESTAMP     NOT NULL,
    amount        DECIMAL(18,2) NOT NULL CHECK (amount >= 0)
);

CREATE TABLE system_health (
    touchpoint_id    VARCHAR NOT NULL,
    day              DATE    NOT NULL,
    availability_pct DOUBLE  NOT NULL CHECK (availability_pct BETWEEN 0 AND 100),
    p95_latency_ms   DOUBLE CHECK (p95_latency_ms >= 0),
    error_rate_pct   DOUBLE CHECK (error_rate_pct BETWEEN 0 AND 100),
    incidents        INTEGER NOT NULL DEFAULT 0 CHECK (incidents >= 0),
    PRIMARY KEY (touchpoint_id, day)
);

-- touchpoint_id NULL is the company-wide target; (kpi_id, touchpoint_id) is
-- unique, NULL included, which the loader enforces.
CREATE TABLE kpi_targets (
    kpi_id        VARCHAR NOT NULL,
    touchpoint_id VARCHAR,
    target        DOUBLE  NOT NULL,
    amber_band    DOUBLE CHECK (amber_band >= 0)
);
