-- Each audit entry keeps the site it is about, resolved when it is written, so that a supervisor still
-- reads the entries about a pickup, kiosk session or alarm of their site after retention has deleted
-- that row. Entries about no site (staff accounts, tokens, the installation) have none: admins read them.
-- Like everything an entry says, its site never changes once written.
ALTER TABLE audit_log ADD COLUMN site_id TEXT;

ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change;
UPDATE audit_log SET site_id = CASE
    WHEN object LIKE 'box:%' THEN (SELECT site_id FROM boxes WHERE id = substr(object, 5))
    WHEN object LIKE 'site:%' THEN substr(object, 6)
    WHEN object ~ '^alarm:[0-9]{1,18}$' THEN (SELECT site_id FROM alarms WHERE id = substr(object, 7)::bigint)
    WHEN object LIKE 'session:%' THEN (SELECT b.site_id FROM kiosk_sessions k
        JOIN boxes b ON b.id = k.box_id WHERE k.id = substr(object, 9))
    ELSE (SELECT site_id FROM pickups WHERE id = object)
END;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change;

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
       AND NEW.id = OLD.id AND NEW.at = OLD.at AND NEW.actor = OLD.actor AND NEW.action = OLD.action
       AND NEW.object = OLD.object AND NEW.detail = OLD.detail
       AND NEW.seal_key IS NOT DISTINCT FROM OLD.seal_key AND NEW.seal IS NOT DISTINCT FROM OLD.seal
       AND NEW.nonce IS NOT DISTINCT FROM OLD.nonce AND NEW.site_id IS NOT DISTINCT FROM OLD.site_id THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
