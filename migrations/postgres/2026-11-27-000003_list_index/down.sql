DROP INDEX challenges_published_idx;
