DROP TABLE score_drafts;
DROP TABLE expert_recusals;
ALTER TABLE users DROP COLUMN expert_fields;
