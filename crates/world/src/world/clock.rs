//! The class clock (real, accelerated, manual; persisted, with its history) and each learner's
//! own advance on it.
//!
//! The class clock goes back too (« Revenir à ce moment », « Revenir à l'heure réelle »): a
//! trainer's typo that moved the class a year ahead, or a demo that moved it 4 weeks, is undone.
//! The invariant kept is that **a learner's time never goes back**: a learner whose journal
//! already goes later than the earlier class time keeps their time (their lead on the class is
//! raised, journaled for them); the others, and every new learner, are at the earlier time.
//! What else holds a time, and what a move back does to it:
//! - a learner's journey (codes, deadlines, login requests, the sign-in lock), journal and
//!   inbox are in the learner's time: kept by the invariant; what was due before the move is
//!   decided first (a sweep), so nothing already decided is undone, and a deadline still to come
//!   comes again at its own time;
//! - credentials (accounts, devices, sign-in tickets, staff tokens), console sessions, the
//!   staff audit, the failed sign-ins and the per-address limits run on the wall clock: untouched;
//! - the federation's in-memory logins, codes (30 s), tokens (60 s) and demo sessions expire by
//!   the class clock: one made before the move lives longer by the time moved back, still used
//!   once; a restart forgets them anyway;
//! - a relying party's registration time and a medium's upload time are records, not rules: they
//!   may read later than the class's time.
//!
//! Refused: a time before the world was created (there is nothing to go back to).

use super::*;
use crate::api::{ClockChange, ClockChangeKind};
use crate::store::{ClockHistoryReads, NewClockChange};

/// Changes of the class clock the history shows.
const HISTORY_SHOWN: u32 = 50;

/// Who changed the class clock, for its history: a staff member's email, or `None` for the
/// world's own changes (tests, the world's machine).
pub type ClockChangedBy<'a> = Option<&'a str>;

/// A whole number of seconds at least `delta` (a learner's lead is stored in seconds, and must
/// not leave them a fraction before their latest line).
fn whole_seconds_up(delta: TimeDelta) -> TimeDelta {
    let seconds = delta.num_seconds() + i64::from(delta.subsec_nanos() > 0);
    TimeDelta::seconds(seconds)
}

impl World {
    // ----- clock -----

    pub fn clock_view(&self) -> ClockView {
        let state = *self.clock.read().expect("clock lock");
        ClockView {
            now: state.now(self.wall.now()),
            mode: state.mode,
        }
    }

    /// The class clock's latest changes, newest first.
    pub async fn clock_history(&self) -> Result<Vec<ClockChange>, WorldError> {
        Ok(self.store.read().await.clock_history(HISTORY_SHOWN)?)
    }

    /// Moves the class clock to `next(current, wall)` (asked again under the writer, at the time
    /// of the change) in one unit of work with its history line
    /// and, when the class goes back, the learners kept at their own time. Forward, the learners
    /// then catch up with the new time.
    async fn move_class_clock(
        &self,
        kind: ClockChangeKind,
        by: ClockChangedBy<'_>,
        next: impl Fn(&ClockState, DateTime<Utc>) -> ClockState,
    ) -> Result<ClockView, WorldError> {
        let (wall, current) = (self.wall.now(), *self.clock.read().expect("clock lock"));
        let state = next(&current, wall);
        let going_back = state.now(wall) < current.now(wall);
        if going_back {
            // What is due by the current time happens first, journaled: then it is kept.
            self.sweep().await?;
        }
        let kept = {
            let mut writer = self.store.write().await;
            let tx = writer.begin()?;
            let wall = self.wall.now();
            let current = *self.clock.read().expect("clock lock");
            let state = next(&current, wall);
            let (before, after) = (current.now(wall), state.now(wall));
            let kept = if after < before {
                self.keep_learners_ahead_of(&tx, before, after)?
            } else {
                Vec::new()
            };
            tx.set_clock(&state)?;
            tx.append_clock_change(&NewClockChange {
                recorded_at: wall,
                kind,
                before,
                after,
                mode: state.mode,
                by,
                learners_kept: kept.len() as u64,
            })?;
            tx.commit()?;
            // Changed while the writer is held: no unit of work reads the old time after the commit.
            *self.clock.write().expect("clock lock") = state;
            kept
        };
        for id in &kept {
            self.announce(id);
        }
        if going_back {
            tracing::info!(learners_kept = kept.len(), ?kind, "class clock moved back");
        } else {
            self.sweep().await?;
        }
        Ok(self.clock_view())
    }

