-- An entry's nonce, like everything else it says, never changes: chaining sets its position and link
-- and nothing else. (The nonce came after the function that pins the rest.)
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
       AND NEW.object = OLD.object AND NEW.detail = OLD.detail
       AND NEW.seal_key IS NOT DISTINCT FROM OLD.seal_key AND NEW.seal IS NOT DISTINCT FROM OLD.seal
       AND NEW.nonce IS NOT DISTINCT FROM OLD.nonce THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
