DROP TABLE payments;
DROP TABLE milestones;
DROP TABLE signatures;
ALTER TABLE agreements DROP COLUMN ended_at;
ALTER TABLE agreements DROP COLUMN end_reason;
ALTER TABLE agreements DROP COLUMN registered_by;
ALTER TABLE agreements DROP COLUMN registered_at;
ALTER TABLE agreements DROP COLUMN signed_at;
