//! The console's staff tables (migration 0004): accounts with their Argon2id hash, sessions kept
//! as the SHA-256 of their token, and the staff audit, which also counts failed sign-ins for the
//! sign-in's locks (per client address and account, and per account; a failed sign-in's line
//! holds the client's address as its detail). Session checks run on every console request: a
//! cached statement on a reader.

use super::{parse_time, text, Reads, StoreError, Tx};
use crate::console::Role;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;

/// What a sign-in checks a password against.
pub(crate) struct StaffCredentials {
    pub staff_id: String,
    pub role: Role,
    pub password_hash: String,
}

/// A staff member's session, found by the digest of its token.
pub(crate) struct StoredStaffSession {
    pub staff_id: String,
    pub email: String,
    pub role: Role,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// An account to create.
pub(crate) struct NewStaff<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub created_at: DateTime<Utc>,
}

/// A session to open.
pub(crate) struct NewStaffSession<'a> {
    pub token_sha256: &'a str,
    pub staff_id: &'a str,
    pub csrf_token: &'a str,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// One line of the staff audit: who did what to whom, in wall-clock time.
pub(crate) struct StaffAuditLine {
    pub at: DateTime<Utc>,
    pub staff_email: String,
    pub action: String,
    pub learner_id: Option<String>,
    pub detail: Option<String>,
}

/// The audit action of a failed sign-in, which the sign-in's locks count.
const LOGIN_FAILED: &str = "login_failed";

fn role(code: &str) -> Result<Role, StoreError> {
    Role::from_code(code).ok_or_else(|| StoreError::Corrupt(format!("staff role {code:?}")))
}

/// Reads of the staff tables.
pub(crate) trait StaffReads: Reads {
    /// The account of an address, compared in lower case.
    fn staff_credentials(&self, email_lowercase: &str) -> Result<Option<StaffCredentials>, StoreError> {
        let found = self
            .connection()
            .prepare_cached("SELECT id, role, password_hash FROM staff WHERE lower(email) = ?")?
            .query_row([email_lowercase], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get(2)?))
            })
            .optional()?;
        found
            .map(|(staff_id, code, password_hash)| {
                Ok(StaffCredentials {
                    staff_id,
                    role: role(&code)?,
                    password_hash,
                })
            })
            .transpose()
    }

    /// The session whose token has this digest, expired or not.
    fn staff_session(&self, token_sha256: &str) -> Result<Option<StoredStaffSession>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT s.staff_id, s.csrf_token, s.expires_at, staff.email, staff.role FROM staff_sessions s JOIN staff ON staff.id = s.staff_id WHERE s.token_sha256 = ?",
        )?;
        let mut rows = statement.query([token_sha256])?;
        let Some(row) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(StoredStaffSession {
            staff_id: row.get(0)?,
            csrf_token: row.get(1)?,
            expires_at: parse_time(text(row, 2)?)?,
            email: row.get(3)?,
            role: role(text(row, 4)?)?,
        }))
    }

    /// Failed sign-ins with this address after `since`, from every client.
    fn failed_sign_ins_since(&self, email: &str, since: DateTime<Utc>) -> Result<i64, StoreError> {
        Ok(self
            .connection()
            .prepare_cached(
                "SELECT COUNT(*) FROM staff_audit WHERE action = ? AND staff_email = ? AND at > ?",
            )?
            .query_row((LOGIN_FAILED, email, since.to_rfc3339()), |row| row.get(0))?)
    }

    /// When the latest `limit` failed sign-ins with this address from this client address after
    /// `since` happened, the latest first.
    fn failed_sign_ins_from(
        &self,
        email: &str,
        client: &str,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DateTime<Utc>>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT at FROM staff_audit WHERE action = ? AND staff_email = ? AND detail = ? AND at > ? ORDER BY at DESC LIMIT ?",
        )?;
        let mut rows = statement.query((LOGIN_FAILED, email, client, since.to_rfc3339(), limit))?;
        let mut times = Vec::new();
        while let Some(row) = rows.next()? {
            times.push(parse_time(text(row, 0)?)?);
        }
        Ok(times)
    }

    /// The last `limit` lines of the staff audit, the latest first.
    fn latest_staff_audit(&self, limit: u32) -> Result<Vec<StaffAuditLine>, StoreError> {
        let mut statement = self.connection().prepare_cached(
            "SELECT at, staff_email, action, learner_id, detail FROM staff_audit ORDER BY id DESC LIMIT ?",
        )?;
        let mut rows = statement.query([limit])?;
        let mut lines = Vec::new();
        while let Some(row) = rows.next()? {
            lines.push(StaffAuditLine {
                at: parse_time(text(row, 0)?)?,
                staff_email: row.get(1)?,
                action: row.get(2)?,
                learner_id: row.get(3)?,
                detail: row.get(4)?,
            });
        }
        Ok(lines)
    }
}

