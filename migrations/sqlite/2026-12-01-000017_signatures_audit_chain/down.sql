DROP TRIGGER audit_checkpoints_no_update;
DROP TRIGGER audit_checkpoints_no_delete;
DROP TABLE audit_checkpoints;
DROP TRIGGER audit_log_no_update;
DROP INDEX audit_log_unchained;
DROP INDEX audit_log_seq;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN seq;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
ALTER TABLE agreements DROP COLUMN registration_countersignature;
ALTER TABLE agreements DROP COLUMN registration_countersign_key_id;
ALTER TABLE agreements DROP COLUMN registration_countersign_statement;
ALTER TABLE agreements DROP COLUMN registration_signature;
ALTER TABLE agreements DROP COLUMN registration_key_id;
ALTER TABLE agreements DROP COLUMN registration_statement;
ALTER TABLE signatures DROP COLUMN countersignature;
ALTER TABLE signatures DROP COLUMN countersign_key_id;
ALTER TABLE signatures DROP COLUMN countersign_statement;
ALTER TABLE signatures DROP COLUMN signature;
ALTER TABLE signatures DROP COLUMN key_id;
ALTER TABLE signatures DROP COLUMN terms_sm3;
DROP TABLE signing_keys;
