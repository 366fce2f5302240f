-- Until 2026-12-01 a Kannel refusal was kept as Kannel said it, and a gateway that echoes the request
-- puts the recipient and the text (with its PIN) there. What it said is dropped from those kept so.
UPDATE outbox SET last_error = substr(last_error, 1, instr(last_error, 'Kannel') - 1) || 'Kannel refused it'
WHERE instr(last_error, 'Kannel: ') > 0 OR instr(last_error, 'Kannel answered') > 0;
