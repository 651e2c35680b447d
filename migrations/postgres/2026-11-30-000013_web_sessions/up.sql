-- Sessions of the web interface (网页会话): the browser holds a random token in an HttpOnly
-- cookie; only its SHA-256 is stored. A session ends at sign-out, after two idle hours, or
-- twelve hours after sign-in, whichever comes first.
CREATE TABLE web_sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users(id),
    created_at   TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
