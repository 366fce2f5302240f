-- Opt-ins whose document never came: the retention job calls them off after a while, so that a
-- registration nobody loads does not keep its phone number and birth date for ever.
CREATE INDEX pickups_awaiting_deposit ON pickups (created_at) WHERE status = 'awaiting_deposit';
