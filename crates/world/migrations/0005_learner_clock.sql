-- A learner's own clock: the class clock plus this offset (seconds, never negative). A trainer
-- or a support agent moves one learner's time forward (their codes expire, their review
-- completes, their 15 days pass) without touching the others'. Deadlines stored in `learners`
-- are in the learner's time.
ALTER TABLE learners ADD COLUMN clock_offset_seconds INTEGER NOT NULL DEFAULT 0;
