//! The inbox of emails, SMS and letters as the person sees it (withheld messages are the
//! providers' secret: counted for the support agent, never shown).

use super::{from_json, parse_time, text, Reads, StoreError};
use crate::api::InboxMessage;

/// Reads of the inbox.
pub(crate) trait InboxReads: Reads {
    fn inbox(&self, learner_id: &str) -> Result<Vec<InboxMessage>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT id, at, channel, sender, recipient, subject, body, link, folder, code FROM inbox WHERE learner_id = ? AND folder <> 'withheld' ORDER BY id",
        )?;
        let mut rows = statement.query([learner_id])?;
        let mut messages = Vec::new();
        while let Some(row) = rows.next()? {
            let link: Option<String> = row.get(7)?;
            messages.push(InboxMessage {
                id: row.get(0)?,
                at: parse_time(text(row, 1)?)?,
                channel: from_json(&format!("\"{}\"", text(row, 2)?), "channel")?,
                sender: row.get(3)?,
                recipient: row.get(4)?,
                subject: row.get(5)?,
                body: row.get(6)?,
                action: link.as_deref().and_then(crate::catalogue::action_of_link),
                link,
                folder: row.get(8)?,
                code: row.get(9)?,
            });
        }
        Ok(messages)
    }

    /// How many of the learner's messages the providers never delivered.
    fn withheld_count(&self, learner_id: &str) -> Result<u32, StoreError> {
        let count: i64 = self
            .connection()
            .prepare_cached("SELECT COUNT(*) FROM inbox WHERE learner_id = ? AND folder = 'withheld'")?
            .query_row([learner_id], |row| row.get(0))?;
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }
}

impl<T: Reads> InboxReads for T {}
