-- A draft still a draft when bidding closes becomes `lapsed` (失效), no longer `withdrawn`:
-- its author never withdrew it. Bids that lapsed before this migration are relabelled from
-- their audit entries.
ALTER TABLE bids DROP CONSTRAINT bids_status_check;
ALTER TABLE bids ADD CONSTRAINT bids_status_check
    CHECK (status IN ('draft','submitted','withdrawn','lapsed','ineligible','awarded','not_awarded'));
UPDATE bids SET status = 'lapsed', withdrawn_at = NULL
    WHERE status = 'withdrawn'
      AND id IN (SELECT object_id FROM audit_log
                 WHERE object_type = 'bid'
                   AND action IN ('lapsed_at_close', 'lapsed_challenge_cancelled'));
