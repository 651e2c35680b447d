-- Experts' fields (专业领域): the JSON array of fields an expert reviews in, set when an admin or
-- an official creates the expert; officials search experts by it when assigning them.
ALTER TABLE users ADD COLUMN expert_fields TEXT NOT NULL DEFAULT '[]';
-- An expert's declaration of a conflict of interest (回避声明): the assignment is removed with
-- the expert's scores on the challenge, and the expert cannot be assigned to it again.
CREATE TABLE expert_recusals (
    challenge_id TEXT NOT NULL REFERENCES challenges(id),
    expert_id    TEXT NOT NULL REFERENCES users(id),
    reason       TEXT NOT NULL,
    declared_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (challenge_id, expert_id)
);
-- An expert's scores for a bid saved before they are complete (暂存): seen by the expert alone,
-- neither counted nor shown to anyone else, and removed when the scores are submitted.
CREATE TABLE score_drafts (
    bid_id      TEXT NOT NULL REFERENCES bids(id),
    expert_id   TEXT NOT NULL REFERENCES users(id),
    scores_json TEXT NOT NULL,
    saved_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (bid_id, expert_id)
);
