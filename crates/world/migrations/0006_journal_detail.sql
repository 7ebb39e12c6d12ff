-- A journal line's detail as data (JSON of `idn_api::JournalDetail`): a trainer's plan, a
-- decision at a desk, a learner's clock moved. Its French sentence is rendered from it when the
-- journal is read, so `message` now holds only a refused action's French message. Lines written
-- before this column existed are given their detail when the world opens (see `journal_detail`).
ALTER TABLE journal ADD COLUMN detail TEXT;
