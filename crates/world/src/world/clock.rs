//! The class clock (real, accelerated, manual; persisted) and each learner's own advance on it.

use super::*;

impl World {
    // ----- clock -----

    pub fn clock_view(&self) -> ClockView {
        let state = *self.clock.read().expect("clock lock");
        ClockView {
            now: state.now(self.wall.now()),
            mode: state.mode,
        }
    }

    pub(super) async fn store_clock(&self, state: ClockState) -> Result<(), WorldError> {
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        tx.set_clock(&state)?;
        tx.commit()?;
        *self.clock.write().expect("clock lock") = state;
        Ok(())
    }

    /// Moves simulated time forward, then lets every learner catch up.
    pub async fn advance_clock(&self, delta: TimeDelta) -> Result<ClockView, WorldError> {
        if delta < TimeDelta::zero() {
            return Err(WorldError::bad_request(
                "clock_backwards",
                "Le temps simulé ne peut pas reculer.",
            ));
        }
        if delta > crate::clock::MAX_CLOCK_JUMP {
            return Err(crate::clock::jump_too_large());
        }
        if self
            .now()
            .checked_add_signed(delta)
            .is_none_or(|at| at > crate::clock::latest_simulated_time())
        {
            return Err(WorldError::bad_request(
                "clock_too_far",
                "Le temps simulé ne peut pas dépasser l'an 2200.",
            ));
        }
        let state = self
            .clock
            .read()
            .expect("clock lock")
            .advanced(self.wall.now(), delta);
        self.store_clock(state).await?;
        self.sweep().await?;
        Ok(self.clock_view())
    }

    pub async fn set_clock(
        &self,
        mode: ClockMode,
        at: Option<DateTime<Utc>>,
    ) -> Result<ClockView, WorldError> {
        if let ClockMode::Accelerated { factor } = mode {
            if !(factor.is_finite() && factor > 0.0 && factor <= crate::clock::MAX_CLOCK_FACTOR) {
                return Err(WorldError::bad_request(
                    "invalid_clock_factor",
                    "Le facteur d'accélération doit être compris entre 0 et 3 600 (une heure simulée par seconde, limite choisie par le bac à sable).",
                ));
            }
        }
        if let Some(at) = at {
            if at > crate::clock::latest_simulated_time() {
                return Err(WorldError::bad_request(
                    "clock_too_far",
                    "Le temps simulé ne peut pas dépasser l'an 2200.",
                ));
            }
            if at < self.now() {
                return Err(WorldError::bad_request(
                    "clock_backwards",
                    "Le temps simulé ne peut pas reculer.",
                ));
            }
            if at - self.now() > crate::clock::MAX_CLOCK_JUMP {
                return Err(crate::clock::jump_too_large());
            }
        }
        let state = self
            .clock
            .read()
            .expect("clock lock")
            .with_mode(self.wall.now(), mode, at);
        self.store_clock(state).await?;
        self.sweep().await?;
        Ok(self.clock_view())
    }

    // ----- one learner's clock -----

    /// One learner's clock: the class clock plus their own advance.
    pub async fn learner_clock(&self, id: &str) -> Result<api::LearnerClockView, WorldError> {
        self.catch_up(id).await?;
        let loaded = self.store.read().await.learner(id)?;
        Ok(self.learner_clock_view(&loaded))
    }

    pub(super) fn learner_clock_view(&self, loaded: &LearnerRow) -> api::LearnerClockView {
        let class = self.clock_view();
        api::LearnerClockView {
            learner_id: loaded.id.clone(),
            now: learner_time(class.now, loaded.clock_offset),
            offset_seconds: loaded.clock_offset.num_seconds(),
            class,
        }
    }

    /// Moves one learner's time forward by `delta` without touching the rest of the class: what
    /// falls due in between happens at once (codes expire, the review is decided, the 15 days
    /// pass). The advance is journaled (actor `formateur`) before what time did. A learner has
    /// no speed of their own: their time runs at the class clock's speed.
    pub async fn advance_learner_clock(
        &self,
        id: &str,
        delta: TimeDelta,
    ) -> Result<api::LearnerClockView, WorldError> {
        if delta <= TimeDelta::zero() {
            return Err(WorldError::bad_request(
                "clock_backwards",
                "Le temps simulé ne peut pas reculer : indiquez une durée positive.",
            ));
        }
        if delta > crate::clock::MAX_CLOCK_JUMP {
            return Err(crate::clock::jump_too_large());
        }
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let mut loaded = tx.learner(id)?;
        let class_now = self.now();
        let offset = loaded
            .clock_offset
            .checked_add(&delta)
            .filter(|offset| {
                class_now
                    .checked_add_signed(*offset)
                    .is_some_and(|at| at <= crate::clock::latest_simulated_time())
            })
            .ok_or_else(|| {
                WorldError::bad_request("clock_too_far", "Le temps simulé ne peut pas dépasser l'an 2200.")
            })?;
        // What was already due happens at the learner's old time, then the jump.
        self.let_time_pass(&tx, &mut loaded, class_now)?;
        loaded.clock_offset = offset;
        let step = loaded.journey.step();
        let detail = JournalDetail::LearnerClockAdvanced {
            seconds: delta.num_seconds(),
            ahead_seconds: offset.num_seconds(),
        };
        self.record(
            &tx,
            &mut loaded,
            learner_time(class_now, offset),
            Actor::Trainer,
            "advance_learner_clock",
            step,
            &[],
            Ok(Some(detail)),
        )?;
        self.let_time_pass(&tx, &mut loaded, class_now)?;
        tx.commit()?;
        self.announce(id);
        Ok(self.learner_clock_view(&loaded))
    }
}
