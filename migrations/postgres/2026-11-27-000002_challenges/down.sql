DROP TABLE email_outbox;
DROP TABLE notifications;
DROP TABLE idempotency_keys;
DROP TABLE questions;
DROP TABLE challenge_invitations;
DROP TABLE challenges;
