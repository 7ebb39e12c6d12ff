//! What the console's overview of the class reads from the journal: when each learner's journal
//! last moved (on the wall clock, so a trainer sees real idleness whatever the simulated clocks
//! do) and each learner's latest error (a refused action, or a desk sending them back).

use super::{from_json, parse_time, text, Reads, StoreError};
use crate::api::JournalDetail;
use chrono::{DateTime, Utc};

/// A learner's latest journal line, on the wall clock.
pub(crate) struct LastActivity {
    pub learner_id: String,
    pub recorded_at: DateTime<Utc>,
}

/// A learner's latest error: an action the journey refused (its code and French message), or a
/// desk's refusal (its typed detail).
pub(crate) struct LatestError {
    pub learner_id: String,
    pub recorded_at: DateTime<Utc>,
    /// `ok` for a desk's refusal, else the refused action's error code.
    pub outcome: String,
    /// A refused action's French message.
    pub message: Option<String>,
    pub detail: Option<JournalDetail>,
}

/// Reads for the console's overview of the class.
pub(crate) trait ClassActivityReads: Reads {
    /// Every learner's latest journal line (a learner always has one: the account's opening).
    fn last_activities(&self) -> Result<Vec<LastActivity>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT learner_id, recorded_at FROM (SELECT learner_id, recorded_at, ROW_NUMBER() OVER (PARTITION BY learner_id ORDER BY seq DESC) AS latest FROM journal) WHERE latest = 1",
        )?;
        let mut rows = statement.query([])?;
        let mut activities = Vec::new();
        while let Some(row) = rows.next()? {
            activities.push(LastActivity {
                learner_id: row.get(0)?,
                recorded_at: parse_time(text(row, 1)?)?,
            });
        }
        Ok(activities)
    }

    /// Each learner's latest error, for those who had one: a refused action, a reviewer's
    /// refusal, or a clerk sending the person away.
    fn latest_errors(&self) -> Result<Vec<LatestError>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT learner_id, recorded_at, outcome, message, detail FROM (SELECT learner_id, recorded_at, outcome, message, detail, ROW_NUMBER() OVER (PARTITION BY learner_id ORDER BY seq DESC) AS latest FROM journal WHERE outcome <> 'ok' OR json_extract(detail, '$.kind') = 'clerk_refused' OR (json_extract(detail, '$.kind') = 'review_decided' AND json_extract(detail, '$.accepted') = 0)) WHERE latest = 1",
        )?;
        let mut rows = statement.query([])?;
        let mut errors = Vec::new();
        while let Some(row) = rows.next()? {
            let detail: Option<String> = row.get(4)?;
            errors.push(LatestError {
                learner_id: row.get(0)?,
                recorded_at: parse_time(text(row, 1)?)?,
                outcome: row.get(2)?,
                message: row.get(3)?,
                detail: detail
                    .as_deref()
                    .map(|detail| from_json::<JournalDetail>(detail, "journal detail"))
                    .transpose()?,
            });
        }
        Ok(errors)
    }
}

impl<T: Reads> ClassActivityReads for T {}
