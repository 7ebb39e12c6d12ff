//! Auto-capture: take the photo by itself once every guidance check has held for a short steady
//! run of frames, so a passing frame caught mid-movement does not fire it. Taking the photo by
//! hand is always possible, whatever the checks say: the reviewer judges it.

use crate::{Frame, GuidanceReport};
use std::num::NonZeroU8;

/// How the still was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Automatic,
    Manual,
}

/// A captured photo with the guidance measured on it.
#[derive(Debug, Clone)]
pub struct Still {
    pub frame: Frame,
    pub guidance: GuidanceReport,
    pub trigger: Trigger,
}

/// Counts consecutive frames that pass every check; fires once, then waits for [`rearm`]
/// (a retake).
///
/// [`rearm`]: AutoCapture::rearm
#[derive(Debug, Clone)]
pub struct AutoCapture {
    steady_frames: NonZeroU8,
    streak: u8,
    taken: bool,
}

impl AutoCapture {
    /// Five frames: 200 ms at 25 fps.
    pub const DEFAULT_STEADY_FRAMES: NonZeroU8 = match NonZeroU8::new(5) {
        Some(n) => n,
        None => unreachable!(),
    };

    pub fn new(steady_frames: NonZeroU8) -> Self {
        Self {
            steady_frames,
            streak: 0,
            taken: false,
        }
    }

    /// A run carried by a stateless caller between frames: the world's guidance route, which
    /// gets back from the device the streak it answered on the previous frame. A streak at or past
    /// the goal counts as one frame short of it, so that a photo is only ever triggered by a
    /// frame this run has just judged good.
    pub fn resume(steady_frames: NonZeroU8, streak: u8) -> Self {
        Self {
            steady_frames,
            streak: streak.min(steady_frames.get() - 1),
            taken: false,
        }
    }

    /// Feeds one preview frame and its guidance; returns the still when this frame completes
    /// the steady run. A failing frame starts the count again.
    pub fn observe(&mut self, frame: &Frame, guidance: &GuidanceReport) -> Option<Still> {
        if self.taken {
            return None;
        }
        if !guidance.all_passed() {
            self.streak = 0;
            return None;
        }
        self.streak = self.streak.saturating_add(1);
        if self.streak < self.steady_frames.get() {
            return None;
        }
        self.taken = true;
        Some(Still {
            frame: frame.clone(),
            guidance: guidance.clone(),
            trigger: Trigger::Automatic,
        })
    }

    /// The person pressed the shutter: the frame is taken as it is, checks passed or not.
    pub fn capture_now(&mut self, frame: Frame, guidance: GuidanceReport) -> Still {
        self.taken = true;
        Still {
            frame,
            guidance,
            trigger: Trigger::Manual,
        }
    }

    /// Consecutive passing frames so far (for a progress ring on the preview).
    pub fn streak(&self) -> u8 {
        self.streak
    }

    pub fn has_taken(&self) -> bool {
        self.taken
    }

    /// Ready for a retake.
    pub fn rearm(&mut self) {
        self.streak = 0;
        self.taken = false;
    }
}

impl Default for AutoCapture {
    fn default() -> Self {
        Self::new(Self::DEFAULT_STEADY_FRAMES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guidance::testing::report;
    use crate::Hint;
    use std::time::Duration;

    fn frame(n: u8) -> Frame {
        Frame::new(1, 1, vec![n; 3], Duration::from_millis(u64::from(n) * 40)).unwrap()
    }

    #[test]
    fn a_failing_frame_restarts_the_steady_run() {
        let mut auto = AutoCapture::new(NonZeroU8::new(3).unwrap());
        let pass = report(None);
        let fail = report(Some(Hint::Blurry));
        assert!(auto.observe(&frame(0), &pass).is_none());
        assert!(auto.observe(&frame(1), &pass).is_none());
        assert!(auto.observe(&frame(2), &fail).is_none());
        assert_eq!(auto.streak(), 0, "a blurry frame breaks the run");
        assert!(auto.observe(&frame(3), &pass).is_none());
        assert!(auto.observe(&frame(4), &pass).is_none());
        let still = auto
            .observe(&frame(5), &pass)
            .expect("third passing frame in a row");
        assert_eq!(still.frame, frame(5));
        assert_eq!(still.trigger, Trigger::Automatic);
        assert!(auto.observe(&frame(6), &pass).is_none(), "fires once");
        auto.rearm();
        for n in 7..9 {
            assert!(auto.observe(&frame(n), &pass).is_none());
        }
        assert!(auto.observe(&frame(9), &pass).is_some(), "a retake fires again");
    }

    #[test]
    fn with_one_steady_frame_the_first_passing_frame_fires() {
        let mut auto = AutoCapture::new(NonZeroU8::MIN);
        assert!(auto.observe(&frame(0), &report(None)).is_some());
    }

    #[test]
    fn manual_capture_takes_the_frame_whatever_the_checks_say() {
        let mut auto = AutoCapture::default();
        let still = auto.capture_now(frame(1), report(Some(Hint::Glare)));
        assert_eq!(still.trigger, Trigger::Manual);
        assert_eq!(still.guidance.first_hint(), Some(Hint::Glare));
        assert!(auto.has_taken());
        assert!(auto.observe(&frame(2), &report(None)).is_none(), "already taken");
    }

    #[test]
    fn a_resumed_run_fires_on_the_next_good_frame_only() {
        let good = report(None);
        let bad = report(Some(Hint::Blurry));
        let mut resumed = AutoCapture::resume(AutoCapture::DEFAULT_STEADY_FRAMES, 4);
        assert!(resumed.observe(&frame(1), &good).is_some());
        // A claimed streak past the goal is not a photo by itself, and a bad frame resets it.
        let mut resumed = AutoCapture::resume(AutoCapture::DEFAULT_STEADY_FRAMES, 200);
        assert!(resumed.observe(&frame(2), &bad).is_none());
        assert_eq!(resumed.streak(), 0);
        let mut fresh = AutoCapture::resume(AutoCapture::DEFAULT_STEADY_FRAMES, 0);
        assert!(fresh.observe(&frame(3), &good).is_none());
        assert_eq!(fresh.streak(), 1);
    }
}
