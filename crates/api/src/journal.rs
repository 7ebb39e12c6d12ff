//! A learner's journal as its readers get it: who did what, the outcome, the steps before and
//! after, and for the lines that carry more (a plan, a decision at a desk, time moved) a typed
//! detail. Export and replay read the detail; the French sentence beside it is rendered from it
//! by the world's catalogue, for people.

use crate::{DeliveryFault, ReviewPolicy, Step};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JournalEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    /// `ok`, or the error code of a refused action.
    pub outcome: String,
    /// For people: the detail in French, or a refused action's French message.
    pub message: Option<String>,
    /// What the line says as data (absent on lines that say nothing beyond their outcome).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<JournalDetail>,
    pub step_before: Step,
    pub step_after: Step,
}

/// What a journal line carries beyond its outcome: every trainer's setting, desk decision and
/// move of a learner's clock, as data a replay or an export can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalDetail {
    /// What the mail and SMS providers do with the next messages (spam, withheld); an empty
    /// plan delivers everything normally.
    DeliveryPlanned { faults: Vec<DeliveryFault> },
    /// How the next online identification is reviewed (automatically, or refused with a reason).
    ReviewPolicySet { policy: ReviewPolicy },
    /// Identifications wait at the console's review desk (`true`) or get the automatic review.
    ReviewDeskSet { desk: bool },
    /// The reviewer's decision at the desk; `reason` is the refusal reason's code when refused.
    ReviewDecided { accepted: bool, reason: Option<String> },
    /// The clerk sent the person away without validating (the code stays valid): the reason's
    /// code among the clerk desk's reasons.
    ClerkRefused { reason: String },
    /// The learner's own clock moved forward by `seconds`; `ahead_seconds` is then their lead on
    /// the class clock.
    LearnerClockAdvanced { seconds: i64, ahead_seconds: i64 },
    /// The class clock went back by `class_seconds_back`, to before this learner's last action:
    /// the learner stays at their own time (a learner's time never goes back), now
    /// `ahead_seconds` ahead of the class.
    ClassClockRewoundLearnerKept {
        class_seconds_back: i64,
        ahead_seconds: i64,
    },
}
