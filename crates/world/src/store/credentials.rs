//! Credentials of the world's API (migration 0007): a learner's (account, activated phone, sign-in
//! ticket) and the staff's API tokens, found by the SHA-256 of their token. The lookup runs on
//! every API request: a cached statement on a reader, and no write per request.

use super::{parse_time, text, Reads, StoreError, Tx};
use crate::api::CredentialKind;
use crate::console::Role;
use chrono::{DateTime, Utc};

/// A learner's credential as stored (expired or revoked ones included, to say why).
pub(crate) struct StoredLearnerCredential {
    pub learner_id: String,
    pub kind: CredentialKind,
    pub device_id: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Why it was ended, when it was (a stable code, see `access::RevokedBecause`).
    pub revoked_reason: Option<String>,
}

/// A credential to keep.
pub(crate) struct NewLearnerCredential<'a> {
    pub token_sha256: &'a str,
    pub id: &'a str,
    pub learner_id: &'a str,
    pub kind: CredentialKind,
    pub device_id: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A staff API token as stored, with its owner's current account.
pub(crate) struct StoredApiToken {
    pub id: String,
    pub staff_id: String,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    pub revoked: bool,
}

/// A token to keep.
pub(crate) struct NewApiToken<'a> {
    pub token_sha256: &'a str,
    pub id: &'a str,
    pub staff_id: &'a str,
    pub label: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A token as listed (never its secret).
pub(crate) struct ApiTokenRow {
    pub id: String,
    pub staff_email: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn kind_code(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Account => "account",
        CredentialKind::Device => "device",
        CredentialKind::SignIn => "sign_in",
    }
}

fn kind(code: &str) -> Result<CredentialKind, StoreError> {
    match code {
        "account" => Ok(CredentialKind::Account),
        "device" => Ok(CredentialKind::Device),
        "sign_in" => Ok(CredentialKind::SignIn),
        other => Err(StoreError::Corrupt(format!("credential kind {other:?}"))),
    }
}

fn optional_time(row: &rusqlite::Row<'_>, index: usize) -> Result<Option<DateTime<Utc>>, StoreError> {
    row.get::<_, Option<String>>(index)?
        .map(|at| parse_time(&at))
        .transpose()
}

/// Reads of the credential tables.
pub(crate) trait CredentialReads: Reads {
    fn learner_credential(&self, token_sha256: &str) -> Result<Option<StoredLearnerCredential>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT learner_id, kind, device_id, expires_at, revoked_reason FROM learner_credentials WHERE token_sha256 = ?",
        )?;
        let mut rows = statement.query([token_sha256])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(StoredLearnerCredential {
            learner_id: row.get(0)?,
            kind: kind(text(row, 1)?)?,
            device_id: row.get(2)?,
            expires_at: parse_time(text(row, 3)?)?,
            revoked_reason: row.get(4)?,
        }))
    }

    fn api_token(&self, token_sha256: &str) -> Result<Option<StoredApiToken>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT t.id, t.staff_id, t.expires_at, t.revoked_at IS NOT NULL, staff.email, staff.role FROM api_tokens t JOIN staff ON staff.id = t.staff_id WHERE t.token_sha256 = ?",
        )?;
        let mut rows = statement.query([token_sha256])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        let role_code = text(row, 5)?;
        Ok(Some(StoredApiToken {
            id: row.get(0)?,
            staff_id: row.get(1)?,
            expires_at: parse_time(text(row, 2)?)?,
            revoked: row.get(3)?,
            email: row.get(4)?,
            role: Role::from_code(role_code)
                .ok_or_else(|| StoreError::Corrupt(format!("staff role {role_code:?}")))?,
        }))
    }

    /// Every staff API token, the newest first.
    fn api_tokens(&self) -> Result<Vec<ApiTokenRow>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT t.id, staff.email, t.label, t.created_at, t.expires_at, t.revoked_at FROM api_tokens t JOIN staff ON staff.id = t.staff_id ORDER BY t.created_at DESC, t.id",
        )?;
        let mut rows = statement.query([])?;
        let mut tokens = Vec::new();
        while let Some(row) = rows.next()? {
            tokens.push(ApiTokenRow {
                id: row.get(0)?,
                staff_email: row.get(1)?,
                label: row.get(2)?,
                created_at: parse_time(text(row, 3)?)?,
                expires_at: parse_time(text(row, 4)?)?,
                revoked_at: optional_time(row, 5)?,
            });
        }
        Ok(tokens)
    }
}

impl<R: Reads> CredentialReads for R {}

impl Tx<'_> {
    pub fn insert_learner_credential(&self, new: &NewLearnerCredential<'_>) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO learner_credentials (token_sha256, id, learner_id, kind, device_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )?
            .execute((
                new.token_sha256,
                new.id,
                new.learner_id,
                kind_code(new.kind),
                new.device_id,
                new.created_at.to_rfc3339(),
                new.expires_at.to_rfc3339(),
            ))?;
        Ok(())
    }

    /// Ends the learner's live credentials of these kinds (all but `except`), saying why.
    /// Returns how many ended.
    pub fn revoke_learner_credentials(
        &self,
        learner_id: &str,
        kinds: &[CredentialKind],
        except_sha256: Option<&str>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let mut ended = 0;
        for kind in kinds {
            ended += self
                .0
                .prepare_cached(
                    "UPDATE learner_credentials SET revoked_at = ?, revoked_reason = ? WHERE learner_id = ? AND kind = ? AND revoked_at IS NULL AND token_sha256 IS NOT ?",
                )?
                .execute((at.to_rfc3339(), reason, learner_id, kind_code(*kind), except_sha256))?;
        }
        Ok(ended)
    }

    /// Ends one credential; `false` when it was already ended or unknown.
    pub fn revoke_learner_credential(
        &self,
        token_sha256: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached(
                "UPDATE learner_credentials SET revoked_at = ?, revoked_reason = ? WHERE token_sha256 = ? AND revoked_at IS NULL",
            )?
            .execute((at.to_rfc3339(), reason, token_sha256))?
            == 1)
    }

    /// Forgets credentials that ended (expired or revoked) before `before`: until then a client
    /// is told why its credential stopped working.
    pub fn delete_credentials_ended_before(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let before = before.to_rfc3339();
        Ok(self
            .0
            .prepare_cached("DELETE FROM learner_credentials WHERE expires_at < ?1 OR revoked_at < ?1")?
            .execute([&before])?)
    }

    pub fn insert_api_token(&self, new: &NewApiToken<'_>) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO api_tokens (token_sha256, id, staff_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            )?
            .execute((
                new.token_sha256,
                new.id,
                new.staff_id,
                new.label,
                new.created_at.to_rfc3339(),
                new.expires_at.to_rfc3339(),
            ))?;
        Ok(())
    }

    /// Ends a staff API token by its id; `false` when there is no live token with that id.
    pub fn revoke_api_token(&self, id: &str, at: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self
            .0
            .prepare_cached("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")?
            .execute((at.to_rfc3339(), id))?
            == 1)
    }
}
