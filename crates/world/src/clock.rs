//! The world's clock: real, accelerated or manual, persisted so that a restart keeps the
//! simulated time. "24 h excluding weekends" and "4 weeks" become minutes or milliseconds.

use crate::api::ClockMode;
use chrono::{DateTime, TimeDelta, Utc};

/// Where the wall-clock time comes from; tests use a fixed one.
pub trait WallClock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemWallClock;

impl WallClock for SystemWallClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Simulated time never goes past this: far enough for any scenario, near enough that adding
/// any rule's duration to it cannot overflow.
pub fn latest_simulated_time() -> DateTime<Utc> {
    DateTime::from_timestamp(7_258_118_400, 0).expect("2200-01-01 is representable")
}

/// The longest a trainer moves time forward in one go (the class clock, one learner's clock, or
/// setting it to a date). The sandbox's choice, no guide gives one: a year covers the longest
/// wait of the journey (about 4 weeks for the letter) many times, and a typo such as
/// `idn clock advance 9999sem` is refused instead of ageing every identity document by 190 years.
pub const MAX_CLOCK_JUMP: TimeDelta = TimeDelta::days(366);

/// The fastest accelerated clock: ×3 600, one simulated hour a second (the console's fastest
/// choice). The sandbox's choice: at ×1 000 000 a class clock left running passes 2200 in an hour.
pub const MAX_CLOCK_FACTOR: f64 = 3_600.0;

/// The refusal of a jump past [`MAX_CLOCK_JUMP`].
pub fn jump_too_large() -> crate::WorldError {
    crate::WorldError::bad_request(
        "clock_jump_too_large",
        "Le temps simulé avance d'un an (366 jours) au plus à la fois (limite choisie par le bac à sable) : avancez en plusieurs fois si c'est bien voulu.",
    )
}

/// Simulated time = `anchor_virtual` + (wall − `anchor_real`) × speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockState {
    pub mode: ClockMode,
    pub anchor_real: DateTime<Utc>,
    pub anchor_virtual: DateTime<Utc>,
}

impl ClockState {
    pub fn real(wall: DateTime<Utc>) -> Self {
        Self {
            mode: ClockMode::Real,
            anchor_real: wall,
            anchor_virtual: wall,
        }
    }

    pub fn now(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let elapsed = wall - self.anchor_real;
        let now = match self.mode {
            ClockMode::Real => self
                .anchor_virtual
                .checked_add_signed(elapsed)
                .unwrap_or_else(latest_simulated_time),
            ClockMode::Accelerated { factor } => {
                let scaled = elapsed.num_microseconds().unwrap_or(i64::MAX) as f64 * factor;
                let offset = TimeDelta::microseconds(scaled.clamp(0.0, 1e16) as i64);
                self.anchor_virtual
                    .checked_add_signed(offset)
                    .unwrap_or_else(latest_simulated_time)
            }
            ClockMode::Manual => self.anchor_virtual,
        };
        now.min(latest_simulated_time())
    }

    /// Time jumps forward by `delta`; the speed is kept.
    pub fn advanced(&self, wall: DateTime<Utc>, delta: TimeDelta) -> Self {
        Self {
            mode: self.mode,
            anchor_real: wall,
            anchor_virtual: self.now(wall) + delta,
        }
    }

    /// New speed from the current simulated time (or from `at` when given).
    pub fn with_mode(&self, wall: DateTime<Utc>, mode: ClockMode, at: Option<DateTime<Utc>>) -> Self {
        Self {
            mode,
            anchor_real: wall,
            anchor_virtual: at.unwrap_or_else(|| self.now(wall)),
        }
    }
}

/// One learner's time: the class clock's time moved forward by the learner's own advance
/// (`offset`, never negative). A learner has no speed of their own: the offset is a jump, so
/// their time runs at the class clock's speed and a person keeps a real minute to approve a
/// login.
pub fn learner_time(class_now: DateTime<Utc>, offset: TimeDelta) -> DateTime<Utc> {
    class_now
        .checked_add_signed(offset)
        .unwrap_or_else(latest_simulated_time)
        .min(latest_simulated_time())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_770_000_000 + seconds, 0).unwrap()
    }

    #[test]
    fn modes_move_time_as_named() {
        let real = ClockState::real(at(0));
        assert_eq!(real.now(at(10)), at(10));
        let fast = real.with_mode(at(10), ClockMode::Accelerated { factor: 60.0 }, None);
        assert_eq!(
            fast.now(at(11)),
            at(70),
            "one wall second is one simulated minute"
        );
        let manual = fast.with_mode(at(11), ClockMode::Manual, None);
        assert_eq!(manual.now(at(500)), at(70), "manual time stands still");
        let later = manual.advanced(at(500), TimeDelta::days(15));
        assert_eq!(later.now(at(900)), at(70) + TimeDelta::days(15));
    }

    #[test]
    fn a_learners_time_is_the_class_time_moved_by_their_advance_at_the_same_speed() {
        let fast = ClockState::real(at(0)).with_mode(at(0), ClockMode::Accelerated { factor: 60.0 }, None);
        let ahead = TimeDelta::days(15);
        assert_eq!(learner_time(fast.now(at(0)), ahead), at(0) + ahead);
        assert_eq!(
            learner_time(fast.now(at(1)), ahead) - learner_time(fast.now(at(0)), ahead),
            TimeDelta::minutes(1),
            "the learner's time runs at the class speed: the advance is a jump, not a speed"
        );
        assert_eq!(
            learner_time(latest_simulated_time(), ahead),
            latest_simulated_time(),
            "an advance never carries a learner past the end of simulated time"
        );
    }
}
