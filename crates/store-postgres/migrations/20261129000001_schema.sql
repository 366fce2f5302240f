-- abholbox on PostgreSQL: the same tables as on SQLite, in PostgreSQL's own types. Several server
-- processes share this database, so every race is decided here: by a conditional write (a version, a
-- state), a unique key, or a row lock held to commit (the feed's cursor).

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL,
    time_zone  TEXT NOT NULL
);

CREATE TABLE boxes (
    id       TEXT PRIMARY KEY,
    site_id  TEXT NOT NULL REFERENCES sites (id),
    name     TEXT NOT NULL,
    driver   TEXT NOT NULL
);

CREATE TABLE compartments (
    box_id        TEXT NOT NULL REFERENCES boxes (id),
    number        BIGINT NOT NULL CHECK (number >= 1),
    label         TEXT NOT NULL,
    module        TEXT NOT NULL,
    row_no        BIGINT NOT NULL,
    column_no     BIGINT NOT NULL,
    size          TEXT NOT NULL CHECK (size IN ('s', 'm', 'l')),
    within_reach  BOOLEAN NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('free', 'reserved', 'occupied', 'defective')),
    defect        TEXT CHECK (defect IN ('lock_refused', 'lock_no_answer')),
    PRIMARY KEY (box_id, number)
);
CREATE UNIQUE INDEX compartments_label ON compartments (box_id, label);

CREATE TABLE panels (
    box_id       TEXT NOT NULL REFERENCES boxes (id),
    id           TEXT NOT NULL,
    reader_slot  BIGINT NOT NULL CHECK (reader_slot >= 1),
    PRIMARY KEY (box_id, id),
    UNIQUE (box_id, reader_slot)
);

CREATE TABLE pickups (
    id                            TEXT PRIMARY KEY,
    reference                     TEXT NOT NULL,
    site_id                       TEXT NOT NULL REFERENCES sites (id),
    document_kind                 TEXT NOT NULL CHECK (document_kind IN ('id_card', 'passport', 'child_passport', 'residence_permit')),
    document_number               TEXT,
    third_factor                  TEXT NOT NULL CHECK (third_factor IN ('old_document', 'birth_date')),
    language                      TEXT NOT NULL,
    low_compartment               BOOLEAN NOT NULL,
    status                        TEXT NOT NULL CHECK (status IN ('awaiting_deposit', 'depositing', 'ready', 'collected', 'expired', 'withdrawn', 'cancelled')),
    box_id                        TEXT REFERENCES boxes (id),
    compartment                   BIGINT,
    locked                        BOOLEAN NOT NULL,
    failed_pin_attempts           BIGINT NOT NULL,
    failed_third_factor_attempts  BIGINT NOT NULL,
    claimed_by                    TEXT,
    claimed_at                    TIMESTAMPTZ,
    door_opened_at                TIMESTAMPTZ,
    phone_key                     TEXT,
    phone_hash                    BYTEA,
    pin_key                       TEXT,
    pin_salt                      BYTEA,
    pin_hash                      BYTEA,
    ready_at                      TIMESTAMPTZ,
    deadline                      TIMESTAMPTZ,
    collected_at                  TIMESTAMPTZ,
    withdrawal_started_at         TIMESTAMPTZ,
    attention                     TEXT,
    handled_by                    TEXT,
    created_at                    TIMESTAMPTZ NOT NULL,
    updated_at                    TIMESTAMPTZ NOT NULL,
    version                       BIGINT NOT NULL,
    FOREIGN KEY (box_id, compartment) REFERENCES compartments (box_id, number),
    CHECK ((compartment IS NULL) OR (box_id IS NOT NULL))
);
CREATE UNIQUE INDEX pickups_reference ON pickups (site_id, reference);
CREATE UNIQUE INDEX pickups_document_number ON pickups (site_id, document_number)
    WHERE document_number IS NOT NULL AND status NOT IN ('collected', 'withdrawn', 'cancelled');
CREATE UNIQUE INDEX pickups_compartment ON pickups (box_id, compartment) WHERE compartment IS NOT NULL;
CREATE UNIQUE INDEX pickups_claim ON pickups (claimed_by) WHERE claimed_by IS NOT NULL AND status = 'ready';
CREATE INDEX pickups_phone ON pickups (box_id, phone_hash) WHERE status = 'ready';
CREATE INDEX pickups_deadline ON pickups (deadline) WHERE status = 'ready';

