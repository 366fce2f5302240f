-- Personal data is sealed by the service (an AEAD cipher under the `data` key kept outside the
-- database). Values from before are marked with the key id 'clear' and keep their clear columns until
-- the service seals them at its next start, which also empties those columns.
CREATE TABLE personal_data_sealed (
    pickup_id            TEXT PRIMARY KEY REFERENCES pickups (id) ON DELETE CASCADE,
    key_id               TEXT NOT NULL,
    sealed               BLOB NOT NULL,
    phone_e164           TEXT,
    birth_date           TEXT,
    old_document_number  TEXT
) STRICT;
INSERT INTO personal_data_sealed (pickup_id, key_id, sealed, phone_e164, birth_date, old_document_number)
    SELECT pickup_id, 'clear', X'', phone_e164, birth_date, old_document_number FROM personal_data;
DROP TABLE personal_data;
ALTER TABLE personal_data_sealed RENAME TO personal_data;
CREATE INDEX personal_data_key ON personal_data (key_id);

ALTER TABLE outbox ADD COLUMN key_id TEXT;
ALTER TABLE outbox ADD COLUMN sealed BLOB;
UPDATE outbox SET key_id = 'clear', sealed = X'' WHERE body IS NOT NULL;
CREATE INDEX outbox_sealed_key ON outbox (key_id) WHERE sealed IS NOT NULL;

CREATE TABLE old_documents_sealed (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    box_id           TEXT NOT NULL REFERENCES boxes (id),
    pickup_id        TEXT NOT NULL,
    key_id           TEXT NOT NULL,
    sealed           BLOB NOT NULL,
    document_number  TEXT,
    taken_at         TEXT NOT NULL,
    emptied_at       TEXT
) STRICT;
INSERT INTO old_documents_sealed (id, box_id, pickup_id, key_id, sealed, document_number, taken_at, emptied_at)
    SELECT id, box_id, pickup_id, 'clear', X'', document_number, taken_at, emptied_at FROM old_documents;
DROP TABLE old_documents;
ALTER TABLE old_documents_sealed RENAME TO old_documents;
CREATE INDEX old_documents_key ON old_documents (key_id);

-- A new lookup key: the waiting pickups whose phone hash is under an older one are found at start.
CREATE INDEX pickups_phone_key ON pickups (phone_key) WHERE phone_hash IS NOT NULL;
