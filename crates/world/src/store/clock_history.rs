//! The class clock's history (every change, who made it, the time before and after) and the
//! question a move back asks: how late each learner's journal already goes.

use super::{from_json, parse_time, text, to_json, Reads, StoreError, Tx};
use crate::api::{ClockChange, ClockChangeKind, ClockMode};
use chrono::{DateTime, TimeDelta, Utc};

/// A change of the class clock, as written in the unit of work that makes it.
pub(crate) struct NewClockChange<'a> {
    pub recorded_at: DateTime<Utc>,
    pub kind: ClockChangeKind,
    pub before: DateTime<Utc>,
    pub after: DateTime<Utc>,
    pub mode: ClockMode,
    pub by: Option<&'a str>,
    pub learners_kept: u64,
}

/// One learner's lead on the class clock and the time of their latest journal line.
pub(crate) struct LearnerLatest {
    pub id: String,
    pub offset: TimeDelta,
    pub latest: DateTime<Utc>,
}

fn kind_code(kind: ClockChangeKind) -> &'static str {
    match kind {
        ClockChangeKind::Advance => "advance",
        ClockChangeKind::Set => "set",
        ClockChangeKind::Rewind => "rewind",
        ClockChangeKind::RealTime => "real_time",
    }
}

fn kind_of(code: &str) -> Result<ClockChangeKind, StoreError> {
    Ok(match code {
        "advance" => ClockChangeKind::Advance,
        "set" => ClockChangeKind::Set,
        "rewind" => ClockChangeKind::Rewind,
        "real_time" => ClockChangeKind::RealTime,
        other => return Err(StoreError::Corrupt(format!("clock change kind {other:?}"))),
    })
}

impl Tx<'_> {
    pub fn append_clock_change(&self, change: &NewClockChange<'_>) -> Result<(), StoreError> {
        self.0
            .prepare_cached("INSERT INTO clock_history (recorded_at, kind, before_at, after_at, clock_mode, staff_email, learners_kept) VALUES (?, ?, ?, ?, ?, ?, ?)")?
            .execute(rusqlite::params![
                change.recorded_at.to_rfc3339(),
                kind_code(change.kind),
                change.before.to_rfc3339(),
                change.after.to_rfc3339(),
                to_json(&change.mode),
                change.by,
                i64::try_from(change.learners_kept).unwrap_or(i64::MAX),
            ])?;
        Ok(())
    }
}

/// Reads of the clock's history.
pub(crate) trait ClockHistoryReads: Reads {
    /// The latest `limit` changes, newest first.
    fn clock_history(&self, limit: u32) -> Result<Vec<ClockChange>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT recorded_at, kind, before_at, after_at, clock_mode, staff_email, learners_kept FROM clock_history ORDER BY id DESC LIMIT ?",
        )?;
        let mut rows = statement.query([limit])?;
        let mut changes = Vec::new();
        while let Some(row) = rows.next()? {
            changes.push(ClockChange {
                recorded_at: parse_time(text(row, 0)?)?,
                kind: kind_of(text(row, 1)?)?,
                before: parse_time(text(row, 2)?)?,
                after: parse_time(text(row, 3)?)?,
                mode: from_json(text(row, 4)?, "clock mode")?,
                by: row.get(5)?,
                learners_kept: u64::try_from(row.get::<_, i64>(6)?).unwrap_or_default(),
            });
        }
        Ok(changes)
    }

    /// Every learner with a journal, their lead on the class clock and the time of their last
    /// line. A learner's journal is in time order (their time never goes back), so the line
    /// with the highest number is the latest.
    fn learners_latest_lines(&self) -> Result<Vec<LearnerLatest>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT l.id, l.clock_offset_seconds, j.at FROM learners AS l JOIN journal AS j ON j.learner_id = l.id AND j.seq = (SELECT MAX(seq) FROM journal WHERE learner_id = l.id)",
        )?;
        let mut rows = statement.query([])?;
        let mut latest = Vec::new();
        while let Some(row) = rows.next()? {
            latest.push(LearnerLatest {
                id: row.get(0)?,
                offset: TimeDelta::seconds(row.get(1)?),
                latest: parse_time(text(row, 2)?)?,
            });
        }
        Ok(latest)
    }
}

impl<T: Reads> ClockHistoryReads for T {}
