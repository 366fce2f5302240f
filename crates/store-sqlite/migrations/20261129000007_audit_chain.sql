-- The audit log becomes tamper-evident: the service chains each entry to the one before with a keyed
-- hash (`link`, under the audit key named by `link_key`) at its `position`. Entries are written first
-- and chained within a second by one job; an entry's link is set once and nothing else ever changes.
ALTER TABLE audit_log ADD COLUMN position INTEGER;
ALTER TABLE audit_log ADD COLUMN link_key TEXT;
ALTER TABLE audit_log ADD COLUMN link BLOB;
CREATE UNIQUE INDEX audit_log_position ON audit_log (position);
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE link IS NULL;

DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
          AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action
          AND NEW.object IS OLD.object AND NEW.detail IS OLD.detail)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
