-- An official may return an organisation's registration with a reason (退回): it stays
-- unverified, its users are told why, and it is back in the verification queue once its admin
-- edits it (which clears these).
ALTER TABLE organizations ADD COLUMN returned_at TIMESTAMP;
ALTER TABLE organizations ADD COLUMN return_reason TEXT;
