-- Refused PINs and third factors per panel, for the growing wait at a panel and the alarms; kept as
-- long as kiosk sessions are.
CREATE TABLE panel_refusals (
    id        BIGSERIAL PRIMARY KEY,
    site_id   TEXT NOT NULL,
    box_id    TEXT NOT NULL,
    panel_id  TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX panel_refusals_panel ON panel_refusals (box_id, panel_id, at);
CREATE INDEX panel_refusals_site ON panel_refusals (site_id, at);

-- Alarms are records: what happened, where, when, and who acknowledged it. One open alarm per kind
-- and place: a second is not raised while the first waits for staff.
CREATE TABLE alarms (
    id               BIGSERIAL PRIMARY KEY,
    kind             TEXT NOT NULL,
    site_id          TEXT NOT NULL,
    box_id           TEXT,
    panel_id         TEXT,
    raised_at        TIMESTAMPTZ NOT NULL,
    detail           JSONB NOT NULL,
    acknowledged_at  TIMESTAMPTZ,
    acknowledged_by  TEXT
);
CREATE UNIQUE INDEX alarms_open ON alarms (kind, site_id, COALESCE(box_id, ''), COALESCE(panel_id, ''))
    WHERE acknowledged_at IS NULL;
