-- What a start takes up again (loadings and claims in flight) is found without reading the history.
-- The condition is the one `pickups_in_flight` asks, word for word, so that SQLite uses the index.
CREATE INDEX pickups_in_flight ON pickups (status)
    WHERE status = 'depositing' OR (status = 'ready' AND claimed_by IS NOT NULL);

-- The housekeeping job looks for sessions at an open compartment every second; the sessions of years
-- must not be read for that.
CREATE INDEX kiosk_sessions_at_step ON kiosk_sessions (step, created_at);
