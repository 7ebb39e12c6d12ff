//! Staff accounts and sessions of the console: roles, Argon2id password hashes, sign-in throttled
//! per client (so that no one can lock a trainer out by typing wrong passwords), sessions stored
//! as the SHA-256 of their token with an absolute expiry in wall-clock time, the per-session CSRF
//! token every form and desk call carries, and the staff audit (one line per action, never
//! dropped silently).

use super::Refusal;
use crate::store::{NewStaff, NewStaffSession, StaffAuditLine, StaffReads};
use crate::{World, WorldError};
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::account::Email;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// How long a session lasts after sign-in, whatever is done with it.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(8);
/// Shortest staff password: longer than a learner's, since a staff session sees every learner.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Failed sign-ins with one staff address from one client address within [`THROTTLE_WINDOW`],
/// whichever sign-in (form or JSON) they went through, after which that client waits until the
/// oldest of them is out of the window (`too_many_requests`, « Trop de tentatives depuis cet
/// appareil… »). Counted per client so that a classmate's wrong passwords stop the classmate,
/// not the trainer (issue 16). The client's address is its connection's (`throttle.rs`).
const MAX_LOGIN_FAILURES_PER_CLIENT: usize = 5;
/// Failed sign-ins with one staff address from all clients together within [`THROTTLE_WINDOW`],
/// after which everyone waits (`login_throttled`): guessing from many addresses stays bounded
/// (OWASP's Authentication Cheat Sheet: the lockout counter belongs to the account). Set far
/// above what one person reaches: a client makes at most 5 in the window, so 50 takes 10 client
/// addresses guessing at once, not a classmate's laptop and phone; and 50 guesses per 15 minutes
/// are nothing against a staff password of 12 characters or more.
const MAX_LOGIN_FAILURES_PER_ACCOUNT: i64 = 50;
pub(super) const THROTTLE_WINDOW: TimeDelta = TimeDelta::minutes(15);

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
    /// The class (world) this session is signed in to, for the console's header.
    pub class_name: Option<String>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The SHA-256 (hex) a token is stored as: console sessions and the API's credentials alike.
