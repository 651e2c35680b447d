DROP INDEX challenges_status_mode_idx;
CREATE INDEX challenges_mode_status_idx ON challenges (mode, status, published_at);
