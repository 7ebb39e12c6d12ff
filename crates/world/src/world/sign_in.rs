//! « Se connecter avec un compte La Poste existant »: the password (Argon2id), then a code.

use super::*;

impl World {
    // ----- logging in to the app with an existing La Poste account -----

    /// « Se connecter avec un compte La Poste existant »: checks the password against the
    /// account's Argon2 digest (an unknown email costs the same check against a decoy and gets
    /// the same refusal), lets the journey count it, and on a match the confirmation code goes
    /// out by SMS or email. Says where it went, the destination half hidden.
    pub async fn start_account_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<api::AccountLoginChallenge, WorldError> {
        let email = Email::parse(email)?;
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
        let password = if matches {
            idn_journey::sign_in::PasswordCheck::Matches
        } else {
            idn_journey::sign_in::PasswordCheck::DoesNotMatch
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
