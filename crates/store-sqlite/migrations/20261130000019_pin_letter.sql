-- The kinds of document whose PIN letter a citizen confirms at the panel, space-separated
-- (`id_card`: the eID PIN letter); empty: none.
ALTER TABLE sites ADD COLUMN pin_letter_kinds TEXT NOT NULL DEFAULT '';

-- A session may stand at the PIN letter's confirmation: the step's check is widened (SQLite cannot
-- alter a check, so the column is replaced and its indexes made anew).
DROP INDEX kiosk_sessions_token;
DROP INDEX kiosk_sessions_step;
DROP INDEX kiosk_sessions_at_step;
ALTER TABLE kiosk_sessions ADD COLUMN step_widened TEXT NOT NULL DEFAULT 'ended'
    CHECK (step_widened IN ('phone', 'pin', 'pin_letter', 'old_document', 'birth_date', 'collect', 'done', 'ended'));
UPDATE kiosk_sessions SET step_widened = step;
ALTER TABLE kiosk_sessions DROP COLUMN step;
ALTER TABLE kiosk_sessions RENAME COLUMN step_widened TO step;
CREATE INDEX kiosk_sessions_token ON kiosk_sessions (token_id, step);
CREATE INDEX kiosk_sessions_step ON kiosk_sessions (box_id, panel_id, step);
CREATE INDEX kiosk_sessions_at_step ON kiosk_sessions (step, created_at);
