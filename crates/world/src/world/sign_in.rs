//! « Se connecter avec un compte La Poste existant »: the password (Argon2id), then a code.

use super::*;
use crate::throttle::ClientAddress;
use idn_journey::sign_in::SignInClient;
use std::net::IpAddr;

impl World {
    // ----- logging in to the app with an existing La Poste account -----

    /// [`World::start_account_login_from`] for a caller whose address is unknown: all such
    /// callers are one client ([`ClientAddress::UNKNOWN`]).
    pub async fn start_account_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<api::AccountLoginChallenge, WorldError> {
        self.start_account_login_from(ClientAddress::UNKNOWN.0, email, password)
            .await
    }

    /// « Se connecter avec un compte La Poste existant », typed on the client at `client`:
    /// spends one of the address's password attempts (refused with `too_many_requests` past
    /// its quota, before any hashing), checks the password against the account's Argon2 digest
    /// (an unknown email costs the same check against a decoy and gets the same refusal), lets
    /// the journey count it for this client and for the account, and on a match the
    /// confirmation code goes out by SMS or email. Says where it went, the destination half
    /// hidden.
    pub async fn start_account_login_from(
        &self,
        client: IpAddr,
        email: &str,
        password: &str,
    ) -> Result<api::AccountLoginChallenge, WorldError> {
        let email = Email::parse(email)?;
        self.throttles.password_attempt(client)?;
        let account = self.account_with_password(&email).await?;
        let digest = match &account {
            Some((_, digest)) => digest.0.clone(),
            None => sign_in_decoy_digest()?.to_owned(),
        };
        let typed = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || password_matches(&typed, &digest))
            .await
            .map_err(|error| WorldError::Corrupt(format!("password check stopped: {error}")))?;
        let Some((id, _)) = account else {
            return Err(JourneyError::WrongCredentials.into());
        };
        let on = self.sign_in_client(&id, client);
        let password = if matches {
            idn_journey::sign_in::PasswordCheck::MatchesOn(on)
        } else {
            idn_journey::sign_in::PasswordCheck::DoesNotMatchOn(on)
        };
        self.transition(&id, Actor::Learner, "sign_in", move |_, _| {
            Ok(Command::SignIn { password })
        })
        .await?;
        let loaded = self.store.read().await.learner(&id)?;
        let code = loaded
            .journey
            .sign_in_state()
            .pending_code()
            .ok_or_else(|| WorldError::Corrupt("login accepted without a code".into()))?;
        let (_, mobile) = views::contact(&loaded.journey);
        let (channel, destination) = match (code.kind(), mobile) {
            (idn_journey::CodeKind::Mobile, Some(mobile)) => (
                MessageChannel::Sms,
                MobileNumber::parse(&mobile).map(|m| m.masked()).unwrap_or(mobile),
            ),
            _ => (MessageChannel::Email, masked_email(&email)),
        };
        Ok(api::AccountLoginChallenge {
            account_id: id,
            channel,
            destination,
            expires_at: code.expires_at(),
        })
    }

    /// The confirmation code typed back: the learner's view once right (the app then follows
    /// this account from where it stands). Without a login waiting, whatever the email, the
    /// same refusal.
    pub async fn confirm_account_login(&self, email: &str, code: &str) -> Result<LearnerView, WorldError> {
        let email = Email::parse(email)?;
        let Some((id, _)) = self.account_with_password(&email).await? else {
            return Err(JourneyError::NoSignInPending.into());
        };
        let code = code.to_owned();
        self.transition(&id, Actor::Learner, "confirm_sign_in", move |_, _| {
            Ok(Command::ConfirmSignIn { code })
        })
        .await
    }

    /// How the journey tells this client apart on this account: a keyed digest of the address
    /// (HMAC under the world's verifier key, bound to the learner), so the learner's stored
    /// state names no address and one client's key on two accounts cannot be matched.
    fn sign_in_client(&self, learner_id: &str, client: IpAddr) -> SignInClient {
        let digest = self
            .secrets
            .secret_verifier(learner_id, &format!("sign-in client {client}"));
        let key = digest
            .get(..16)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .unwrap_or_default();
        SignInClient::new(key)
    }

    /// The newest account of this email that has a password (only those can be logged into).
    pub(super) async fn account_with_password(
        &self,
        email: &Email,
    ) -> Result<Option<(String, PasswordDigest)>, WorldError> {
        let accounts = self.store.read().await.accounts_of_email(email.as_str())?;
        Ok(accounts.into_iter().find_map(|(id, journey)| {
            journey
                .password_digest()
                .map(|digest| (id.clone(), digest.clone()))
        }))
    }
}

/// Checks a typed password against an account's digest (Argon2id, as `hash_password` made it).
pub(super) fn password_matches(password: &str, digest: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(digest).is_ok_and(|hash| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A digest to check an unknown email's password against, so that it takes as long as a real one.
pub(super) fn sign_in_decoy_digest() -> Result<&'static str, WorldError> {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(decoy) = DECOY.get() {
        return Ok(decoy);
    }
    let digest = hash_password("Leurre2026 jamais utilisé")?;
    Ok(DECOY.get_or_init(|| digest.0))
}

/// "c*****@exemple.fr": enough for the person to recognise the address, not to read it.
pub(super) fn masked_email(email: &Email) -> String {
    let (local, domain) = email.as_str().split_once('@').unwrap_or((email.as_str(), ""));
    let first: String = local.chars().take(1).collect();
    format!(
        "{first}{}@{domain}",
        "*".repeat(local.chars().count().saturating_sub(1).max(3))
    )
}

