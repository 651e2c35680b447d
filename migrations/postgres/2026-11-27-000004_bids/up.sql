-- Bids (揭榜申报) and their consortium members.

CREATE TABLE bids (
    id                      TEXT PRIMARY KEY,
    challenge_id            TEXT NOT NULL REFERENCES challenges(id),
    lead_organization_id    TEXT NOT NULL REFERENCES organizations(id),
    created_by              TEXT NOT NULL REFERENCES users(id),
    status                  TEXT NOT NULL CHECK (status IN ('draft','submitted','withdrawn','ineligible','awarded','not_awarded')),
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
-- One live (draft or submitted) bid per lead organisation per challenge, even under races.
CREATE UNIQUE INDEX bids_one_live ON bids (challenge_id, lead_organization_id)
    WHERE status IN ('draft', 'submitted');
CREATE INDEX bids_challenge_idx ON bids (challenge_id, status);
CREATE INDEX bids_lead_idx ON bids (lead_organization_id, status);

CREATE TABLE bid_members (
    bid_id          TEXT NOT NULL REFERENCES bids(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    role            TEXT NOT NULL,
    share_percent   BIGINT NOT NULL CHECK (share_percent BETWEEN 1 AND 100),
    PRIMARY KEY (bid_id, organization_id)
);
