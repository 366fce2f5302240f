-- Hardware alarms name the compartment they concern; one open alarm of a kind per place.
ALTER TABLE alarms ADD COLUMN compartment INTEGER;
DROP INDEX alarms_open;
CREATE UNIQUE INDEX alarms_open ON alarms (kind, site_id, COALESCE(box_id, ''), COALESCE(panel_id, ''), COALESCE(compartment, 0))
    WHERE acknowledged_at IS NULL;

-- A door that opened without a command takes its compartment out of use: a third defect.
ALTER TABLE compartments DROP CONSTRAINT compartments_defect_check;
ALTER TABLE compartments ADD CONSTRAINT compartments_defect_check
    CHECK (defect IN ('lock_refused', 'lock_no_answer', 'door_forced'));

-- A door's close carries what the compartment's item sensor saw inside (NULL: no such sensor).
ALTER TABLE box_events ADD COLUMN item_inside BOOLEAN;
