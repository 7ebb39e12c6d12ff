//! The learners table and the unit of work on it: a learner loaded for update, written back
//! with its journal line and its messages in the same transaction.

use super::{from_json, parse_time, text, to_json, Reads, StoreError, Tx};
use crate::api::{DeliveryFault, JournalDetail, MessageChannel, ReviewPolicy};
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::{Journey, Step};
use rusqlite::OptionalExtension;

/// A learner row as loaded inside a unit of work.
pub(crate) struct LearnerRow {
    pub id: String,
    pub journey: Journey,
    /// Number of journal lines written so far (each write adds one).
    pub seq: i64,
    pub review_policy: ReviewPolicy,
    /// Delivery faults still to happen (spam, withheld), spent as messages are sent.
    pub delivery: Vec<DeliveryFault>,
    /// "Revue manuelle": submissions wait at the console's review desk (`ReviewPlan::Desk`).
    pub review_desk: bool,
    /// How far this learner's time is ahead of the class clock (never negative): every time of
    /// the journey, its deadlines and its journal are in the learner's time.
    pub clock_offset: TimeDelta,
}

/// A learner created by a unit of work, before its first step.
pub(crate) struct NewLearnerRow<'a> {
    pub id: &'a str,
    pub at: DateTime<Utc>,
    pub email: &'a str,
    pub review_policy: &'a ReviewPolicy,
    pub review_desk: bool,
}

/// One journal line of a step.
pub(crate) struct JournalLine<'a> {
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub actor: &'a str,
    pub action: &'a str,
    /// `ok` or the refusal's code.
    pub outcome: &'a str,
    /// A refusal's French message.
    pub message: Option<&'a str>,
    pub detail: Option<&'a JournalDetail>,
    pub step_before: Step,
}

/// One message of a step, rendered, with the folder the providers put it in.
pub(crate) struct StoredMessage<'a> {
    pub channel: MessageChannel,
    pub sender: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
    pub folder: &'a str,
    pub code: Option<&'a str>,
}

const LEARNER_COLUMNS: &str =
    "id, journey, seq, review_policy, delivery_plan, review_desk, clock_offset_seconds";

/// The learner that `condition` (with one `?`, bound to `value`) selects, in one query (a lookup
/// and its load together). The stored JSON is parsed in place, not copied first.
fn learner_where(
    connection: &rusqlite::Connection,
    condition: &str,
    value: &str,
) -> Result<Option<LearnerRow>, StoreError> {
    Ok(learners_where(connection, condition, value)?.into_iter().next())
}

/// Every learner that `condition` selects (bound as in [`learner_where`]).
fn learners_where(
    connection: &rusqlite::Connection,
    condition: &str,
    value: &str,
) -> Result<Vec<LearnerRow>, StoreError> {
    let sql = format!("SELECT {LEARNER_COLUMNS} FROM learners WHERE {condition}");
    let mut statement = connection.prepare_cached(&sql)?;
    let mut rows = statement.query([value])?;
    let mut learners = Vec::new();
    while let Some(row) = rows.next()? {
        learners.push(LearnerRow {
            id: row.get(0)?,
            journey: from_json(text(row, 1)?, "journey")?,
            seq: row.get(2)?,
            review_policy: from_json(text(row, 3)?, "review policy")?,
            delivery: from_json(text(row, 4)?, "delivery plan")?,
            review_desk: row.get(5)?,
            clock_offset: TimeDelta::seconds(row.get(6)?),
        });
    }
    Ok(learners)
}

/// Reads of learners, by a reader or inside a unit of work.
pub(crate) trait LearnerReads: Reads {
    fn learner(&self, id: &str) -> Result<LearnerRow, StoreError> {
        learner_where(self.connection(), "id = ?", id)?.ok_or(StoreError::LearnerNotFound)
    }

    /// The enrolled (or locked) identities of this mobile number, two at most: one identity per
    /// number is the journey's rule, so a second one exists only in a world whose learners
    /// enrolled before the rule, and then the caller must not choose between them.
    fn identities_of_mobile(&self, mobile: &str) -> Result<Vec<LearnerRow>, StoreError> {
        learners_where(
            self.connection(),
            "mobile = ? AND step IN ('enrolled', 'locked') ORDER BY id LIMIT 2",
            mobile,
        )
    }

