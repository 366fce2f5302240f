-- A pickup's events and messages are found by its id: its history, the reminder dropped at
-- collection, retention's deletions. Without these, each of them walked the whole table, which grows
-- with every pickup (PostgreSQL has had them from the start).
CREATE INDEX events_pickup ON events (pickup_id, cursor);
CREATE INDEX outbox_pickup ON outbox (pickup_id);
