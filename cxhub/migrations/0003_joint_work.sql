-- Joint work: the initiatives both executives score, the change log that
-- keeps each other honest, and the steering meetings with their decisions
-- and action items. Small tables, written only through cxhub/joint.py.

CREATE SEQUENCE initiative_id_seq START 1;
CREATE SEQUENCE change_id_seq START 1;
CREATE SEQUENCE decision_id_seq START 1;
CREATE SEQUENCE action_id_seq START 1;

CREATE TABLE initiatives (
    initiative_id   BIGINT PRIMARY KEY DEFAULT nextval('initiative_id_seq'),
    title           VARCHAR NOT NULL CHECK (length(trim(title)) > 0),
    description     VARCHAR NOT NULL DEFAULT '',
    owner           VARCHAR NOT NULL CHECK (owner IN ('CMO', 'CIO', 'Joint')),
    touchpoints     VARCHAR[] NOT NULL DEFAULT [],
    kpi_ids         VARCHAR[] NOT NULL DEFAULT [],
    expected_effect VARCHAR NOT NULL DEFAULT '',
    status          VARCHAR NOT NULL CHECK (status IN ('proposed', 'approved', 'in progress', 'done', 'dropped')),
    started_on      DATE,
    due_date        DATE,
    cost_band       VARCHAR NOT NULL CHECK (cost_band IN ('S', 'M', 'L', 'XL')),
    cmo_impact      INTEGER CHECK (cmo_impact BETWEEN 1 AND 5),
    cmo_effort      INTEGER CHECK (cmo_effort BETWEEN 1 AND 5),
    cio_impact      INTEGER CHECK (cio_impact BETWEEN 1 AND 5),
    cio_effort      INTEGER CHECK (cio_effort BETWEEN 1 AND 5),
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

-- Append-only: joint.py inserts, never updates or deletes. One row per
-- changed field (a new initiative or action logs each field it was created with).
CREATE TABLE change_log (
    change_id  BIGINT PRIMARY KEY DEFAULT nextval('change_id_seq'),
    entity     VARCHAR NOT NULL CHECK (entity IN ('initiative', 'action')),
    entity_id  BIGINT NOT NULL,
    field      VARCHAR NOT NULL,
    old_value  VARCHAR,
    new_value  VARCHAR,
    author     VARCHAR NOT NULL,
    role       VARCHAR NOT NULL CHECK (role IN ('CMO', 'CIO')),
    changed_at TIMESTAMP NOT NULL
);

CREATE TABLE meetings (
    meeting_date DATE PRIMARY KEY,
    created_by   VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL
);

CREATE TABLE decisions (
    decision_id   BIGINT PRIMARY KEY DEFAULT nextval('decision_id_seq'),
    meeting_date  DATE NOT NULL,
    text          VARCHAR NOT NULL CHECK (length(trim(text)) > 0),
    initiative_id BIGINT,
    kpi_id        VARCHAR,
    author        VARCHAR NOT NULL,
    role          VARCHAR NOT NULL CHECK (role IN ('CMO', 'CIO')),
    recorded_at   TIMESTAMP NOT NULL
);

CREATE TABLE action_items (
    action_id     BIGINT PRIMARY KEY DEFAULT nextval('action_id_seq'),
    meeting_date  DATE NOT NULL,                 -- the meeting that raised it
    text          VARCHAR NOT NULL CHECK (length(trim(text)) > 0),
    owner         VARCHAR NOT NULL CHECK (length(trim(owner)) > 0),
    due_date      DATE NOT NULL,
    status        VARCHAR NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    closed_on     DATE,
    initiative_id BIGINT,
    kpi_id        VARCHAR,
    created_at    TIMESTAMP NOT NULL
);
