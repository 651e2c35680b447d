-- The public headline figures (GET /stats/overview, the web hall) are counted again after every
-- write: by mode and status, and by mode and publication, from this index alone.
CREATE INDEX challenges_mode_status_idx ON challenges (mode, status, published_at);
