//! One-time codes the world sends (email, SMS, activation): how they look, how long they live,
//! how many wrong tries and resends they allow.

use crate::{rules, JourneyError};
use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// Which code a person is typing; each has its own format and lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeKind {
    /// 6 digits, emailed to prove the identifier.
    Email,
    /// 4 letters or digits, by SMS, to prove the mobile number.
    Mobile,
    /// 6 digits, typed into the app for the final validation that activates the identity. Face
    /// to face it is the only code after the account's: sent by SMS when the person chooses face
    /// to face (or printed in the postal letter), shown to the clerk with the document, then
    /// typed into the app (002). Online, AR24's validation sends it by email and SMS (003).
    /// Codes stored as `FaceToFace` before face to face had one code read back as this one.
    #[serde(alias = "FaceToFace")]
    Activation,
}

/// Letters of the SMS code: no 0/O or 1/I/L, which people mistype.
const MOBILE_CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

impl CodeKind {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Email => "code reçu par e-mail",
            Self::Mobile => "code reçu par SMS",
            Self::Activation => "code d'activation",
        }
    }

    pub fn format_fr(self) -> &'static str {
        match self {
            Self::Email | Self::Activation => "6 chiffres",
            Self::Mobile => "4 caractères (lettres ou chiffres)",
        }
    }

    fn validity(self) -> TimeDelta {
        match self {
            Self::Email => rules::EMAIL_CODE_VALIDITY,
            Self::Mobile => rules::MOBILE_CODE_VALIDITY,
            Self::Activation => rules::ACTIVATION_CODE_VALIDITY,
        }
    }

    fn generate(self, rng: &mut dyn RngCore) -> String {
        match self {
            Self::Email | Self::Activation => (0..6)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect(),
            Self::Mobile => (0..4)
                .map(|_| char::from(MOBILE_CODE_ALPHABET[rng.gen_range(0..MOBILE_CODE_ALPHABET.len())]))
                .collect(),
        }
    }

    /// Reads what a person typed: spaces ignored, letters uppercased; `None` if the shape is wrong.
    fn normalise_typed(self, typed: &str) -> Option<String> {
        let compact: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
        let well_formed = match self {
            Self::Email | Self::Activation => {
                compact.len() == 6 && compact.chars().all(|c| c.is_ascii_digit())
            }
            Self::Mobile => compact.len() == 4 && compact.chars().all(|c| c.is_ascii_alphanumeric()),
        };
        well_formed.then(|| compact.to_ascii_uppercase())
    }
}

/// A code the world issued and is waiting for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    kind: CodeKind,
    value: String,
    issued_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    failed_attempts: u8,
    resends: u8,
}

impl IssuedCode {
    pub fn issue(kind: CodeKind, now: DateTime<Utc>, rng: &mut dyn RngCore) -> Self {
        Self::issue_valid_for(kind, kind.validity(), now, rng)
    }

    /// A code living `validity` rather than its kind's usual lifetime: the activation code face
    /// to face lives as long as the time to present oneself ([`rules::FACE_TO_FACE_VALIDITY`]).
    pub fn issue_valid_for(
        kind: CodeKind,
        validity: TimeDelta,
        now: DateTime<Utc>,
        rng: &mut dyn RngCore,
    ) -> Self {
        Self {
            kind,
            value: kind.generate(rng),
            issued_at: now,
            expires_at: now + validity,
            failed_attempts: 0,
            resends: 0,
        }
    }

    /// The same code, kept for its next use: valid `validity` from `now`, with every wrong try
    /// allowed again. Face to face, the code the clerk accepted is the one the person then types
    /// into the app ([`rules::FINAL_VALIDATION_VALIDITY`]).
    pub fn kept_for(&self, validity: TimeDelta, now: DateTime<Utc>) -> Self {
        Self {
            expires_at: now + validity,
            failed_attempts: 0,
            ..self.clone()
        }
    }

    /// A fresh code replacing this one, counting the resend against the limit.
    pub fn reissue(&self, now: DateTime<Utc>, rng: &mut dyn RngCore) -> Result<Self, JourneyError> {
        if self.resends >= rules::MAX_CODE_RESENDS {
            return Err(JourneyError::ResendLimitReached(self.kind));
        }
        let mut fresh = Self::issue(self.kind, now, rng);
        fresh.resends = self.resends + 1;
        Ok(fresh)
    }

