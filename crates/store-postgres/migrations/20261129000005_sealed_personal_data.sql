-- Personal data is sealed by the service (an AEAD cipher under the `data` key kept outside the
-- database). Values from before are marked with the key id 'clear' and keep their clear columns until
-- the service seals them at its next start, which also empties those columns.
ALTER TABLE personal_data ALTER COLUMN phone_e164 DROP NOT NULL;
ALTER TABLE personal_data ADD COLUMN key_id TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE personal_data ADD COLUMN sealed BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE personal_data ALTER COLUMN key_id DROP DEFAULT;
ALTER TABLE personal_data ALTER COLUMN sealed DROP DEFAULT;
CREATE INDEX personal_data_key ON personal_data (key_id);

ALTER TABLE outbox ADD COLUMN key_id TEXT;
ALTER TABLE outbox ADD COLUMN sealed BYTEA;
UPDATE outbox SET key_id = 'clear', sealed = ''::bytea WHERE body IS NOT NULL;
CREATE INDEX outbox_sealed_key ON outbox (key_id) WHERE sealed IS NOT NULL;

ALTER TABLE old_documents ALTER COLUMN document_number DROP NOT NULL;
ALTER TABLE old_documents ADD COLUMN key_id TEXT NOT NULL DEFAULT 'clear';
ALTER TABLE old_documents ADD COLUMN sealed BYTEA NOT NULL DEFAULT ''::bytea;
ALTER TABLE old_documents ALTER COLUMN key_id DROP DEFAULT;
ALTER TABLE old_documents ALTER COLUMN sealed DROP DEFAULT;
CREATE INDEX old_documents_key ON old_documents (key_id);

-- A new lookup key: the waiting pickups whose phone hash is under an older one are found at start.
CREATE INDEX pickups_phone_key ON pickups (phone_key) WHERE phone_hash IS NOT NULL;
