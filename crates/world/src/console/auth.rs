//! Staff accounts and sessions of the console: roles, Argon2id password hashes, sign-in throttled
//! per address, sessions stored as the SHA-256 of their token with an absolute expiry in
//! wall-clock time, the per-session CSRF token every form and desk call carries, and the staff
//! audit (one line per action, never dropped silently).

use super::Refusal;
use crate::{World, WorldError};
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::account::Email;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// How long a session lasts after sign-in, whatever is done with it.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(8);
/// Shortest staff password: longer than a learner's, since a staff session sees every learner.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Failed sign-ins tolerated per address within [`THROTTLE_WINDOW`], whichever sign-in (form or
/// JSON) they went through.
const MAX_LOGIN_FAILURES: i64 = 5;
const THROTTLE_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// What a staff member may do in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Runs a class: everything, including the clock and the review mode.
    Trainer,
    /// Reproduces what a user reports: reads learners, their journal, inbox and media.
    SupportAgent,
    /// Plays AR24's reviewer at the review desk.
    Reviewer,
    /// Plays the post-office clerk at the face-to-face desk.
    Clerk,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Trainer, Role::SupportAgent, Role::Reviewer, Role::Clerk];

    pub fn code(self) -> &'static str {
        match self {
            Self::Trainer => "formateur",
            Self::SupportAgent => "agent_support",
            Self::Reviewer => "relecteur",
            Self::Clerk => "guichetier",
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Trainer => "Formateur ou formatrice",
            Self::SupportAgent => "Agent de support",
            Self::Reviewer => "Relecteur AR24",
            Self::Clerk => "Guichetier de La Poste",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.code() == code)
    }
}