    pub fn kind(&self) -> CodeKind {
        self.kind
    }

    /// The code's value, for the message that carries it to the person.
    pub fn value(&self) -> &str {
        &self.value
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }

    /// Wrong entries this code still tolerates.
    pub fn attempts_left(&self) -> u8 {
        rules::MAX_CODE_ATTEMPTS.saturating_sub(self.failed_attempts)
    }

    /// New codes the person may still ask for at this step.
    pub fn resends_left(&self) -> u8 {
        rules::MAX_CODE_RESENDS.saturating_sub(self.resends)
    }

    /// Checks a typed code. A wrong code is counted even though the call fails, so the caller
    /// must keep this value whatever the result.
    pub fn check(&mut self, typed: &str, now: DateTime<Utc>) -> Result<(), JourneyError> {
        let typed = self
            .kind
            .normalise_typed(typed)
            .ok_or(JourneyError::CodeMalformed(self.kind))?;
        if self.failed_attempts >= rules::MAX_CODE_ATTEMPTS {
            return Err(JourneyError::CodeAttemptsExhausted(self.kind));
        }
        if self.is_expired(now) {
            return Err(JourneyError::CodeExpired(self.kind));
        }
        if typed != self.value {
            self.failed_attempts += 1;
            let remaining = rules::MAX_CODE_ATTEMPTS - self.failed_attempts;
            return Err(if remaining == 0 {
                JourneyError::CodeAttemptsExhausted(self.kind)
            } else {
                JourneyError::CodeWrong {
                    kind: self.kind,
                    remaining,
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    #[test]
    fn codes_have_the_published_shapes() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..50 {
            let email = IssuedCode::issue(CodeKind::Email, now(), &mut rng);
            assert!(email.value().len() == 6 && email.value().bytes().all(|b| b.is_ascii_digit()));
            let sms = IssuedCode::issue(CodeKind::Mobile, now(), &mut rng);
            assert_eq!(sms.value().len(), 4, "SMS code is 4 characters: {}", sms.value());
            assert!(sms.value().bytes().all(|b| MOBILE_CODE_ALPHABET.contains(&b)));
        }
    }

    #[test]
    fn typed_code_tolerates_spaces_and_lowercase() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut sms = IssuedCode::issue(CodeKind::Mobile, now(), &mut rng);
        let typed = format!(" {} ", sms.value().to_lowercase());
        assert_eq!(sms.check(&typed, now()), Ok(()));
    }

    #[test]
    fn third_wrong_attempt_burns_the_code_even_for_the_right_value() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut code = IssuedCode::issue(CodeKind::Email, now(), &mut rng);
        let right = code.value().to_owned();
        let wrong = if right == "000000" { "111111" } else { "000000" };
        assert_eq!(
            code.check(wrong, now()),
            Err(JourneyError::CodeWrong {
                kind: CodeKind::Email,
                remaining: 2
            })
        );
        assert_eq!(
            code.check(wrong, now()),
            Err(JourneyError::CodeWrong {
                kind: CodeKind::Email,
                remaining: 1
            })
        );
        assert_eq!(
            code.check(wrong, now()),
            Err(JourneyError::CodeAttemptsExhausted(CodeKind::Email))
        );
        assert_eq!(
            code.check(&right, now()),
            Err(JourneyError::CodeAttemptsExhausted(CodeKind::Email))
        );
    }

    #[test]
    fn expired_code_is_refused_even_when_right() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut code = IssuedCode::issue(CodeKind::Email, now(), &mut rng);
        let right = code.value().to_owned();
        let later = now() + rules::EMAIL_CODE_VALIDITY;
        assert_eq!(
            code.check(&right, later),
            Err(JourneyError::CodeExpired(CodeKind::Email))
        );
    }

    #[test]
    fn resends_are_limited() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut code = IssuedCode::issue(CodeKind::Mobile, now(), &mut rng);
        for _ in 0..rules::MAX_CODE_RESENDS {
            code = code.reissue(now(), &mut rng).expect("resend within the limit");
        }
        assert_eq!(
            code.reissue(now(), &mut rng),
            Err(JourneyError::ResendLimitReached(CodeKind::Mobile))
        );
    }
}