pub(crate) fn digest(token: &str) -> String {
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
    let new = NewStaff {
        id: &id,
        email: email.as_str(),
        role,
        password_hash: &hash,
        created_at: world.wall_now(),
    };
    if !world.store().change(|tx| tx.insert_staff(&new)).await? {
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
    let new = NewStaff {
        id: &uuid::Uuid::new_v4().to_string(),
        email: SCENARIO_ENGINE_EMAIL,
        role: Role::Trainer,
        password_hash: &hash,
        created_at: world.wall_now(),
    };
    world.store().change(|tx| tx.upsert_staff(&new)).await?;
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
    // The reader is released before the password is checked (Argon2id takes milliseconds).
    let account = world.store().read().await.staff_credentials(&email)?;
    let Some(account) = account else {
        let _ = verify_password(password, decoy_hash());
        return Ok(None);
    };
    if !verify_password(password, &account.password_hash) {
        return Ok(None);
    }
    let token = random_hex();
    let now = world.wall_now();
    let session = StaffSession {
        staff_id: account.staff_id,
        email,
        role: account.role,
        csrf_token: random_hex(),
        expires_at: now + SESSION_LIFETIME,
        class_name: world.class_name().map(str::to_owned),
    };
    let new = NewStaffSession {
        token_sha256: &digest(&token),
        staff_id: &session.staff_id,
        csrf_token: &session.csrf_token,
        created_at: now,
        expires_at: session.expires_at,
    };
    world.store().change(|tx| tx.open_staff_session(&new)).await?;
    Ok(Some((token, session)))
}

/// Whether this client may try this staff address now: `Err` with the wait when its last
/// [`MAX_LOGIN_FAILURES_PER_CLIENT`] failures all fall within [`THROTTLE_WINDOW`].
async fn client_may_try(world: &World, email: &str, client: &str) -> Result<(), WorldError> {
    let now = world.wall_now();
    let recent = world.store().read().await.failed_sign_ins_from(
        email,
        client,
        now - THROTTLE_WINDOW,
        MAX_LOGIN_FAILURES_PER_CLIENT as u32,
    )?;
    match recent.get(MAX_LOGIN_FAILURES_PER_CLIENT - 1) {
        Some(oldest) => Err(WorldError::Throttled {
            retry_after: (*oldest + THROTTLE_WINDOW - now).to_std().unwrap_or_default(),
        }),
        None => Ok(()),
    }
}

async fn recent_failures(world: &World, email: &str) -> Result<i64, WorldError> {
    let since = world.wall_now() - THROTTLE_WINDOW;
    Ok(world.store().read().await.failed_sign_ins_since(email, since)?)
}

/// The one sign-in of the console's form and its JSON API, from the client at `client`: one of
/// the address's password attempts (`throttle.rs`), then the client's and the account's locks
/// (refused before any hashing), each failure and success audited with the client's address.
/// Returns the cookie's token and the session, or why it is refused; a client that must wait is
/// [`WorldError::Throttled`] (429 with `Retry-After`).
pub(super) async fn open_session(
    world: &World,
    client: IpAddr,
    email: &str,
    password: &str,
) -> Result<Result<(String, StaffSession), Refusal>, WorldError> {
    let email = email.trim().to_lowercase();
    world.throttles().password_attempt(client)?;
    let client = client.to_string();
    client_may_try(world, &email, &client).await?;
    if recent_failures(world, &email).await? >= MAX_LOGIN_FAILURES_PER_ACCOUNT {
        return Ok(Err(Refusal::Throttled));
    }
    match sign_in(world, &email, password).await? {
        Some((token, session)) => {
            audit_done(world, &session, "login", None, Some(&client)).await;
            Ok(Ok((token, session)))
        }
        None => {
            let at = world.wall_now();
            let failed = world
                .store()
                .change(|tx| tx.append_failed_sign_in_from(&email, &client, at))
                .await;
            if let Err(error) = failed {
                // Without its line, this failure does not count towards the locks; the
                // refusal stands all the same.
                tracing::warn!(%error, "a failed staff sign-in could not be audited");
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
    let digest = digest(token);
    let stored = world.store().read().await.staff_session(&digest)?;
    let Some(stored) = stored else { return Ok(None) };
    if stored.expires_at <= world.wall_now() {
        world
            .store()
            .change(|tx| tx.delete_staff_session(&digest))
            .await?;
        return Ok(None);
    }
    Ok(Some(StaffSession {
        staff_id: stored.staff_id,
        email: stored.email,
        role: stored.role,
        csrf_token: stored.csrf_token,
        expires_at: stored.expires_at,
        class_name: world.class_name().map(str::to_owned),
    }))
}

pub async fn sign_out(world: &World, token: &str) -> Result<(), WorldError> {
    let digest = digest(token);
    Ok(world
        .store()
        .change(|tx| tx.delete_staff_session(&digest))
        .await?)
}

/// The audit line of an action already done: who did what to whom. The action stands whether
/// or not its line is written, so a failure is no reason to report the action failed; it is
/// logged, never dropped silently.
pub async fn audit_done(
    world: &World,
    staff: &StaffSession,
    action: &str,
    learner_id: Option<&str>,
    detail: Option<&str>,
) {
    let line = StaffAuditLine {
        at: world.wall_now(),
        staff_email: staff.email.clone(),
        action: action.to_owned(),
        learner_id: learner_id.map(str::to_owned),
        detail: detail.map(str::to_owned),
    };
    if let Err(error) = world.store().change(|tx| tx.append_staff_audit(&line)).await {
        tracing::warn!(%error, action, staff = %staff.email, learner_id, detail, "a staff action could not be audited");
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
