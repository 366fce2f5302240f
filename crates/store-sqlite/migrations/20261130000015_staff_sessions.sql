-- Signed-in staff: a session is found by the SHA-256 of its cookie's secret, which is never stored.
CREATE TABLE staff_sessions (
    id            BLOB PRIMARY KEY,
    staff_id      TEXT NOT NULL REFERENCES staff(id),
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
) STRICT;
CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);
