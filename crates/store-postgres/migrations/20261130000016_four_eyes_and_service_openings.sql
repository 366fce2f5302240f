-- A site may require a second staff member to confirm a loading or a service opening.
ALTER TABLE sites ADD COLUMN four_eyes BOOLEAN NOT NULL DEFAULT FALSE;

-- A compartment opened for service: its door's opening is expected, not forced; the close ends it.
CREATE TABLE service_openings (
    id            BIGSERIAL PRIMARY KEY,
    box_id        TEXT NOT NULL REFERENCES boxes (id),
    compartment   BIGINT NOT NULL,
    opened_by     TEXT NOT NULL,
    witnessed_by  TEXT,
    reason        TEXT NOT NULL,
    opened_at     TIMESTAMPTZ NOT NULL,
    closed_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX service_openings_one_open ON service_openings (box_id, compartment) WHERE closed_at IS NULL;

-- A compartment's history on the staff's box view.
CREATE INDEX box_events_by_compartment ON box_events (box_id, compartment, id);
