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
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
    OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at
    OR NEW.actor_user_id IS NOT OLD.actor_user_id
    OR NEW.actor_organization_id IS NOT OLD.actor_organization_id
    OR NEW.object_type IS NOT OLD.object_type OR NEW.object_id IS NOT OLD.object_id
    OR NEW.action IS NOT OLD.action OR NEW.before_json IS NOT OLD.before_json
    OR NEW.after_json IS NOT OLD.after_json OR NEW.comment IS NOT OLD.comment
    OR NEW.request_id IS NOT OLD.request_id
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
