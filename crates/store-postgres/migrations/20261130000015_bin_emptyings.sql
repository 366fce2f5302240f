-- The old-document bin: each emptying is recorded with who emptied it, who countersigned, what they
-- counted and what the box had taken in; the documents it took out name it.
CREATE TABLE bin_emptyings (
    id                BIGSERIAL PRIMARY KEY,
    box_id            TEXT NOT NULL REFERENCES boxes (id),
    emptied_at        TIMESTAMPTZ NOT NULL,
    emptied_by        TEXT NOT NULL REFERENCES staff (id),
    countersigned_by  TEXT NOT NULL REFERENCES staff (id),
    counted           BIGINT NOT NULL,
    expected          BIGINT NOT NULL
);
ALTER TABLE old_documents ADD COLUMN emptying_id BIGINT REFERENCES bin_emptyings (id);
CREATE INDEX old_documents_in_bin ON old_documents (box_id) WHERE emptied_at IS NULL;
