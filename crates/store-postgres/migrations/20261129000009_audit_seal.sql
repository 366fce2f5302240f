-- Each audit entry is sealed by the service as it is written (a keyed hash under the audit key), so
-- a row put into the log by anyone else is told apart and never chained. The seal, like everything
-- else an entry says, never changes; only the chain's position and link are set, once.
ALTER TABLE audit_log ADD COLUMN seal_key TEXT;
ALTER TABLE audit_log ADD COLUMN seal BYTEA;

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
       AND NEW.object = OLD.object AND NEW.detail = OLD.detail
       AND NEW.seal_key IS NOT DISTINCT FROM OLD.seal_key AND NEW.seal IS NOT DISTINCT FROM OLD.seal THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