    /// Whether a learner other than `learner_id` holds `mobile`: their identity was activated
    /// with it (enrolled, locked, or verifying again after a forgotten secret code — the
    /// number stays theirs). Read inside the unit of work that would take the number.
    fn mobile_held_by_another(&self, mobile: &str, learner_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT 1 FROM learners AS l WHERE l.mobile = ?1 AND l.id <> ?2 AND (l.step IN ('enrolled', 'locked') OR EXISTS (SELECT 1 FROM journal AS j WHERE j.learner_id = l.id AND j.action = 'activate' AND j.outcome = 'ok')) LIMIT 1",
            )?
            .query_row([mobile, learner_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The learner a login request belongs to.
    fn learner_of_login_request(&self, request_id: &str) -> Result<Option<LearnerRow>, StoreError> {
        learner_where(
            self.connection(),
            "id = (SELECT learner_id FROM login_requests WHERE request_id = ?)",
            request_id,
        )
    }

    /// The learner's next deadline (in their time) and their lead on the class clock, without
    /// loading their journey: most reads find nothing due.
    fn deadline_of(&self, id: &str) -> Result<(Option<DateTime<Utc>>, TimeDelta), StoreError> {
        let found: Option<(Option<String>, i64)> = self
            .connection()
            .prepare_cached("SELECT next_deadline, clock_offset_seconds FROM learners WHERE id = ?")?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        let (deadline, offset) = found.ok_or(StoreError::LearnerNotFound)?;
        Ok((
            deadline.as_deref().map(parse_time).transpose()?,
            TimeDelta::seconds(offset),
        ))
    }

    /// Learners with a deadline, with the lead of each on the class clock: those on the class
    /// clock only when their deadline has come at `class_now`, those ahead of it all (they are
    /// few, and compared in their own time by the caller).
    fn deadlines_due_by(
        &self,
        class_now: DateTime<Utc>,
    ) -> Result<Vec<(String, DateTime<Utc>, TimeDelta)>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT id, next_deadline, clock_offset_seconds FROM learners WHERE next_deadline IS NOT NULL AND (clock_offset_seconds <> 0 OR next_deadline <= ?)",
        )?;
        let rows = statement.query_map([class_now.to_rfc3339()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (id, deadline, offset) = row?;
            Ok((id, parse_time(&deadline)?, TimeDelta::seconds(offset)))
        })
        .collect()
    }

    fn learner_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .connection()
            .prepare_cached("SELECT COUNT(*) FROM learners")?
            .query_row([], |row| row.get(0))?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Every learner's journey and review policy, oldest first.
    fn all_learners(&self) -> Result<Vec<(String, Journey, ReviewPolicy)>, StoreError> {
        let mut statement = self
            .connection()
            .prepare_cached("SELECT id, journey, review_policy FROM learners ORDER BY created_at, id")?;
        let mut rows = statement.query([])?;
        let mut learners = Vec::new();
        while let Some(row) = rows.next()? {
            learners.push((
                row.get(0)?,
                from_json(text(row, 1)?, "journey")?,
                from_json(text(row, 2)?, "review policy")?,
            ));
        }
        Ok(learners)
    }

