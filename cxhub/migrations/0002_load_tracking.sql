-- What was loaded, when, and what was refused: the basis of every freshness
-- badge and of the rejected-rows store.

CREATE SEQUENCE import_id_seq START 1;

CREATE TABLE import_log (
    import_id     BIGINT PRIMARY KEY DEFAULT nextval('import_id_seq'),
    table_name    VARCHAR   NOT NULL,
    source        VARCHAR   NOT NULL,          -- file path, or 'demo'
    checksum      VARCHAR,                     -- sha256 of the file
    rows_read     BIGINT    NOT NULL DEFAULT 0,
    rows_loaded   BIGINT    NOT NULL DEFAULT 0,
    rows_replaced BIGINT    NOT NULL DEFAULT 0,
    rows_rejected BIGINT    NOT NULL DEFAULT 0,
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    outcome       VARCHAR   NOT NULL CHECK (outcome IN ('loaded', 'partial', 'refused', 'dry-run')),
    message       VARCHAR
);

CREATE TABLE rejected_rows (
    import_id   BIGINT  NOT NULL,
    table_name  VARCHAR NOT NULL,
    source      VARCHAR NOT NULL,
    line        BIGINT,
    column_name VARCHAR,
    rule        VARCHAR NOT NULL,
    value       VARCHAR,
    original    VARCHAR                        -- the whole row as JSON
);
