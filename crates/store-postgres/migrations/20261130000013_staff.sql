-- Staff accounts: a sign-in name, a role, the sites they work for (ids separated by spaces), and the
-- password only as an Argon2id hash in PHC form.
CREATE TABLE staff (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    role             TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'admin')),
    sites            TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    disabled_at      TIMESTAMPTZ,
    failed_sign_ins  BIGINT NOT NULL DEFAULT 0,
    last_failed_at   TIMESTAMPTZ,
    CONSTRAINT staff_name UNIQUE (name)
);
