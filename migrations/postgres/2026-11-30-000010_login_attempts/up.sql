-- Login throttling shared by every instance on one database: one row per reserved attempt
-- (failed or still being checked), keyed by account (a:<e-mail>) and by client address
-- (i:<address>); login_keys holds one row per key, locked while an attempt is reserved so
-- that instances counting the same key take turns.
CREATE TABLE login_keys (
    key        TEXT PRIMARY KEY,
    touched_at TIMESTAMP NOT NULL
);
CREATE TABLE login_attempts (
    id  TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    at  TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
