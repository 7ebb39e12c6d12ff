//! A learner's journal as stored: each line's outcome, steps and typed detail (the French
//! sentence is rendered from the detail by the world when read), and the one-time upgrade of
//! lines written before details were stored as data.

use super::{from_json, parse_time, text, to_json, Reads, StoreError};
use crate::api::{JournalDetail, JournalEntry, Step};

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
                step_before: stored_step(text(row, 7)?)?,
                step_after: stored_step(text(row, 8)?)?,
            });
        }
        Ok(entries)
    }
}

impl<T: Reads> JournalReads for T {}

fn stored_step(code: &str) -> Result<Step, StoreError> {
    Step::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("step {code:?}")))
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    /// A database written before journal details were data: its lines keep their order and
    /// outcome, the plan and the clerk's refusal become details (their sentence no longer
    /// stored), and a sentence that does not render back stays prose.
    #[tokio::test]
    async fn an_old_database_migrates_forward_with_its_details() {
        let dir = tempfile::tempdir().unwrap();
        drop(Store::open(dir.path()).await.unwrap());
        let old_lines = [
            (
                "plan_delivery",
                "« email_code » : dans les courriers indésirables (1 fois)",
            ),
            (
                "clerk_refuse",
                "Validation refusée au guichet (piece_expiree) : pièce expirée. Le code reste valable.",
            ),
            ("plan_review", "Une phrase qu'aucune version n'a écrite."),
        ];
        {
            let connection = rusqlite::Connection::open(super::super::database_path(dir.path())).unwrap();
            connection
                .execute(
                    "INSERT INTO learners (id, created_at, updated_at, email, step, journey, review_policy, seq) VALUES ('ancien', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'a@simulation.example', 'face_to_face', '{}', '{\"review\":\"automatic\"}', 3)",
                    [],
                )
                .unwrap();
            for (seq, (action, message)) in old_lines.iter().enumerate() {
                connection
                    .execute(
                        "INSERT INTO journal (learner_id, seq, at, recorded_at, actor, action, outcome, message, step_before, step_after) VALUES ('ancien', ?, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'formateur', ?, 'ok', ?, 'face_to_face', 'face_to_face')",
                        rusqlite::params![seq as i64 + 1, action, message],
                    )
                    .unwrap();
            }
        }
        let store = Store::open(dir.path()).await.unwrap();
        let journal = store.read().await.journal("ancien").unwrap();
        assert_eq!(journal.len(), 3);
        assert!(matches!(
            &journal[0].detail,
            Some(JournalDetail::DeliveryPlanned { faults }) if faults.len() == 1 && faults[0].message == "email_code"
        ));
        assert_eq!(
            journal[0].message, None,
            "the sentence is rendered from the detail now"
        );
        assert_eq!(
            journal[1].detail,
            Some(JournalDetail::ClerkRefused {
                reason: "piece_expiree".into()
            })
        );
        assert_eq!(journal[2].detail, None);
        assert_eq!(journal[2].message.as_deref(), Some(old_lines[2].1));
    }
}
