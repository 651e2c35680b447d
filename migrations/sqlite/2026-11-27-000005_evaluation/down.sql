DROP TABLE agreements;
DROP TABLE award_selections;
DROP TABLE scores;
DROP TABLE challenge_experts;
DROP TABLE rubrics;
