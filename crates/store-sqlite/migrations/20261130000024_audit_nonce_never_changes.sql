-- An entry's nonce, like everything else it says, never changes: chaining sets its position and link
-- and nothing else. (The nonce came after the trigger that pins the rest.)
DROP TRIGGER IF EXISTS audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
          AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action
          AND NEW.object IS OLD.object AND NEW.detail IS OLD.detail
          AND NEW.seal_key IS OLD.seal_key AND NEW.seal IS OLD.seal AND NEW.nonce IS OLD.nonce)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
