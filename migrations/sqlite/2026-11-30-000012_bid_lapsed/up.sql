-- A draft still a draft when bidding closes becomes `lapsed` (失效), no longer `withdrawn`:
-- its author never withdrew it. SQLite rebuilds the table to change its CHECK; bids that lapsed
-- before this migration are relabelled from their audit entries.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE bids_rebuilt (
    id                      TEXT PRIMARY KEY,
    challenge_id            TEXT NOT NULL REFERENCES challenges(id),
    lead_organization_id    TEXT NOT NULL REFERENCES organizations(id),
    created_by              TEXT NOT NULL REFERENCES users(id),
    status                  TEXT NOT NULL CHECK (status IN ('draft','submitted','withdrawn','lapsed','ineligible','awarded','not_awarded')),
    chief_scientist_json    TEXT,
    approach                TEXT NOT NULL,
    kpi_answers_json        TEXT NOT NULL,
    milestones_json         TEXT NOT NULL,
    requested_fiscal        BIGINT NOT NULL CHECK (requested_fiscal >= 0),
    own_funds               BIGINT NOT NULL CHECK (own_funds >= 0),
    ineligible_reasons_json TEXT,
    submitted_at            TIMESTAMP,
    withdrawn_at            TIMESTAMP,
    version                 BIGINT NOT NULL DEFAULT 1,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL
);
INSERT INTO bids_rebuilt
    SELECT id, challenge_id, lead_organization_id, created_by, CASE WHEN (status = 'withdrawn' AND id IN (SELECT object_id FROM audit_log WHERE object_type = 'bid' AND action IN ('lapsed_at_close', 'lapsed_challenge_cancelled'))) THEN 'lapsed' ELSE status END, chief_scientist_json,
           approach, kpi_answers_json, milestones_json, requested_fiscal, own_funds,
           ineligible_reasons_json, submitted_at, CASE WHEN (status = 'withdrawn' AND id IN (SELECT object_id FROM audit_log WHERE object_type = 'bid' AND action IN ('lapsed_at_close', 'lapsed_challenge_cancelled'))) THEN NULL ELSE withdrawn_at END, version, created_at, updated_at
    FROM bids;
DROP TABLE bids;
ALTER TABLE bids_rebuilt RENAME TO bids;
CREATE UNIQUE INDEX bids_one_live ON bids (challenge_id, lead_organization_id)
    WHERE status IN ('draft', 'submitted');
CREATE INDEX bids_challenge_idx ON bids (challenge_id, status);
CREATE INDEX bids_lead_idx ON bids (lead_organization_id, status);
COMMIT;
PRAGMA foreign_keys = ON;
