//! The postal procedure's envelopes (`postal_requests`): each posted request as the journey
//! crate's `PostalRequest`, found by the SHA-256 of the token its browser holds, by its number
//! (the console), or by its registered letter's number (the clerk's desk).

use super::{from_json, parse_time, text, to_json, Reads, StoreError, Tx};
use chrono::{DateTime, Utc};
use idn_journey::postal_request::{PostalRequest, PostalStage};
use rusqlite::OptionalExtension;

/// A stored request and its number (the row's id, shown to staff as « n° 12 »).
pub(crate) struct PostalRow {
    pub number: i64,
    pub request: PostalRequest,
}

fn letter_number(request: &PostalRequest) -> Option<&str> {
    match &request.stage {
        PostalStage::LetterDelivered { letter_number, .. } | PostalStage::Validated { letter_number, .. } => {
            Some(letter_number)
        }
        PostalStage::Posted { .. } | PostalStage::Returned { .. } => None,
    }
}

fn row_of(row: &rusqlite::Row<'_>) -> Result<PostalRow, StoreError> {
    Ok(PostalRow {
        number: row.get(0)?,
        request: from_json(text(row, 1)?, "postal request")?,
    })
}

impl Tx<'_> {
    /// Records a posted envelope; returns its number.
    pub fn insert_postal_request(
        &self,
        token_sha256: &str,
        posted_at: DateTime<Utc>,
        request: &PostalRequest,
    ) -> Result<i64, StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO postal_requests (token_sha256, posted_at, request, next_deadline, letter_number) VALUES (?, ?, ?, ?, ?)",
            )?
            .execute(rusqlite::params![
                token_sha256,
                posted_at.to_rfc3339(),
                to_json(request),
                request.next_deadline().map(|at| at.to_rfc3339()),
                letter_number(request),
            ])?;
        Ok(self.0.last_insert_rowid())
    }

    /// Writes the request's new state (after time passed, or the clerk's validation).
    pub fn update_postal_request(&self, number: i64, request: &PostalRequest) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "UPDATE postal_requests SET request = ?, next_deadline = ?, letter_number = ? WHERE id = ?",
            )?
            .execute(rusqlite::params![
                to_json(request),
                request.next_deadline().map(|at| at.to_rfc3339()),
                letter_number(request),
                number,
            ])?;
        Ok(())
    }
}

/// Reads of the postal requests.
pub(crate) trait PostalReads: Reads {
    fn postal_request_by_token(&self, token_sha256: &str) -> Result<Option<PostalRow>, StoreError> {
        self.connection()
            .prepare_cached("SELECT id, request FROM postal_requests WHERE token_sha256 = ?")?
            .query_row([token_sha256], |row| Ok(row_of(row)))
            .optional()?
            .transpose()
    }

    fn postal_request_by_number(&self, number: i64) -> Result<Option<PostalRow>, StoreError> {
        self.connection()
            .prepare_cached("SELECT id, request FROM postal_requests WHERE id = ?")?
            .query_row([number], |row| Ok(row_of(row)))
            .optional()?
            .transpose()
    }

    fn postal_request_by_letter(&self, letter_number: &str) -> Result<Option<PostalRow>, StoreError> {
        self.connection()
            .prepare_cached("SELECT id, request FROM postal_requests WHERE letter_number = ?")?
            .query_row([letter_number], |row| Ok(row_of(row)))
            .optional()?
            .transpose()
    }

    /// Every request, newest first, for the console.
    fn postal_requests(&self) -> Result<Vec<PostalRow>, StoreError> {
        let mut statement = self
            .connection()
            .prepare_cached("SELECT id, request FROM postal_requests ORDER BY id DESC")?;
        let mut rows = statement.query([])?;
        let mut all = Vec::new();
        while let Some(row) = rows.next()? {
            all.push(row_of(row)?);
        }
        Ok(all)
    }

    /// The numbers of the requests whose answer is due by `now`.
    fn postal_requests_due_by(&self, now: DateTime<Utc>) -> Result<Vec<i64>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT id, next_deadline FROM postal_requests WHERE next_deadline IS NOT NULL",
        )?;
        let mut rows = statement.query([])?;
        let mut due = Vec::new();
        while let Some(row) = rows.next()? {
            if parse_time(text(row, 1)?)? <= now {
                due.push(row.get(0)?);
            }
        }
        Ok(due)
    }
}

impl<T: Reads> PostalReads for T {}
