-- A pseudonymised pickup's registry reference stayed in its `registered` event until 2026-12-01 (and so
-- in the feed and the pickup's history); it is replaced there too, as in the pickup's row.
UPDATE events SET data = jsonb_set(data, '{reference}', to_jsonb('pseudonymised-' || pickup_id))
WHERE pickup_id IN (SELECT id FROM pickups WHERE pseudonymised_at IS NOT NULL) AND data ? 'reference';
