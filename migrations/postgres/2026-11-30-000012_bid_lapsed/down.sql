UPDATE bids SET status = 'withdrawn', withdrawn_at = updated_at WHERE status = 'lapsed';
ALTER TABLE bids DROP CONSTRAINT bids_status_check;
ALTER TABLE bids ADD CONSTRAINT bids_status_check
    CHECK (status IN ('draft','submitted','withdrawn','ineligible','awarded','not_awarded'));
