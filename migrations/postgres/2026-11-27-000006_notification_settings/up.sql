-- Per-user e-mail preferences per event kind (in-app is always on), subscriptions to new
-- challenges, and the reminders already sent (so that each fires once, across restarts and
-- instances).

CREATE TABLE notification_preferences (
    user_id       TEXT NOT NULL REFERENCES users(id),
    kind          TEXT NOT NULL,
    email_enabled BOOLEAN NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE subscriptions (
    user_id         TEXT PRIMARY KEY REFERENCES users(id),
    industries_json TEXT NOT NULL,
    keywords_json   TEXT NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);

CREATE TABLE reminders_sent (
    key     TEXT PRIMARY KEY,
    sent_at TIMESTAMP NOT NULL
);
