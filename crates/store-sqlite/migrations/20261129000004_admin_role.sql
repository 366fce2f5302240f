-- An admin token manages sites and boxes. SQLite cannot change a CHECK in place, so the table is
-- rebuilt; nothing references it.
CREATE TABLE api_tokens_new (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('integration', 'kiosk', 'admin')),
    box_id      TEXT REFERENCES boxes (id),
    hash        BLOB NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    panel_id    TEXT,
    CHECK ((role = 'kiosk') = (box_id IS NOT NULL))
) STRICT;
INSERT INTO api_tokens_new (id, role, box_id, hash, label, created_at, revoked_at, panel_id)
    SELECT id, role, box_id, hash, label, created_at, revoked_at, panel_id FROM api_tokens;
DROP TABLE api_tokens;
ALTER TABLE api_tokens_new RENAME TO api_tokens;

-- Settings every server of an installation must agree on (the key file's fingerprint).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) STRICT;