    /// The learners whose identification waits for review, the longest waiting first.
    fn learners_under_review(&self) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection()
            .prepare_cached("SELECT id FROM learners WHERE step = 'review' ORDER BY updated_at, id")?;
        let ids = statement.query_map([], |row| row.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Learners whose review desk setting differs from `desk`.
    fn learners_with_review_desk_other_than(&self, desk: bool) -> Result<Vec<String>, StoreError> {
        let mut statement = self
            .connection()
            .prepare_cached("SELECT id FROM learners WHERE review_desk <> ?")?;
        let ids = statement.query_map([desk], |row| row.get(0))?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// The learner waiting at the post office with this face-to-face code.
    fn learner_of_face_to_face_code(&self, code: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .connection()
            .prepare_cached("SELECT id FROM learners WHERE face_to_face_code = ?")?
            .query_row([code], |row| row.get(0))
            .optional()?)
    }

    /// Whether a learner has registered this mobile number (at any step).
    fn mobile_registered(&self, mobile: &str) -> Result<bool, StoreError> {
        Ok(self
            .connection()
            .prepare_cached("SELECT 1 FROM learners WHERE mobile = ? LIMIT 1")?
            .query_row([mobile], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The id of the learner a login request belongs to.
    fn learner_id_of_login_request(&self, request_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .connection()
            .prepare_cached("SELECT learner_id FROM login_requests WHERE request_id = ?")?
            .query_row([request_id], |row| row.get(0))
            .optional()?)
    }

    /// The accounts of an email, newest first, with their journeys.
    fn accounts_of_email(&self, email: &str) -> Result<Vec<(String, Journey)>, StoreError> {
        let mut statement = self
            .connection()
            .prepare_cached("SELECT id, journey FROM learners WHERE email = ? ORDER BY created_at DESC")?;
        let mut rows = statement.query([email])?;
        let mut accounts = Vec::new();
        while let Some(row) = rows.next()? {
            accounts.push((row.get(0)?, from_json(text(row, 1)?, "journey")?));
        }
        Ok(accounts)
    }
}

impl<T: Reads> LearnerReads for T {}

impl Tx<'_> {
    pub fn insert_learner(&self, new: NewLearnerRow<'_>) -> Result<(), StoreError> {
        self.0.execute(
            "INSERT INTO learners (id, created_at, updated_at, email, step, journey, review_policy, review_desk, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
            rusqlite::params![
                new.id,
                new.at.to_rfc3339(),
                new.at.to_rfc3339(),
                new.email,
                Step::NotStarted.code(),
                to_json(&Journey::default()),
                to_json(new.review_policy),
                new.review_desk,
            ],
        )?;
        Ok(())
    }

    /// Writes the learner row as `learner` now is (its `seq` already counting `line`), the
    /// journal line and the messages: the whole of one step.
    pub fn save_step(
        &self,
        learner: &LearnerRow,
        registered_mobile: Option<&str>,
        line: &JournalLine<'_>,
        messages: &[StoredMessage<'_>],
    ) -> Result<(), StoreError> {
        let at = line.at.to_rfc3339();
        let after = learner.journey.step();
        self.0.prepare_cached("UPDATE learners SET updated_at = ?, mobile = ?, step = ?, journey = ?, next_deadline = ?, face_to_face_code = ?, review_policy = ?, delivery_plan = ?, review_desk = ?, clock_offset_seconds = ?, seq = ? WHERE id = ?")?
            .execute(rusqlite::params![
                at,
                registered_mobile,
                after.code(),
                to_json(&learner.journey),
                learner.journey.next_deadline().map(|at| at.to_rfc3339()),
                learner.journey.face_to_face_code(),
                to_json(&learner.review_policy),
                to_json(&learner.delivery),
                learner.review_desk,
                learner.clock_offset.num_seconds(),
                learner.seq,
                learner.id,
            ])?;
        self.0.prepare_cached("INSERT INTO journal (learner_id, seq, at, recorded_at, actor, action, outcome, message, detail, step_before, step_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?
            .execute(rusqlite::params![
                learner.id,
                learner.seq,
                at,
                line.recorded_at.to_rfc3339(),
                line.actor,
                line.action,
                line.outcome,
                line.message,
                line.detail.map(to_json),
                line.step_before.code(),
                after.code(),
            ])?;
        for message in messages {
            self.0.prepare_cached("INSERT INTO inbox (learner_id, at, channel, sender, recipient, subject, body, link, folder, code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")?
                .execute(rusqlite::params![
                    learner.id,
                    at,
                    to_json(&message.channel).trim_matches('"'),
                    message.sender,
                    message.recipient,
                    message.subject,
                    message.body,
                    message.link,
                    message.folder,
                    message.code,
                ])?;
        }
        Ok(())
    }

    /// The lookup row of a login request opened in this unit of work.
    pub fn index_login_request(&self, request_id: &str, learner_id: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT INTO login_requests (request_id, learner_id) VALUES (?, ?)")?
            .execute((request_id, learner_id))?;
        Ok(())
    }
}
