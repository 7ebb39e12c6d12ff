//! A learner's journal as stored: each line's outcome, steps and typed detail (the French
//! sentence is rendered from the detail by the world when read), and the one-time upgrade of
//! lines written before details were stored as data.

use super::{from_json, parse_time, text, to_json, Reads, StoreError};
use crate::api::{JournalDetail, JournalEntry};

/// Reads of the journal.
pub(crate) trait JournalReads: Reads {
    /// The learner's journal, in order; `message` is as stored (a refusal's French message, or
    /// an old line's sentence that could not be read back as a detail).
    fn journal(&self, learner_id: &str) -> Result<Vec<JournalEntry>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT seq, at, actor, action, outcome, message, detail, step_before, step_after FROM journal WHERE learner_id = ? ORDER BY seq",
        )?;
        let mut rows = statement.query([learner_id])?;
        let mut entries = Vec::new();
        while let Some(row) = rows.next()? {
            let detail: Option<String> = row.get(6)?;
            entries.push(JournalEntry {
                seq: row.get(0)?,
                at: parse_time(text(row, 1)?)?,
                actor: row.get(2)?,
                action: row.get(3)?,
                outcome: row.get(4)?,
                message: row.get(5)?,
                detail: detail
                    .as_deref()
                    .map(|detail| from_json::<JournalDetail>(detail, "journal detail"))
                    .transpose()?,
                step_before: row.get(7)?,
                step_after: row.get(8)?,
            });
        }
        Ok(entries)
    }
}

impl<T: Reads> JournalReads for T {}

/// Lines journaled before details were data (migration 0006) get their detail once, read back
/// from their French sentence when it renders back to the same text; the others keep their prose.
pub(super) fn give_old_lines_their_detail(writer: &mut rusqlite::Connection) -> Result<(), StoreError> {
    let tx = super::connection::begin_write(writer)?;
    let old: Vec<(String, i64, String, String)> = tx
        .prepare("SELECT learner_id, seq, action, message FROM journal WHERE detail IS NULL AND outcome = 'ok' AND message IS NOT NULL")?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (learner, seq, action, message) in old {
        if let Some(detail) = crate::journal_detail::from_legacy_sentence(&action, &message) {
            tx.execute(
                "UPDATE journal SET detail = ?, message = NULL WHERE learner_id = ? AND seq = ?",
                rusqlite::params![to_json(&detail), learner, seq],
            )?;
        }
    }
    tx.commit()?;
    Ok(())
}
