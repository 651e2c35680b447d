-- Evaluation (专家评审) and award (立项): rubric, assigned experts, scores, the publisher's
-- selection, and the agreements (协议) the confirmation creates.

CREATE TABLE rubrics (
    challenge_id  TEXT PRIMARY KEY REFERENCES challenges(id),
    criteria_json TEXT NOT NULL,
    set_by        TEXT NOT NULL REFERENCES users(id),
    updated_at    TIMESTAMP NOT NULL
);

CREATE TABLE challenge_experts (
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    expert_id    TEXT NOT NULL REFERENCES users(id),
    assigned_by  TEXT NOT NULL REFERENCES users(id),
    assigned_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (challenge_id, expert_id)
);
CREATE INDEX challenge_experts_expert_idx ON challenge_experts (expert_id);

CREATE TABLE scores (
    bid_id       TEXT NOT NULL REFERENCES bids(id),
    expert_id    TEXT NOT NULL REFERENCES users(id),
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    scores_json  TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (bid_id, expert_id)
);
CREATE INDEX scores_challenge_idx ON scores (challenge_id, expert_id);

CREATE TABLE award_selections (
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    bid_id       TEXT NOT NULL REFERENCES bids(id),
    selected_by  TEXT NOT NULL REFERENCES users(id),
    selected_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (challenge_id, bid_id)
);

CREATE TABLE agreements (
    id           TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    bid_id       TEXT NOT NULL REFERENCES bids(id),
    status       TEXT NOT NULL CHECK (status IN ('drafted','partially_signed','signed','registered','completed','terminated')),
    terms_json   TEXT NOT NULL,
    terms_hash   TEXT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    CONSTRAINT agreements_bid_key UNIQUE (bid_id)
);
CREATE INDEX agreements_challenge_idx ON agreements (challenge_id);
