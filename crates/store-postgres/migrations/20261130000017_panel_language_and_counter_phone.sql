-- The language a citizen chose at the panel, kept with the session so every screen speaks it.
ALTER TABLE kiosk_sessions ADD COLUMN language TEXT NOT NULL DEFAULT 'de';

-- The counter's phone number, for the panel's help screen.
ALTER TABLE sites ADD COLUMN counter_phone TEXT;
