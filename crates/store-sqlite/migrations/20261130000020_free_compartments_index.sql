-- A loading reads the lowest few free compartments of each size and reach: a seek into this index
-- per kind instead of a walk over all of a box's compartments.
CREATE INDEX compartments_free ON compartments (box_id, state, size, within_reach, number);