CREATE TABLE personal_data (
    pickup_id            TEXT PRIMARY KEY REFERENCES pickups (id) ON DELETE CASCADE,
    phone_e164           TEXT NOT NULL,
    birth_date           TEXT,
    old_document_number  TEXT
);

CREATE TABLE family_pins (
    box_id      TEXT NOT NULL REFERENCES boxes (id),
    phone_key   TEXT NOT NULL,
    phone_hash  BYTEA NOT NULL,
    pin_key     TEXT NOT NULL,
    pin_salt    BYTEA NOT NULL,
    pin_hash    BYTEA NOT NULL,
    PRIMARY KEY (box_id, phone_hash)
);

CREATE TABLE kiosk_sessions (
    id                     TEXT PRIMARY KEY,
    box_id                 TEXT NOT NULL REFERENCES boxes (id),
    token_id               TEXT NOT NULL,
    panel_id               TEXT NOT NULL,
    step                   TEXT NOT NULL CHECK (step IN ('phone', 'pin', 'old_document', 'birth_date', 'collect', 'done', 'ended')),
    ended_reason           TEXT,
    pin_attempts           BIGINT NOT NULL,
    third_factor_attempts  BIGINT NOT NULL,
    queue                  JSONB NOT NULL,
    position               BIGINT NOT NULL,
    phone_key              TEXT,
    phone_hash             BYTEA,
    last_error             TEXT,
    last_activity          TIMESTAMPTZ NOT NULL,
    created_at             TIMESTAMPTZ NOT NULL,
    version                BIGINT NOT NULL
);
CREATE INDEX kiosk_sessions_step ON kiosk_sessions (box_id, panel_id, step);
CREATE INDEX kiosk_sessions_token ON kiosk_sessions (token_id, step);

-- The feed the registry reads. Cursors are handed out from one counter row, updated last in every
-- transaction that writes events and held until its commit: cursors follow commit order with no gaps.
CREATE TABLE events (
    cursor     BIGINT PRIMARY KEY,
    pickup_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    data       JSONB NOT NULL
);
CREATE INDEX events_pickup ON events (pickup_id, cursor);
CREATE TABLE feed_cursor (
    one   BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),
    last  BIGINT NOT NULL
);
INSERT INTO feed_cursor (one, last) VALUES (TRUE, 0);

CREATE TABLE outbox (
    id            BIGSERIAL PRIMARY KEY,
    pickup_id     TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    recipient     TEXT,
    body          TEXT,
    created_at    TIMESTAMPTZ NOT NULL,
    not_before    TIMESTAMPTZ NOT NULL,
    leased_until  TIMESTAMPTZ,
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    sent_at       TIMESTAMPTZ,
    gateway_id    TEXT,
    dropped_at    TIMESTAMPTZ
);
CREATE INDEX outbox_due ON outbox (not_before) WHERE sent_at IS NULL;
CREATE INDEX outbox_pickup ON outbox (pickup_id);

CREATE TABLE audit_log (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    object  TEXT NOT NULL,
    detail  JSONB NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE api_tokens (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('integration', 'kiosk')),
    box_id      TEXT REFERENCES boxes (id),
    panel_id    TEXT,
    hash        BYTEA NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    CHECK ((role = 'kiosk') = (box_id IS NOT NULL))
);

CREATE TABLE old_documents (
    id               BIGSERIAL PRIMARY KEY,
    box_id           TEXT NOT NULL REFERENCES boxes (id),
    pickup_id        TEXT NOT NULL,
    document_number  TEXT NOT NULL,
    taken_at         TIMESTAMPTZ NOT NULL,
    emptied_at       TIMESTAMPTZ
);

CREATE TABLE box_events (
    id           BIGSERIAL PRIMARY KEY,
    box_id       TEXT NOT NULL,
    door         TEXT NOT NULL CHECK (door IN ('door_opened', 'door_closed')),
    compartment  BIGINT NOT NULL CHECK (compartment >= 1),
    at           TIMESTAMPTZ NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT,
    applied_at   TIMESTAMPTZ,
    given_up_at  TIMESTAMPTZ
);
CREATE INDEX box_events_pending ON box_events (id) WHERE applied_at IS NULL AND given_up_at IS NULL;
