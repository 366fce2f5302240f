-- An admin token manages sites and boxes.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check CHECK (role IN ('integration', 'kiosk', 'admin'));

-- Settings every server of an installation must agree on (the key file's fingerprint).
CREATE TABLE settings (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
