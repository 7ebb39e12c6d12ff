-- Delivery faults planned for a learner (messages to put in spam or to withhold), as JSON: a
-- list of `api::DeliveryFault`, each spent as the matching messages are sent. Withheld messages
-- are kept in `inbox` with folder 'withheld' so that trainers can see what the person never got;
-- the person's inbox does not show them.
ALTER TABLE learners ADD COLUMN delivery_plan TEXT NOT NULL DEFAULT '[]';
