//! What the console shows staff beyond a learner's own view: the messages the providers withheld
//! from them, the files they sent.

use super::{parse_time, text, Reads, StoreError};
use chrono::{DateTime, Utc};

/// A message the providers never delivered (hidden from the person, shown to staff).
pub(crate) struct WithheldMessage {
    pub at: DateTime<Utc>,
    pub subject: String,
}

/// An upload, without its bytes.
pub(crate) struct MediaListing {
    pub media_id: String,
    pub content_type: String,
    pub created_at: DateTime<Utc>,
    pub size: u64,
}

/// Reads for the console's learner list and learner page.
pub(crate) trait OversightReads: Reads {
    /// The learner's withheld messages, in the order they were sent.
    fn withheld_messages(&self, learner_id: &str) -> Result<Vec<WithheldMessage>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT at, subject FROM inbox WHERE learner_id = ? AND folder = 'withheld' ORDER BY id",
        )?;
        let mut rows = statement.query([learner_id])?;
        let mut messages = Vec::new();
        while let Some(row) = rows.next()? {
            messages.push(WithheldMessage {
                at: parse_time(text(row, 0)?)?,
                subject: row.get(1)?,
            });
        }
        Ok(messages)
    }

    /// The learner's uploads, the oldest first.
    fn media_of(&self, learner_id: &str) -> Result<Vec<MediaListing>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT id, content_type, created_at, size FROM media WHERE learner_id = ? ORDER BY created_at, id",
        )?;
        let mut rows = statement.query([learner_id])?;
        let mut media = Vec::new();
        while let Some(row) = rows.next()? {
            media.push(MediaListing {
                media_id: row.get(0)?,
                content_type: row.get(1)?,
                created_at: parse_time(text(row, 2)?)?,
                size: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
            });
        }
        Ok(media)
    }
}

impl<T: Reads> OversightReads for T {}