    /// Inside the unit of work moving the class from `before` back to `after`: every learner
    /// whose journal goes later than their time at `after` gets the lead that keeps them at
    /// their latest line, journaled. The ids of those kept.
    fn keep_learners_ahead_of(
        &self,
        tx: &Tx<'_>,
        before: DateTime<Utc>,
        after: DateTime<Utc>,
    ) -> Result<Vec<String>, WorldError> {
        let created = tx.world_created_at()?;
        if after < created {
            return Err(WorldError::bad_request(
                "clock_before_world",
                format!(
                    "Le monde n'existait pas encore à cette heure-là : il a été créé le {}. Choisissez un moment plus récent.",
                    idn_journey::local_time::in_sentence(created)
                ),
            ));
        }
        let mut kept = Vec::new();
        for latest in tx.learners_latest_lines()? {
            if latest.latest <= learner_time(after, latest.offset) {
                continue;
            }
            let mut loaded = tx.learner(&latest.id)?;
            loaded.clock_offset = whole_seconds_up(latest.latest - after).max(loaded.clock_offset);
            let detail = JournalDetail::ClassClockRewoundLearnerKept {
                class_seconds_back: (before - after).num_seconds(),
                ahead_seconds: loaded.clock_offset.num_seconds(),
            };
            let (step, at) = (loaded.journey.step(), learner_time(after, loaded.clock_offset));
            self.record(
                tx,
                &mut loaded,
                at,
                Actor::Trainer,
                "class_clock_rewound",
                step,
                &[],
                Ok(Some(detail)),
            )?;
            kept.push(latest.id);
        }
        Ok(kept)
    }

    /// Moves simulated time forward, then lets every learner catch up.
    pub async fn advance_clock(&self, delta: TimeDelta) -> Result<ClockView, WorldError> {
        self.advance_clock_by(delta, None).await
    }

    /// [`World::advance_clock`], made by `by` (for the clock's history).
    pub async fn advance_clock_by(
        &self,
        delta: TimeDelta,
        by: ClockChangedBy<'_>,
    ) -> Result<ClockView, WorldError> {
        if delta < TimeDelta::zero() {
            return Err(WorldError::bad_request(
                "clock_backwards",
                "Une avance se compte en durée positive : pour revenir en arrière, utilisez « Revenir à ce moment » (idn clock rewind).",
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
        self.move_class_clock(ClockChangeKind::Advance, by, |current, wall| {
            current.advanced(wall, delta)
        })
        .await
    }

    pub async fn set_clock(
        &self,
        mode: ClockMode,
        at: Option<DateTime<Utc>>,
    ) -> Result<ClockView, WorldError> {
        self.set_clock_by(mode, at, None).await
    }

    /// A new speed, optionally from the time `at`: later is a jump (bounded), earlier is a move
    /// back (see the module's rule).
    pub async fn set_clock_by(
        &self,
        mode: ClockMode,
        at: Option<DateTime<Utc>>,
        by: ClockChangedBy<'_>,
    ) -> Result<ClockView, WorldError> {
        if let ClockMode::Accelerated { factor } = mode {
            if !(factor.is_finite() && factor > 0.0 && factor <= crate::clock::MAX_CLOCK_FACTOR) {
                return Err(WorldError::bad_request(
                    "invalid_clock_factor",
                    "Le facteur d'accélération doit être compris entre 0 et 3 600 (une heure simulée par seconde, limite choisie par le bac à sable).",
                ));
            }
        }
        let mut kind = ClockChangeKind::Set;
        if let Some(at) = at {
            if at > crate::clock::latest_simulated_time() {
                return Err(WorldError::bad_request(
                    "clock_too_far",
                    "Le temps simulé ne peut pas dépasser l'an 2200.",
                ));
            }
            if at < self.now() {
                kind = ClockChangeKind::Rewind;
            } else if at - self.now() > crate::clock::MAX_CLOCK_JUMP {
                return Err(crate::clock::jump_too_large());
            }
        }
        self.move_class_clock(kind, by, |current, wall| current.with_mode(wall, mode, at))
            .await
    }

    /// « Revenir à ce moment »: the class clock goes back to `to`, its speed kept. Learners who
    /// acted after that moment stay at their own time.
    pub async fn rewind_clock(
        &self,
        to: DateTime<Utc>,
        by: ClockChangedBy<'_>,
    ) -> Result<ClockView, WorldError> {
        if to >= self.now() {
            return Err(WorldError::bad_request(
                "clock_not_earlier",
                "Ce moment n'est pas passé pour la classe : pour avancer l'horloge, utilisez « Avancer ».",
            ));
        }
        self.move_class_clock(ClockChangeKind::Rewind, by, |current, wall| {
            current.with_mode(wall, current.mode, Some(to))
        })
        .await
    }

    /// « Revenir à l'heure réelle »: real time from the wall clock's time, back or forward. Not
    /// bounded as a jump is: real time is no typo.
    pub async fn real_time_clock(&self, by: ClockChangedBy<'_>) -> Result<ClockView, WorldError> {
        self.move_class_clock(ClockChangeKind::RealTime, by, |_, wall| ClockState::real(wall))
            .await
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
