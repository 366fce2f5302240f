-- Each audit entry keeps the site it is about, resolved when it is written, so that a supervisor still
-- reads the entries about a pickup, kiosk session or alarm of their site after retention has deleted
-- that row. Entries about no site (staff accounts, tokens, the installation) have none: admins read them.
-- Like everything an entry says, its site never changes once written.
ALTER TABLE audit_log ADD COLUMN site_id TEXT;

DROP TRIGGER audit_log_no_update;
UPDATE audit_log SET site_id = CASE
    WHEN object LIKE 'box:%' THEN (SELECT site_id FROM boxes WHERE id = substr(object, 5))
    WHEN object LIKE 'site:%' THEN substr(object, 6)
    WHEN object LIKE 'alarm:%' THEN (SELECT site_id FROM alarms WHERE id = CAST(substr(object, 7) AS INTEGER))
    WHEN object LIKE 'session:%' THEN (SELECT b.site_id FROM kiosk_sessions k
        JOIN boxes b ON b.id = k.box_id WHERE k.id = substr(object, 9))
    ELSE (SELECT site_id FROM pickups WHERE id = object)
END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
          AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action
          AND NEW.object IS OLD.object AND NEW.detail IS OLD.detail
          AND NEW.seal_key IS OLD.seal_key AND NEW.seal IS OLD.seal AND NEW.nonce IS OLD.nonce
          AND NEW.site_id IS OLD.site_id)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
