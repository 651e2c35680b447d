-- SM2 keys (签名密钥) of the platform, organisations and officials. A key's id is the first 16
-- bytes of SM3 over its DER SubjectPublicKeyInfo (hex). Keys are never deleted: a rotation
-- retires the active key (retired_at), and what it signed stays verifiable.
CREATE TABLE signing_keys (
    id             TEXT PRIMARY KEY,
    owner_type     TEXT NOT NULL CHECK (owner_type IN ('platform','organization','user')),
    owner_id       TEXT NOT NULL,
    custody        TEXT NOT NULL CHECK (custody IN ('own','platform')),
    public_pem     TEXT NOT NULL,
    private_sealed TEXT,
    created_at     TIMESTAMP NOT NULL,
    created_by     TEXT,
    retired_at     TIMESTAMP,
    CHECK ((custody = 'platform') = (private_sealed IS NOT NULL))
);
-- at most one active key per owner
CREATE UNIQUE INDEX signing_keys_active ON signing_keys (owner_type, owner_id) WHERE retired_at IS NULL;
CREATE INDEX signing_keys_owner ON signing_keys (owner_type, owner_id, created_at);

-- A party's SM2 signature over the canonical terms, and the platform's countersignature.
ALTER TABLE signatures ADD COLUMN terms_sm3 TEXT;
ALTER TABLE signatures ADD COLUMN key_id TEXT REFERENCES signing_keys(id);
ALTER TABLE signatures ADD COLUMN signature TEXT;
ALTER TABLE signatures ADD COLUMN countersign_statement TEXT;
ALTER TABLE signatures ADD COLUMN countersign_key_id TEXT REFERENCES signing_keys(id);
ALTER TABLE signatures ADD COLUMN countersignature TEXT;

-- The registering official's countersignature (备案).
ALTER TABLE agreements ADD COLUMN registration_statement TEXT;
ALTER TABLE agreements ADD COLUMN registration_key_id TEXT REFERENCES signing_keys(id);
ALTER TABLE agreements ADD COLUMN registration_signature TEXT;
-- and the platform's countersignature of it, vouching that the key is the official's
ALTER TABLE agreements ADD COLUMN registration_countersign_statement TEXT;
ALTER TABLE agreements ADD COLUMN registration_countersign_key_id TEXT REFERENCES signing_keys(id);
ALTER TABLE agreements ADD COLUMN registration_countersignature TEXT;

-- The audit log's hash chain: seq from 1, the previous entry's SM3 hash, this entry's.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE seq IS NULL;

-- Checkpoints of the chain's head, signed by the platform key.
CREATE TABLE audit_checkpoints (
    seq        BIGINT PRIMARY KEY,
    head_hash  TEXT NOT NULL,
    at         TIMESTAMP NOT NULL,
    statement  TEXT NOT NULL,
    key_id     TEXT NOT NULL REFERENCES signing_keys(id),
    signature  TEXT NOT NULL
);

-- Still append-only: an entry's content never changes; its chain columns are set once, by the
-- sequencer, and never again.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
        AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
        AND (NEW.id, NEW.at, NEW.actor_user_id, NEW.actor_organization_id, NEW.object_type,
             NEW.object_id, NEW.action, NEW.before_json, NEW.after_json, NEW.comment,
             NEW.request_id)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.at, OLD.actor_user_id, OLD.actor_organization_id, OLD.object_type,
             OLD.object_id, OLD.action, OLD.before_json, OLD.after_json, OLD.comment,
             OLD.request_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only';
END;
$$;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();
