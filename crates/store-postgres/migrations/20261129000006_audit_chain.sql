-- The audit log becomes tamper-evident: the service chains each entry to the one before with a keyed
-- hash (`link`, under the audit key named by `link_key`) at its `position`. Entries are written first
-- and chained within a second by one job; an entry's link is set once and nothing else ever changes.
ALTER TABLE audit_log ADD COLUMN position BIGINT;
ALTER TABLE audit_log ADD COLUMN link_key TEXT;
ALTER TABLE audit_log ADD COLUMN link BYTEA;
CREATE UNIQUE INDEX audit_log_position ON audit_log (position);
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE link IS NULL;

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
       AND NEW.object = OLD.object AND NEW.detail = OLD.detail THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
