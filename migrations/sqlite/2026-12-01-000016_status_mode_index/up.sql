-- Migration 000015's (mode, status, published_at) index made SQLite's planner, which has no
-- statistics, answer the public list (`mode = 'open'`, newest first) by seeking on the mode and
-- sorting every open challenge (38 ms per uncached page at 10 000), and the signed-in list's
-- `mode = 'open' OR …` by a multi-index OR plus the same sort. Leading with the status keeps
-- the mode out of reach of the list (it is then read in (published_at, id) order and stops after
-- a page) while the headline figures still count from this index alone: by status and mode, and
-- by (every status,) mode and publication. A public list of one status is also served in order.
-- PostgreSQL, which plans from statistics, keeps 000015's index (its 000016 says why).
DROP INDEX challenges_mode_status_idx;
CREATE INDEX challenges_status_mode_idx ON challenges (status, mode, published_at, id);
