-- Foundation: organisations, users, refresh tokens, the audit log.
-- Portable column types (see docs/architecture.md): ids are UUID text, timestamps are UTC
-- `timestamp` without zone, money is BIGINT yuan, JSON is TEXT.

CREATE TABLE organizations (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('enterprise','university','institute','government','other')),
    credit_code   TEXT NOT NULL,
    region_code   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('unverified','verified')),
    description   TEXT NOT NULL DEFAULT '',
    website       TEXT NOT NULL DEFAULT '',
    verified_at   TIMESTAMP,
    verified_by   TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CONSTRAINT organizations_credit_code_key UNIQUE (credit_code)
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    email           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    name            TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('org_admin','org_member','official','expert','admin')),
    organization_id TEXT REFERENCES organizations(id),
    locale          TEXT NOT NULL DEFAULT 'zh' CHECK (locale IN ('zh','en')),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_organization_idx ON users (organization_id);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    family_id   TEXT NOT NULL,
    token_hash  TEXT NOT NULL,
    issued_at   TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    used_at     TIMESTAMP,
    revoked_at  TIMESTAMP,
    CONSTRAINT refresh_tokens_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);

CREATE TABLE audit_log (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    at                    TIMESTAMP NOT NULL,
    actor_user_id         TEXT,
    actor_organization_id TEXT,
    object_type           TEXT NOT NULL,
    object_id             TEXT NOT NULL,
    action                TEXT NOT NULL,
    before_json           TEXT,
    after_json            TEXT,
    comment               TEXT,
    request_id            TEXT
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, id);

-- The audit log is append-only: no row is ever changed or removed.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
