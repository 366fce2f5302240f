-- Hardening the spine: limits on every factor, door events that cannot be lost, panels with their own
-- slots, and a way out for every pickup.

-- Wrong birth dates or old documents per pickup, across sessions.
ALTER TABLE pickups ADD COLUMN failed_third_factor_attempts INTEGER NOT NULL DEFAULT 0;
-- While staff have a compartment opened to take an expired or cancelled document out.
ALTER TABLE pickups ADD COLUMN withdrawal_started_at TEXT;

-- Why a defective compartment is out of use: the lock refused, or did not answer.
ALTER TABLE compartments ADD COLUMN defect TEXT CHECK (defect IN ('lock_refused', 'lock_no_answer'));

-- The touch panels of a box, each with the document slot beside it.
CREATE TABLE panels (
    box_id       TEXT NOT NULL REFERENCES boxes (id),
    id           TEXT NOT NULL,
    reader_slot  INTEGER NOT NULL CHECK (reader_slot >= 1),
    PRIMARY KEY (box_id, id),
    UNIQUE (box_id, reader_slot)
) STRICT;
ALTER TABLE api_tokens ADD COLUMN panel_id TEXT;
ALTER TABLE kiosk_sessions ADD COLUMN panel_id TEXT NOT NULL DEFAULT '';
DROP INDEX kiosk_sessions_step;
CREATE INDEX kiosk_sessions_step ON kiosk_sessions (box_id, panel_id, step);

-- Door events, stored when they arrive and applied until they succeed, across restarts.
CREATE TABLE box_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    box_id       TEXT NOT NULL,
    door         TEXT NOT NULL CHECK (door IN ('door_opened', 'door_closed')),
    compartment  INTEGER NOT NULL CHECK (compartment >= 1),
    at           TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    applied_at   TEXT,
    given_up_at  TEXT
) STRICT;
CREATE INDEX box_events_pending ON box_events (id) WHERE applied_at IS NULL AND given_up_at IS NULL;

-- Messages dropped unsent because their pickup was called off.
ALTER TABLE outbox ADD COLUMN dropped_at TEXT;

CREATE INDEX pickups_deadline ON pickups (deadline) WHERE status = 'ready';
