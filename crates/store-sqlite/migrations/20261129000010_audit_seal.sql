-- Each audit entry is sealed by the service as it is written (a keyed hash under the audit key), so
-- a row put into the log by anyone else is told apart and never chained. The seal, like everything
-- else an entry says, never changes; only the chain's position and link are set, once.
ALTER TABLE audit_log ADD COLUMN seal_key TEXT;
ALTER TABLE audit_log ADD COLUMN seal BLOB;

DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.link IS NULL AND NEW.link IS NOT NULL AND NEW.position IS NOT NULL
          AND NEW.id IS OLD.id AND NEW.at IS OLD.at AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action
          AND NEW.object IS OLD.object AND NEW.detail IS OLD.detail
          AND NEW.seal_key IS OLD.seal_key AND NEW.seal IS OLD.seal)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