/// Argon2id with the crate's default parameters; the salt comes from the OS.
pub(super) fn hash_password(password: &str) -> Result<PasswordDigest, WorldError> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let password = Password::parse(password)?;
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map(|hash| PasswordDigest(hash.to_string()))
        .map_err(|error| WorldError::Corrupt(format!("password hashing: {error}")))
}

#[cfg(test)]
mod tests {
    //! « Se connecter avec un compte La Poste existant » from several clients: wrong passwords
    //! stop the client that typed them, never the account's owner on their own device.

    use super::*;
    use crate::clock::SystemWallClock;
    use crate::throttle::AttemptQuota;

    const PASSWORD: &str = "Simulation2026";
    const LEARNERS_PHONE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 21));
    const CLASSMATE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 168, 1, 66));

    async fn world_with_account(
        options: impl FnOnce(&mut WorldOptions),
    ) -> (tempfile::TempDir, World, String) {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = WorldOptions::new(dir.path());
        options(&mut settings);
        let world = World::open(settings, Arc::new(SystemWallClock)).await.unwrap();
        let email = "camille@exemple.fr";
        let id = world.create_learner(email).await.unwrap().id;
        let code = world
            .inbox(&id)
            .await
            .unwrap()
            .iter()
            .rev()
            .find_map(|message| message.code.clone())
            .expect("the emailed code");
        world
            .act(&id, LearnerAction::ConfirmEmail { code })
            .await
            .unwrap();
        world
            .act(
                &id,
                LearnerAction::ChoosePassword {
                    password: PASSWORD.into(),
                },
            )
            .await
            .unwrap();
        (dir, world, email.to_owned())
    }

    fn code_of(result: Result<api::AccountLoginChallenge, WorldError>) -> &'static str {
        match result {
            Ok(_) => "ok",
            Err(error) => error.code(),
        }
    }

    #[tokio::test]
    async fn a_classmates_wrong_passwords_lock_the_classmate_out_and_the_learner_logs_in() {
        let (_dir, world, email) = world_with_account(|_| {}).await;
        for attempt in 1..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            let refused = world
                .start_account_login_from(CLASSMATE, &email, "Faux2026x")
                .await;
            assert_eq!(code_of(refused), "wrong_credentials", "attempt {attempt}");
        }
        let locked = world
            .start_account_login_from(CLASSMATE, &email, "Faux2026x")
            .await;
        assert_eq!(
            code_of(locked),
            "account_locked",
            "the fifth locks the classmate out"
        );
        let right = world.start_account_login_from(CLASSMATE, &email, PASSWORD).await;
        assert_eq!(
            code_of(right),
            "account_locked",
            "on the classmate's device even the right password waits: guessing stops"
        );

        let challenge = world
            .start_account_login_from(LEARNERS_PHONE, &email, PASSWORD)
            .await
            .expect("the learner, on their own phone, is not locked out by someone else");
        assert_eq!(challenge.channel, api::MessageChannel::Email);
        assert_eq!(
            code_of(
                world
                    .start_account_login_from(LEARNERS_PHONE, &email, "Faux2026x")
                    .await
            ),
            "wrong_credentials",
            "the learner's own count starts from nothing"
        );
    }

    #[tokio::test]
    async fn a_client_past_its_attempts_is_told_to_wait_and_others_are_not() {
        let (_dir, world, email) = world_with_account(|options| {
            options.password_attempts_per_address = AttemptQuota {
                burst: 3,
                window: std::time::Duration::from_secs(15 * 60),
            };
        })
        .await;
        for other in ["dominique@exemple.fr", "alex@exemple.fr", "sacha@exemple.fr"] {
            let refused = world
                .start_account_login_from(CLASSMATE, other, "Faux2026x")
                .await;
            assert_eq!(code_of(refused), "wrong_credentials");
        }
        let stopped = world.start_account_login_from(CLASSMATE, &email, PASSWORD).await;
        let Err(error @ WorldError::Throttled { .. }) = stopped else {
            panic!("past its quota the client waits, whatever the account: {stopped:?}");
        };
        assert_eq!(error.http_status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.code(), "too_many_requests");
        assert_eq!(
            error.message_fr(),
            "Trop de tentatives depuis cet appareil : réessayez dans 5 minutes.",
            "one attempt of 3 comes back every 5 minutes"
        );
        world
            .start_account_login_from(LEARNERS_PHONE, &email, PASSWORD)
            .await
            .expect("another client keeps its own allowance");
    }

    #[tokio::test]
    async fn the_stored_login_state_names_no_client_address() {
        let (dir, world, email) = world_with_account(|_| {}).await;
        let _ = world
            .start_account_login_from(CLASSMATE, &email, "Faux2026x")
            .await;
        drop(world);
        // The WAL and shared-memory files go away when the last connection closes, which may
        // happen between listing the folder and reading them: read the whole set again then.
        let stored = loop {
            let mut stored = Vec::new();
            let mut vanished = false;
            for entry in std::fs::read_dir(dir.path()).unwrap() {
                let path = entry.unwrap().path();
                if path.to_string_lossy().contains("world.sqlite") {
                    match std::fs::read(&path) {
                        Ok(bytes) => stored.extend(bytes),
                        Err(error) if error.kind() == std::io::ErrorKind::NotFound => vanished = true,
                        Err(error) => panic!("{}: {error}", path.display()),
                    }
                }
            }
            if !vanished {
                break stored;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        };
        let stored = String::from_utf8_lossy(&stored);
        assert!(stored.contains("clients"), "the client's failure is stored");
        assert!(
            !stored.contains(&CLASSMATE.to_string()),
            "as an opaque key, never as the address"
        );
    }
}