/// A signed-in staff member, as the console's handlers receive them.
#[derive(Debug, Clone)]
pub struct StaffSession {
    pub staff_id: String,
    pub email: String,
    pub role: Role,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Argon2id with the crate's default parameters and a salt from the OS (a PHC string).
pub fn hash_password(password: &str) -> Result<String, WorldError> {
    hash_with(&argon2::Argon2::default(), password)
}

/// Argon2id at its lowest cost, for a secret that is already 256 random bits (the scenario
/// engine's): stretching protects nothing there, and this hash is made at every world start.
/// [`verify_password`] reads the cost from the PHC string, so the check is as cheap.
fn hash_random_secret(secret: &str) -> Result<String, WorldError> {
    let params = argon2::Params::new(argon2::Params::MIN_M_COST, 1, 1, None)
        .map_err(|error| WorldError::Corrupt(format!("password hashing: {error}")))?;
    let argon2 = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    hash_with(&argon2, secret)
}

fn hash_with(argon2: &argon2::Argon2<'_>, password: &str) -> Result<String, WorldError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| WorldError::Corrupt(format!("password hashing: {error}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// Creates a staff account (`idn staff add`). There is no default account and no default
/// password: the first trainer is created this way, from the machine running the world.
pub async fn add_staff(world: &World, email: &str, role: Role, password: &str) -> Result<String, WorldError> {
    let email = Email::parse(email)?;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(WorldError::bad_request(
            "staff_password_too_short",
            format!(
                "Le mot de passe d'un compte du personnel compte au moins {MIN_PASSWORD_CHARS} caractères."
            ),
        ));
    }
    let hash = hash_password(password)?;
    let id = uuid::Uuid::new_v4().to_string();
    let inserted = sqlx::query(
        "INSERT INTO staff (id, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&id)
    .bind(email.as_str())
    .bind(role.code())
    .bind(hash)
    .bind(world.wall_now().to_rfc3339())
    .execute(world.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(WorldError::bad_request(
            "staff_exists",
            "Un compte du personnel existe déjà avec cette adresse.",
        ));
    }
    Ok(id)
}

/// The console account of the scenario engine: the address under which its desk decisions (a
/// review, a clerk's decision, a learner put on the review desk) show in the staff audit, so that
/// they are never mistaken for a person's.
pub const SCENARIO_ENGINE_EMAIL: &str = "moteur-de-scenarios@simulation.example";

/// How the scenario engine signs in to the console, as a person would (sign-in form, cookie,
/// CSRF token). The password lives only in the process that started the world.
#[derive(Clone)]
pub struct EngineAccount {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for EngineAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineAccount")
            .field("email", &self.email)
            .field("password", &"***")
            .finish()
    }
}

/// Creates the scenario engine's account (a trainer: it puts a learner on the review desk,
/// reviews and plays the clerk), or gives it a new password when it exists: each start of a
/// world's composition root gets a fresh password that nobody else knows.
pub async fn scenario_engine_account(world: &World) -> Result<EngineAccount, WorldError> {
    let password = random_hex();
    let hash = hash_random_secret(&password)?;
    sqlx::query(
        "INSERT INTO staff (id, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash, role = excluded.role",
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(SCENARIO_ENGINE_EMAIL)
    .bind(Role::Trainer.code())
    .bind(hash)
    .bind(world.wall_now().to_rfc3339())
    .execute(world.pool())
    .await?;
    Ok(EngineAccount {
        email: SCENARIO_ENGINE_EMAIL.to_owned(),
        password,
    })
}

/// A hash to check against when the email is unknown, so that a wrong email and a wrong
/// password take the same time.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password never used").expect("hashing works"))
}

/// Checks the credentials and opens a session; returns the cookie's token and the session.
pub async fn sign_in(
    world: &World,
    email: &str,
    password: &str,
) -> Result<Option<(String, StaffSession)>, WorldError> {
    let email = email.trim().to_lowercase();
    let row = sqlx::query("SELECT id, role, password_hash FROM staff WHERE lower(email) = ?")
        .bind(&email)
        .fetch_optional(world.pool())
        .await?;
    let Some(row) = row else {
        let _ = verify_password(password, decoy_hash());
        return Ok(None);
    };
    let hash: String = row.get("password_hash");
    if !verify_password(password, &hash) {
        return Ok(None);
    }
    let role =
        Role::from_code(row.get("role")).ok_or_else(|| WorldError::Corrupt("unknown staff role".into()))?;
    let token = random_hex();
    let now = world.wall_now();
    let session = StaffSession {
        staff_id: row.get("id"),
        email,
        role,
        csrf_token: random_hex(),
        expires_at: now + SESSION_LIFETIME,
    };
    sqlx::query("DELETE FROM staff_sessions WHERE expires_at <= ?")
        .bind(now.to_rfc3339())
        .execute(world.pool())
        .await?;
    sqlx::query(
        "INSERT INTO staff_sessions (token_sha256, staff_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(digest(&token))
    .bind(&session.staff_id)
    .bind(&session.csrf_token)
    .bind(now.to_rfc3339())
    .bind(session.expires_at.to_rfc3339())
    .execute(world.pool())
    .await?;
    Ok(Some((token, session)))
}

async fn recent_failures(world: &World, email: &str) -> Result<i64, WorldError> {
    let since = world.wall_now() - THROTTLE_WINDOW;
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM staff_audit WHERE action = 'login_failed' AND staff_email = ? AND at > ?",
    )
    .bind(email)
    .bind(since.to_rfc3339())
    .fetch_one(world.pool())
    .await?)
}

/// The one sign-in of the console's form and its JSON API: throttled per address, each failure
/// and success audited. Returns the cookie's token and the session, or why it is refused.
pub(super) async fn open_session(
    world: &World,
    email: &str,
    password: &str,
) -> Result<Result<(String, StaffSession), Refusal>, WorldError> {
    let email = email.trim().to_lowercase();
    if recent_failures(world, &email).await? >= MAX_LOGIN_FAILURES {
        return Ok(Err(Refusal::Throttled));
    }
    match sign_in(world, &email, password).await? {
        Some((token, session)) => {
            audit_done(world, &session, "login", None, None).await;
            Ok(Ok((token, session)))
        }
        None => {
            let failed = sqlx::query(
                "INSERT INTO staff_audit (at, staff_email, action) VALUES (?, ?, 'login_failed')",
            )
            .bind(world.wall_now().to_rfc3339())
            .bind(&email)
            .execute(world.pool())
            .await;
            if let Err(error) = failed {
                // Without its line, this failure does not count towards the throttle.
                tracing::error!(%error, "a failed staff sign-in could not be audited");
            }
            Ok(Err(Refusal::WrongCredentials))
        }
    }
}

