-- The public list reads newest-published first: an index in that order lets it stop after one page.
CREATE INDEX challenges_published_idx ON challenges (published_at, id);
