-- The search index's sync (api/src/search.rs, `SearchIndex::refresh`, every
-- JIEBANG_INDEX_REFRESH_MS on every instance) asks for the published challenges changed since its
-- last pass (`profiles::challenges_changed_since`: `updated_at >= since`). Without an index on
-- `updated_at` that was a full scan of the challenges every five seconds on each instance: 8 ms
-- at 10 000 challenges, growing with the table (the stalls of the uncached reads at a million,
-- docs/performance.md). With it the sync reads only the rows changed since.
CREATE INDEX challenges_updated_idx ON challenges (updated_at);