/// « Se déconnecter », from the form or the JSON API: the session is deleted, then audited.
pub(super) async fn close_session(
    world: &World,
    session: &StaffSession,
    token: Option<&str>,
) -> Result<(), WorldError> {
    if let Some(token) = token {
        sign_out(world, token).await?;
    }
    audit_done(world, session, "logout", None, None).await;
    Ok(())
}

/// The live session behind a cookie's token, if any (an expired one is gone).
pub async fn session(world: &World, token: &str) -> Result<Option<StaffSession>, WorldError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT s.staff_id, s.csrf_token, s.expires_at, staff.email, staff.role FROM staff_sessions s JOIN staff ON staff.id = s.staff_id WHERE s.token_sha256 = ?",
    )
    .bind(digest(token))
    .fetch_optional(world.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let expires_at = DateTime::parse_from_rfc3339(row.get("expires_at"))
        .map_err(|error| WorldError::Corrupt(format!("session expiry: {error}")))?
        .to_utc();
    if expires_at <= world.wall_now() {
        sign_out(world, token).await?;
        return Ok(None);
    }
    let Some(role) = Role::from_code(row.get("role")) else {
        return Ok(None);
    };
    Ok(Some(StaffSession {
        staff_id: row.get("staff_id"),
        email: row.get("email"),
        role,
        csrf_token: row.get("csrf_token"),
        expires_at,
    }))
}

pub async fn sign_out(world: &World, token: &str) -> Result<(), WorldError> {
    sqlx::query("DELETE FROM staff_sessions WHERE token_sha256 = ?")
        .bind(digest(token))
        .execute(world.pool())
        .await?;
    Ok(())
}

/// One line of the staff audit: who did what to whom.
pub async fn audit(
    world: &World,
    staff: &StaffSession,
    action: &str,
    learner_id: Option<&str>,
    detail: Option<&str>,
) -> Result<(), WorldError> {
    sqlx::query(
        "INSERT INTO staff_audit (at, staff_email, action, learner_id, detail) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(world.wall_now().to_rfc3339())
    .bind(&staff.email)
    .bind(action)
    .bind(learner_id)
    .bind(detail)
    .execute(world.pool())
    .await?;
    Ok(())
}

/// The audit line of an action already done. The action stands whether or not its line is
/// written, so a failure is no reason to report the action failed: it is logged as an error.
pub async fn audit_done(
    world: &World,
    staff: &StaffSession,
    action: &str,
    learner_id: Option<&str>,
    detail: Option<&str>,
) {
    if let Err(error) = audit(world, staff, action, learner_id, detail).await {
        tracing::error!(%error, action, staff = %staff.email, learner_id, "a staff action could not be audited");
    }
}

/// A fresh random token (login form's double-submit cookie).
pub fn fresh_token() -> String {
    random_hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_stored_as_salted_argon2id_and_only_the_right_one_verifies() {
        let first = hash_password("correct horse battery").unwrap();
        let second = hash_password("correct horse battery").unwrap();
        assert!(
            first.starts_with("$argon2id$"),
            "a PHC string of Argon2id: {first}"
        );
        assert_ne!(first, second, "each hash has its own salt");
        assert!(
            !first.contains("correct horse"),
            "the password never appears in the hash"
        );
        assert!(verify_password("correct horse battery", &first));
        assert!(!verify_password("correct horse batterY", &first));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn the_engines_random_secret_is_hashed_cheaply_and_still_only_it_verifies() {
        let secret = random_hex();
        let hash = hash_random_secret(&secret).unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(hash.contains("m=8,t=1,p=1"), "the lowest cost: {hash}");
        assert!(verify_password(&secret, &hash));
        assert!(!verify_password(&random_hex(), &hash));
    }

    #[test]
    fn secrets_compare_only_equal_when_identical() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
