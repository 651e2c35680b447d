-- Innovation consortia (创新联合体) and their filing numbers, gap-free per year.

CREATE TABLE consortia (
    id                   TEXT PRIMARY KEY,
    lead_organization_id TEXT NOT NULL REFERENCES organizations(id),
    created_by           TEXT NOT NULL REFERENCES users(id),
    name                 TEXT NOT NULL,
    industry_direction   TEXT NOT NULL,
    national_platforms   BIGINT NOT NULL CHECK (national_platforms >= 0),
    provincial_platforms BIGINT NOT NULL CHECK (provincial_platforms >= 0),
    regional_platforms   BIGINT NOT NULL CHECK (regional_platforms >= 0),
    mechanisms           TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('draft','filed','revoked')),
    registration_no      TEXT,
    filed_at             TIMESTAMP,
    revoked_at           TIMESTAMP,
    revoke_reason        TEXT,
    version              BIGINT NOT NULL DEFAULT 1,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    CONSTRAINT consortia_registration_no_key UNIQUE (registration_no)
);

CREATE TABLE consortium_members (
    consortium_id   TEXT NOT NULL REFERENCES consortia(id),
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    PRIMARY KEY (consortium_id, organization_id)
);

CREATE TABLE registration_counters (
    year       BIGINT PRIMARY KEY,
    last_value BIGINT NOT NULL
);
