-- Joint work, moved out of the analytics file: the initiatives both
-- executives score, the steering meetings with their decisions and action
-- items, and the audit of every change. Dates are ISO text (YYYY-MM-DD),
-- times UTC ISO text; lists are JSON arrays. Written only through
-- cxhub/joint/ and cxhub/audit.py.

CREATE TABLE initiatives (
    initiative_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    title           TEXT NOT NULL CHECK (length(trim(title)) > 0),
    description     TEXT NOT NULL DEFAULT '',
    owner           TEXT NOT NULL CHECK (owner IN ('CMO', 'CIO', 'Joint')),
    touchpoints     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(touchpoints) AND json_type(touchpoints) = 'array'),
    kpi_ids         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(kpi_ids) AND json_type(kpi_ids) = 'array'),
    expected_effect TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'in progress', 'done', 'dropped')),
    started_on      TEXT CHECK (started_on IS NULL OR date(started_on) IS started_on),
    due_date        TEXT CHECK (due_date IS NULL OR date(due_date) IS due_date),
    cost_band       TEXT NOT NULL CHECK (cost_band IN ('S', 'M', 'L', 'XL')),
    cmo_impact      INTEGER CHECK (cmo_impact BETWEEN 1 AND 5),
    cmo_effort      INTEGER CHECK (cmo_effort BETWEEN 1 AND 5),
    cio_impact      INTEGER CHECK (cio_impact BETWEEN 1 AND 5),
    cio_effort      INTEGER CHECK (cio_effort BETWEEN 1 AND 5),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;

-- The audit: every change (an edit, a score, a decision, an action's
-- status, an import) and every refusal, one row per changed field, with
-- who (a verified email, cli:<user>, or a typed name in personal mode),
-- whether that identity was verified, the role, when (UTC), what (entity,
-- field, before, after) and whether it was allowed. Append-only: the
-- triggers refuse any update or delete.
CREATE TABLE audit (
    audit_id  INTEGER PRIMARY KEY AUTOINCREMENT,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,                 -- how the person is known: verified email, cli:<user>, or "Name (not verified)"
    name      TEXT NOT NULL,                 -- their display name
    verified  INTEGER NOT NULL CHECK (verified IN (0, 1)),
    role      TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('create', 'edit', 'record', 'import', 'refused')),
    entity    TEXT NOT NULL,
    entity_id INTEGER,
    field     TEXT,
    old_value TEXT,
    new_value TEXT,
    allowed   INTEGER NOT NULL CHECK (allowed IN (0, 1)),
    detail    TEXT
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;

CREATE TABLE meetings (
    meeting_date TEXT PRIMARY KEY CHECK (date(meeting_date) IS meeting_date),
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL
) STRICT;

CREATE TABLE decisions (
    decision_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_date  TEXT NOT NULL REFERENCES meetings (meeting_date),
    text          TEXT NOT NULL CHECK (length(trim(text)) > 0),
    initiative_id INTEGER REFERENCES initiatives (initiative_id),
    kpi_id        TEXT,
    author        TEXT NOT NULL,
    role          TEXT NOT NULL,
    recorded_at   TEXT NOT NULL
) STRICT;

CREATE TABLE action_items (
    action_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    meeting_date  TEXT NOT NULL REFERENCES meetings (meeting_date),  -- the meeting that raised it
    text          TEXT NOT NULL CHECK (length(trim(text)) > 0),
    owner         TEXT NOT NULL CHECK (length(trim(owner)) > 0),
    due_date      TEXT NOT NULL CHECK (date(due_date) IS due_date),
    status        TEXT NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
    closed_on     TEXT CHECK (closed_on IS NULL OR date(closed_on) IS closed_on),
    initiative_id INTEGER REFERENCES initiatives (initiative_id),
    kpi_id        TEXT,
    created_at    TEXT NOT NULL
) STRICT;

CREATE INDEX audit_entity ON audit (entity, entity_id);
CREATE INDEX audit_at ON audit (at);

-- Where joint work came from when it moved in from an analytics file
-- (schema 5 and older kept it there): one row per move.
CREATE TABLE moved_in (
    source     TEXT NOT NULL,
    moved_at   TEXT NOT NULL,
    rows_moved INTEGER NOT NULL
) STRICT;