impl<T: Reads> StaffReads for T {}

impl Tx<'_> {
    /// Creates an account; `false` when the address already has one (nothing is changed).
    pub fn insert_staff(&self, new: &NewStaff<'_>) -> Result<bool, StoreError> {
        let inserted = self
            .0
            .prepare_cached(
                "INSERT INTO staff (id, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
            )?
            .execute((
                new.id,
                new.email,
                new.role.code(),
                new.password_hash,
                new.created_at.to_rfc3339(),
            ))?;
        Ok(inserted == 1)
    }

    /// Creates an account, or gives the existing one of the address this role and hash.
    pub fn upsert_staff(&self, new: &NewStaff<'_>) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO staff (id, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
            )?
            .execute((
                new.id,
                new.email,
                new.role.code(),
                new.password_hash,
                new.created_at.to_rfc3339(),
            ))?;
        Ok(())
    }

    /// Opens a session, deleting the sessions expired by its creation.
    pub fn open_staff_session(&self, new: &NewStaffSession<'_>) -> Result<(), StoreError> {
        let now = new.created_at.to_rfc3339();
        self.0
            .prepare_cached("DELETE FROM staff_sessions WHERE expires_at <= ?")?
            .execute([&now])?;
        self.0
            .prepare_cached(
                "INSERT INTO staff_sessions (token_sha256, staff_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            )?
            .execute((
                new.token_sha256,
                new.staff_id,
                new.csrf_token,
                now,
                new.expires_at.to_rfc3339(),
            ))?;
        Ok(())
    }

    pub fn delete_staff_session(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.0
            .prepare_cached("DELETE FROM staff_sessions WHERE token_sha256 = ?")?
            .execute([token_sha256])?;
        Ok(())
    }

    pub fn append_staff_audit(&self, line: &StaffAuditLine) -> Result<(), StoreError> {
        self.0
            .prepare_cached(
                "INSERT INTO staff_audit (at, staff_email, action, learner_id, detail) VALUES (?, ?, ?, ?, ?)",
            )?
            .execute((
                line.at.to_rfc3339(),
                &line.staff_email,
                &line.action,
                &line.learner_id,
                &line.detail,
            ))?;
        Ok(())
    }

    /// The audit line of a failed sign-in with this address, its client unknown: it counts
    /// towards the account's bound only. (The sign-in always knows its client; the store's own
    /// tests write one without.)
    #[cfg(test)]
    pub fn append_failed_sign_in(&self, email: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.append_staff_audit(&StaffAuditLine {
            at,
            staff_email: email.to_owned(),
            action: LOGIN_FAILED.to_owned(),
            learner_id: None,
            detail: None,
        })
    }

    /// The audit line of a failed sign-in with this address from this client address, which the
    /// sign-in's locks count (and trainers read on « Actions du personnel »).
    pub fn append_failed_sign_in_from(
        &self,
        email: &str,
        client: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.append_staff_audit(&StaffAuditLine {
            at,
            staff_email: email.to_owned(),
            action: LOGIN_FAILED.to_owned(),
            learner_id: None,
            detail: Some(client.to_owned()),
        })
    }
}

/// What the console's tests look at directly.
#[cfg(test)]
impl Tx<'_> {
    /// Moves the expiry of every session.
    pub fn expire_staff_sessions_at(&self, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.0
            .execute("UPDATE staff_sessions SET expires_at = ?", [at.to_rfc3339()])?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) trait StaffTestReads: Reads {
    fn staff_session_count(&self) -> Result<i64, StoreError> {
        Ok(self
            .connection()
            .query_row("SELECT COUNT(*) FROM staff_sessions", [], |row| row.get(0))?)
    }

    /// The CSRF token of the latest session of a staff member with this role.
    fn latest_csrf_token_of(&self, role: Role) -> Result<String, StoreError> {
        Ok(self.connection().query_row(
            "SELECT s.csrf_token FROM staff_sessions s JOIN staff ON staff.id = s.staff_id WHERE staff.role = ? ORDER BY s.created_at DESC LIMIT 1",
            [role.code()],
            |row| row.get(0),
        )?)
    }
}

#[cfg(test)]
impl<T: Reads> StaffTestReads for T {}
