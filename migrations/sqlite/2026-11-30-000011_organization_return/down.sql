ALTER TABLE organizations DROP COLUMN return_reason;
ALTER TABLE organizations DROP COLUMN returned_at;
