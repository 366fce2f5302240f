-- Retention: an ended pickup is pseudonymised after a while (its reference and document number
-- replaced), then deleted. The marker says which are done; the index finds the rest by age.
ALTER TABLE pickups ADD COLUMN pseudonymised_at TEXT;
CREATE INDEX pickups_ended ON pickups (updated_at)
    WHERE status IN ('collected', 'withdrawn', 'cancelled');
CREATE INDEX kiosk_sessions_created ON kiosk_sessions (created_at);
