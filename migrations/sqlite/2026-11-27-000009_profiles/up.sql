-- Capability profiles (能力画像) of organisations, for matching.
CREATE TABLE profiles (
    organization_id    TEXT PRIMARY KEY REFERENCES organizations(id),
    industries_json    TEXT NOT NULL,
    keywords_json      TEXT NOT NULL,
    statement          TEXT NOT NULL,
    platforms_json     TEXT NOT NULL,
    past_projects_json TEXT NOT NULL,
    updated_at         TIMESTAMP NOT NULL
);
