-- The old-document bin: each emptying is recorded with who emptied it, who countersigned, what they
-- counted and what the box had taken in; the documents it took out name it.
CREATE TABLE bin_emptyings (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    box_id            TEXT NOT NULL REFERENCES boxes (id),
    emptied_at        TEXT NOT NULL,
    emptied_by        TEXT NOT NULL REFERENCES staff (id),
    countersigned_by  TEXT NOT NULL REFERENCES staff (id),
    counted           INTEGER NOT NULL,
    expected          INTEGER NOT NULL
) STRICT;
ALTER TABLE old_documents ADD COLUMN emptying_id INTEGER REFERENCES bin_emptyings (id);
CREATE INDEX old_documents_in_bin ON old_documents (box_id) WHERE emptied_at IS NULL;
