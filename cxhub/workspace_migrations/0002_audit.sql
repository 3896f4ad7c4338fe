-- The audit: every change (an edit, a score, a decision, an action's
-- status, an import) and every refusal, with who (a verified email,
-- cli:<user>, or a typed name in personal mode), whether that identity was
-- verified, the role, when (UTC), what (entity, field, before, after) and
-- whether it was allowed. It replaces the change log, whose rows it keeps
-- (same ids). Append-only: the triggers refuse any update or delete.

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

INSERT INTO audit (audit_id, at, actor, name, verified, role, action, entity, entity_id, field, old_value,
                   new_value, allowed, detail)
SELECT change_id, changed_at, author || ' (not verified)', author, 0, role, 'edit', entity, entity_id, field,
       old_value, new_value, 1, NULL
FROM change_log ORDER BY change_id;

DROP TRIGGER change_log_no_update;
DROP TRIGGER change_log_no_delete;
DROP INDEX change_log_entity;
DROP TABLE change_log;

CREATE INDEX audit_entity ON audit (entity, entity_id);
CREATE INDEX audit_at ON audit (at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit is append-only'); END;
