-- A door event is marked applied at once unless an earlier event of its compartment still waits;
-- that check walked every event the compartment ever had (four per pickup, a year of them) and read
-- each row to see whether it waits. The waiting ones are few: this index holds only them.
CREATE INDEX box_events_pending_by_compartment ON box_events (box_id, compartment)
    WHERE applied_at IS NULL AND given_up_at IS NULL;
