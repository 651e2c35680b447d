-- Challenges (榜单), invitations of directed challenges, Q&A (答疑), idempotency keys,
-- in-app notifications and the e-mail outbox.

CREATE TABLE challenges (
    id                  TEXT PRIMARY KEY,
    organization_id     TEXT NOT NULL REFERENCES organizations(id),
    created_by          TEXT NOT NULL REFERENCES users(id),
    status              TEXT NOT NULL CHECK (status IN ('draft','pending_review','published','evaluating','awarded','contracted','completed','cancelled','unsuccessful')),
    title               TEXT NOT NULL,
    kind                TEXT NOT NULL,
    mode                TEXT NOT NULL,
    industry            TEXT NOT NULL,
    industry_chain      TEXT NOT NULL,
    problem             TEXT NOT NULL,
    expected_outcomes   TEXT NOT NULL,
    duration_months     BIGINT NOT NULL,
    enterprise_funds    BIGINT NOT NULL CHECK (enterprise_funds >= 0),
    fiscal_support      BIGINT NOT NULL CHECK (fiscal_support >= 0),
    max_winners         BIGINT NOT NULL CHECK (max_winners >= 1),
    ip_ownership        TEXT NOT NULL,
    bidding_deadline    TIMESTAMP NOT NULL,
    questions_deadline  TIMESTAMP NOT NULL,
    kpis_json           TEXT NOT NULL,
    eligibility_json    TEXT NOT NULL,
    contact_json        TEXT NOT NULL,
    region_code         TEXT NOT NULL,
    search_text         TEXT NOT NULL,
    review_comment      TEXT,
    cancel_reason       TEXT,
    submitted_at        TIMESTAMP,
    published_at        TIMESTAMP,
    closed_at           TIMESTAMP,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);
CREATE INDEX challenges_public_idx ON challenges (status, published_at, id);
CREATE INDEX challenges_org_idx ON challenges (organization_id, id);
CREATE INDEX challenges_deadline_idx ON challenges (status, bidding_deadline);

CREATE TABLE challenge_invitations (
    challenge_id    TEXT NOT NULL REFERENCES challenges(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    PRIMARY KEY (challenge_id, organization_id)
);
CREATE INDEX challenge_invitations_org_idx ON challenge_invitations (organization_id);

CREATE TABLE questions (
    id              TEXT PRIMARY KEY,
    challenge_id    TEXT NOT NULL REFERENCES challenges(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    question        TEXT NOT NULL,
    answer          TEXT,
    answered_by     TEXT REFERENCES users(id),
    answered_at     TIMESTAMP,
    created_at      TIMESTAMP NOT NULL
);
CREATE INDEX questions_challenge_idx ON questions (challenge_id, created_at);

CREATE TABLE idempotency_keys (
    user_id       TEXT NOT NULL REFERENCES users(id),
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    status_code   BIGINT NOT NULL,
    response_body TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT NOT NULL,
    read_at     TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id);

CREATE TABLE email_outbox (
    id              TEXT PRIMARY KEY,
    user_id         TEXT REFERENCES users(id),
    kind            TEXT NOT NULL,
    to_address      TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending','sent','failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    last_error      TEXT,
    created_at      TIMESTAMP NOT NULL,
    sent_at         TIMESTAMP
);
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);
