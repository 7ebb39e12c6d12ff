//! A trainer's settings for a learner (planned refusal, delivery plan, review desk) and the
//! desks' decisions, each journaled in one unit of work with what it changes.

use super::*;

impl World {
    pub async fn set_review_policy(&self, id: &str, policy: ReviewPolicy) -> Result<LearnerView, WorldError> {
        if let ReviewPolicy::RefuseNext { reason } = &policy {
            if RefusalReason::from_code(reason).is_none() {
                return Err(WorldError::bad_request(
                    "unknown_refusal_reason",
                    format!("Motif de refus inconnu : « {reason} »."),
                ));
            }
        }
        let detail = JournalDetail::ReviewPolicySet {
            policy: policy.clone(),
        };
        self.plan(id, "plan_review", detail, move |loaded| {
            loaded.review_policy = policy
        })
        .await
    }

    /// Plans what the mail and SMS providers do with this learner's next messages (spam,
    /// withheld); replaces any plan not yet spent.
    pub async fn set_delivery_plan(
        &self,
        id: &str,
        faults: Vec<DeliveryFault>,
    ) -> Result<LearnerView, WorldError> {
        delivery::validate(&faults)?;
        let detail = JournalDetail::DeliveryPlanned {
            faults: faults.clone(),
        };
        self.plan(id, "plan_delivery", detail, move |loaded| {
            loaded.delivery = faults
        })
        .await
    }

    /// "Revue manuelle" for one learner: their next online identifications wait at the review
    /// desk (`ReviewPlan::Desk`) instead of the automatic review. Journaled like every setting.
    pub async fn set_review_desk(&self, id: &str, desk: bool) -> Result<LearnerView, WorldError> {
        let detail = JournalDetail::ReviewDeskSet { desk };
        self.plan(id, "plan_review", detail, move |loaded| loaded.review_desk = desk)
            .await
    }

    /// Whether a learner's identifications go to the review desk.
    pub async fn review_desk(&self, id: &str) -> Result<bool, WorldError> {
        Ok(self.store.read().await.learner(id)?.review_desk)
    }

    /// The class's default (this world is one class): given to learners created from now on.
    pub async fn class_review_desk(&self) -> Result<bool, WorldError> {
        Ok(self.store.read().await.class_review_desk()?)
    }

    /// Sets the class's default and applies it to every learner (each change journaled).
    pub async fn set_class_review_desk(&self, desk: bool) -> Result<(), WorldError> {
        {
            let mut writer = self.store.write().await;
            let tx = writer.begin()?;
            tx.set_class_review_desk(desk)?;
            tx.commit()?;
        }
        let ids = self
            .store
            .read()
            .await
            .learners_with_review_desk_other_than(desk)?;
        for id in ids {
            self.set_review_desk(&id, desk).await?;
        }
        Ok(())
    }

    /// AR24's reviewer decides a visual identification at the review desk; the outcome reaches
    /// the learner (letter timeline, email) through the journey like every other change.
    pub async fn review_identification(
        &self,
        id: &str,
        decision: ReviewDecision,
    ) -> Result<LearnerView, WorldError> {
        self.transition(id, Actor::Reviewer, "review_identification", move |_, _| {
            Ok(Command::ReviewIdentification { decision })
        })
        .await
    }

    /// The wall-clock time (console sessions expire in real time, whatever the simulated clock).
    pub(crate) fn wall_now(&self) -> DateTime<Utc> {
        self.wall.now()
    }

    /// The stored journey of a learner, for the console's reading (review queue, media).
    pub(crate) async fn journey_of(&self, id: &str) -> Result<Journey, WorldError> {
        self.catch_up(id).await?;
        Ok(self.store.read().await.learner(id)?.journey)
    }

    /// A trainer's setting for one learner, in one transaction with its journal line, so that a
    /// replay of the journal knows what was planned and when.
    pub(super) async fn plan(
        &self,
        id: &str,
        action: &str,
        detail: JournalDetail,
        change: impl FnOnce(&mut LearnerRow),
    ) -> Result<LearnerView, WorldError> {
        self.annotate(id, Actor::Trainer, action, detail, change).await
    }

    /// A desk's decision that leaves the journey where it is (the clerk sends the person away
    /// without validating; the code stays valid): journaled all the same, so that the learner's
    /// journal tells the support agent, and a replay, what happened at the desk.
    pub(crate) async fn journal_desk_decision(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        detail: JournalDetail,
    ) -> Result<LearnerView, WorldError> {
        self.annotate(id, actor, action, detail, |_| {}).await
    }

    /// One journal line for `id` by `actor`, with `change` applied to the stored settings.
    pub(super) async fn annotate(
        &self,
        id: &str,
        actor: Actor,
        action: &str,
        detail: JournalDetail,
        change: impl FnOnce(&mut LearnerRow),
    ) -> Result<LearnerView, WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let now = self.now();
        self.let_time_pass(&tx, &mut loaded, now)?;
        change(&mut loaded);
        let step = loaded.journey.step();
        let learner_now = learner_time(now, loaded.clock_offset);
        self.record(
            &tx,
            &mut loaded,
            learner_now,
            actor,
            action,
            step,
            &[],
            Ok(Some(detail)),
        )?;
        tx.commit()?;
        self.announce(id);
        Ok(views::learner_view(id, &loaded.journey, &loaded.review_policy))
    }
}
