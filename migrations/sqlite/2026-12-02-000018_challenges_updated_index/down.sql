DROP INDEX challenges_updated_idx;
