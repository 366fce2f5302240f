-- Each sealed entry carries a random nonce of its own under its seal, so that a copy of an entry is
-- a second row with the same seal: refused here, and named by `audit verify` should this index go.
ALTER TABLE audit_log ADD COLUMN nonce BLOB;
CREATE UNIQUE INDEX audit_log_seal ON audit_log (seal);
