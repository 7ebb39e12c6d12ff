//! Uploaded photos and videos. Their bytes (up to 64 MB) are written and read on a blocking
//! thread, never on an async worker.

use super::{from_json, to_json, Store, StoreError};
use crate::api::MediaKind;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

/// An upload, checked, to keep.
pub(crate) struct NewMedia {
    pub id: String,
    pub learner_id: String,
    pub kind: MediaKind,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Keeps an upload (the same id again is the same file: kept once). `LearnerNotFound` when
    /// the learner does not exist.
    pub async fn insert_media(&self, media: NewMedia) -> Result<(), StoreError> {
        self.write_blocking(move |tx| {
            let exists = tx
                .query_row("SELECT 1 FROM learners WHERE id = ?", [&media.learner_id], |_| Ok(()))
                .optional()?;
            if exists.is_none() {
                return Err(StoreError::LearnerNotFound);
            }
            tx.execute(
                "INSERT OR IGNORE INTO media (id, learner_id, kind, content_type, sha256, size, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rusqlite::params![
                    media.id,
                    media.learner_id,
                    to_json(&media.kind),
                    media.content_type,
                    media.sha256,
                    media.bytes.len() as i64,
                    media.bytes,
                    media.at.to_rfc3339(),
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// The kind and checksum of one of the learner's uploads.
    pub async fn media_meta(
        &self,
        learner_id: &str,
        media_id: &str,
    ) -> Result<Option<(MediaKind, String)>, StoreError> {
        let reader = self.read().await;
        let found: Option<(String, String)> = reader
            .0
            .prepare_cached("SELECT kind, sha256 FROM media WHERE id = ? AND learner_id = ?")?
            .query_row([media_id, learner_id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        found
            .map(|(kind, sha256)| Ok((from_json(&kind, "media kind")?, sha256)))
            .transpose()
    }

    /// The content type and bytes of one of the learner's uploads.
    pub async fn media_content(
        &self,
        learner_id: &str,
        media_id: &str,
    ) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let (learner_id, media_id) = (learner_id.to_owned(), media_id.to_owned());
        self.read_blocking(move |connection| {
            Ok(connection
                .query_row(
                    "SELECT content_type, bytes FROM media WHERE id = ? AND learner_id = ?",
                    [&media_id, &learner_id],
                    |row| Ok((row.get(0)?, row.get(1)?)),
                )
                .optional()?)
        })
        .await
    }
}
