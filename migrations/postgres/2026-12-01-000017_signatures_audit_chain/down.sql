DROP TRIGGER audit_checkpoints_no_truncate ON audit_checkpoints;
DROP TRIGGER audit_checkpoints_no_update ON audit_checkpoints;
DROP FUNCTION audit_checkpoints_append_only();
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
DROP TABLE audit_checkpoints;
DROP INDEX audit_log_unchained;
DROP INDEX audit_log_seq;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN seq;
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
