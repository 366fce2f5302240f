-- The pickup spine: sites, boxes, compartments, pickups and what every state change writes with it.
-- Timestamps are UTC text of fixed width (2026-11-25T09:00:00.000000Z), so they sort as they compare.

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL,
    time_zone  TEXT NOT NULL
) STRICT;

CREATE TABLE boxes (
    id       TEXT PRIMARY KEY,
    site_id  TEXT NOT NULL REFERENCES sites (id),
    name     TEXT NOT NULL,
    driver   TEXT NOT NULL
) STRICT;

CREATE TABLE compartments (
    box_id        TEXT NOT NULL REFERENCES boxes (id),
    number        INTEGER NOT NULL CHECK (number >= 1),
    label         TEXT NOT NULL,
    module        TEXT NOT NULL,
    row_no        INTEGER NOT NULL,
    column_no     INTEGER NOT NULL,
    size          TEXT NOT NULL CHECK (size IN ('s', 'm', 'l')),
    within_reach  INTEGER NOT NULL CHECK (within_reach IN (0, 1)),
    state         TEXT NOT NULL CHECK (state IN ('free', 'reserved', 'occupied', 'defective')),
    PRIMARY KEY (box_id, number)
) STRICT;
CREATE UNIQUE INDEX compartments_label ON compartments (box_id, label);

CREATE TABLE pickups (
    id                   TEXT PRIMARY KEY,
    reference            TEXT NOT NULL,
    site_id              TEXT NOT NULL REFERENCES sites (id),
    document_kind        TEXT NOT NULL CHECK (document_kind IN ('id_card', 'passport', 'child_passport', 'residence_permit')),
    document_number      TEXT,
    third_factor         TEXT NOT NULL CHECK (third_factor IN ('old_document', 'birth_date')),
    language             TEXT NOT NULL,
    low_compartment      INTEGER NOT NULL CHECK (low_compartment IN (0, 1)),
    status               TEXT NOT NULL CHECK (status IN ('awaiting_deposit', 'depositing', 'ready', 'collected', 'expired', 'withdrawn', 'cancelled')),
    box_id               TEXT REFERENCES boxes (id),
    compartment          INTEGER,
    locked               INTEGER NOT NULL CHECK (locked IN (0, 1)),
    failed_pin_attempts  INTEGER NOT NULL,
    claimed_by           TEXT,
    claimed_at           TEXT,
    door_opened_at       TEXT,
    phone_key            TEXT,
    phone_hash           BLOB,
    pin_key              TEXT,
    pin_salt             BLOB,
    pin_hash             BLOB,
    ready_at             TEXT,
    deadline             TEXT,
    collected_at         TEXT,
    attention            TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    version              INTEGER NOT NULL,
    FOREIGN KEY (box_id, compartment) REFERENCES compartments (box_id, number),
    CHECK ((compartment IS NULL) OR (box_id IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX pickups_reference ON pickups (site_id, reference);
-- One document number is active once per site: a deposit by number must find exactly one pickup.
CREATE UNIQUE INDEX pickups_document_number ON pickups (site_id, document_number)
    WHERE document_number IS NOT NULL AND status NOT IN ('collected', 'withdrawn', 'cancelled');
-- A compartment holds at most one document, whatever the code above says.
CREATE UNIQUE INDEX pickups_compartment ON pickups (box_id, compartment) WHERE compartment IS NOT NULL;
-- A kiosk session hands over one document at a time.
CREATE UNIQUE INDEX pickups_claim ON pickups (claimed_by) WHERE claimed_by IS NOT NULL AND status = 'ready';
CREATE INDEX pickups_phone ON pickups (box_id, phone_hash) WHERE status = 'ready';

-- Personal data in one table: encrypted and erased in one place.
CREATE TABLE personal_data (
    pickup_id            TEXT PRIMARY KEY REFERENCES pickups (id) ON DELETE CASCADE,
    phone_e164           TEXT NOT NULL,
    birth_date           TEXT,
    old_document_number  TEXT
) STRICT;

CREATE TABLE kiosk_sessions (
    id                     TEXT PRIMARY KEY,
    box_id                 TEXT NOT NULL REFERENCES boxes (id),
    token_id               TEXT NOT NULL,
    step                   TEXT NOT NULL CHECK (step IN ('phone', 'pin', 'old_document', 'birth_date', 'collect', 'done', 'ended')),
    ended_reason           TEXT,
    pin_attempts           INTEGER NOT NULL,
    third_factor_attempts  INTEGER NOT NULL,
    queue                  TEXT NOT NULL,
    position               INTEGER NOT NULL,
    phone_key              TEXT,
    phone_hash             BLOB,
    last_error             TEXT,
    last_activity          TEXT NOT NULL,
    created_at             TEXT NOT NULL,
    version                INTEGER NOT NULL
) STRICT;
CREATE INDEX kiosk_sessions_step ON kiosk_sessions (box_id, step);
CREATE INDEX kiosk_sessions_token ON kiosk_sessions (token_id, step);

-- The feed the registry reads: the cursor only grows.
CREATE TABLE events (
    cursor     INTEGER PRIMARY KEY AUTOINCREMENT,
    pickup_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         TEXT NOT NULL,
    data       TEXT NOT NULL
) STRICT;

-- Messages written with the change that causes them, sent by a worker. Recipient and text are erased
-- once the gateway accepted the message.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    pickup_id     TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    recipient     TEXT,
    body          TEXT,
    created_at    TEXT NOT NULL,
    not_before    TEXT NOT NULL,
    leased_until  TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    sent_at       TEXT,
    gateway_id    TEXT
) STRICT;
CREATE INDEX outbox_due ON outbox (not_before) WHERE sent_at IS NULL;

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    object  TEXT NOT NULL,
    detail  TEXT NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('integration', 'kiosk')),
    box_id      TEXT REFERENCES boxes (id),
    hash        BLOB NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    CHECK ((role = 'kiosk') = (box_id IS NOT NULL))
) STRICT;

-- Old documents taken into a box's bin, until the bin is emptied and the destruction recorded.
CREATE TABLE old_documents (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    box_id           TEXT NOT NULL REFERENCES boxes (id),
    pickup_id        TEXT NOT NULL,
    document_number  TEXT NOT NULL,
    taken_at         TEXT NOT NULL,
    emptied_at       TEXT
) STRICT;
