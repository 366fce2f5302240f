-- When a site's box can be used: its opening hours (OpenStreetMap syntax), the federal state whose
-- public holidays close it, or around the clock in a room of its own.
ALTER TABLE sites ADD COLUMN opening_hours TEXT;
ALTER TABLE sites ADD COLUMN holiday_state TEXT NOT NULL DEFAULT 'NW';
ALTER TABLE sites ADD COLUMN open_24_7 INTEGER NOT NULL DEFAULT 0 CHECK (open_24_7 IN (0, 1));
