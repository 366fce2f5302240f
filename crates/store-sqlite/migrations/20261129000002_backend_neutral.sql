-- A family's PIN, decided by a unique key instead of by reading whether one exists: two documents of a
-- family made ready at once get one PIN on any backend.
CREATE TABLE family_pins (
    box_id      TEXT NOT NULL REFERENCES boxes (id),
    phone_key   TEXT NOT NULL,
    phone_hash  BLOB NOT NULL,
    pin_key     TEXT NOT NULL,
    pin_salt    BLOB NOT NULL,
    pin_hash    BLOB NOT NULL,
    PRIMARY KEY (box_id, phone_hash)
) STRICT;

-- The server process whose driver opened the pickup's compartment (loading, hand-over, withdrawal):
-- after a restart each server takes up only what it left in flight itself, never another's.
ALTER TABLE pickups ADD COLUMN handled_by TEXT;
