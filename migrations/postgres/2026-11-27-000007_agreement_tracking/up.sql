-- Agreements (协议/任务书): signatures, registration, milestones and payments.

ALTER TABLE agreements ADD COLUMN signed_at TIMESTAMP;
ALTER TABLE agreements ADD COLUMN registered_at TIMESTAMP;
ALTER TABLE agreements ADD COLUMN registered_by TEXT;
ALTER TABLE agreements ADD COLUMN end_reason TEXT;
ALTER TABLE agreements ADD COLUMN ended_at TIMESTAMP;

CREATE TABLE signatures (
    agreement_id    TEXT NOT NULL REFERENCES agreements(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    user_id         TEXT NOT NULL REFERENCES users(id),
    terms_hash      TEXT NOT NULL,
    signed_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (agreement_id, organization_id)
);

CREATE TABLE milestones (
    id            TEXT PRIMARY KEY,
    agreement_id  TEXT NOT NULL REFERENCES agreements(id),
    seq           BIGINT NOT NULL,
    month         BIGINT NOT NULL,
    deliverable   TEXT NOT NULL,
    due_at        TIMESTAMP NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('scheduled','reported','met','not_met')),
    evidence      TEXT,
    reported_at   TIMESTAMP,
    reported_by   TEXT REFERENCES users(id),
    confirmed_at  TIMESTAMP,
    confirmed_by  TEXT REFERENCES users(id),
    CONSTRAINT milestones_seq_key UNIQUE (agreement_id, seq)
);

CREATE TABLE payments (
    id            TEXT PRIMARY KEY,
    agreement_id  TEXT NOT NULL REFERENCES agreements(id),
    milestone_id  TEXT NOT NULL REFERENCES milestones(id),
    source        TEXT NOT NULL CHECK (source IN ('fiscal','enterprise')),
    amount        BIGINT NOT NULL CHECK (amount > 0),
    paid_at       TIMESTAMP NOT NULL,
    recorded_by   TEXT NOT NULL REFERENCES users(id),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX payments_agreement_idx ON payments (agreement_id);
