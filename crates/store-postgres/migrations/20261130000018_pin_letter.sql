-- The kinds of document whose PIN letter a citizen confirms at the panel, space-separated
-- (`id_card`: the eID PIN letter); empty: none.
ALTER TABLE sites ADD COLUMN pin_letter_kinds TEXT NOT NULL DEFAULT '';

-- A session may stand at the PIN letter's confirmation.
ALTER TABLE kiosk_sessions DROP CONSTRAINT kiosk_sessions_step_check;
ALTER TABLE kiosk_sessions ADD CONSTRAINT kiosk_sessions_step_check
    CHECK (step IN ('phone', 'pin', 'pin_letter', 'old_document', 'birth_date', 'collect', 'done', 'ended'));
