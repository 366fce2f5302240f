-- Each message gets an id of its own, unique across installations (gateways and their reports name
-- it), what it costs, which gateway took it, and where it stands: queued, accepted, delivered, failed
-- or dropped.
ALTER TABLE outbox ADD COLUMN message_id TEXT;
ALTER TABLE outbox ADD COLUMN segments INTEGER NOT NULL DEFAULT 1;
ALTER TABLE outbox ADD COLUMN gateway TEXT;
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
ALTER TABLE outbox ADD COLUMN state_at TEXT;
UPDATE outbox SET message_id = lower(hex(randomblob(16)));
UPDATE outbox SET state = 'accepted', state_at = sent_at WHERE sent_at IS NOT NULL;
UPDATE outbox SET state = 'dropped', state_at = dropped_at WHERE dropped_at IS NOT NULL;
CREATE UNIQUE INDEX outbox_message_id ON outbox (message_id);
CREATE INDEX outbox_gateway_id ON outbox (gateway, gateway_id) WHERE gateway_id IS NOT NULL;
