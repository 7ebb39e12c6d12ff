//! Where a learner is stuck, as a support agent names it: the code they must type and what is
//! left of it, and the blockers ("code SMS expiré", "identification refusée : reflet", "code
//! secret bloqué"). Read-only and pure: computed from the journey and "now".

use crate::codes::{CodeKind, IssuedCode};
use crate::enrolment::ApprovalStatus;
use crate::verification::{Identification, RefusalReason};
use crate::{rules, Journey, LockReason, Stage};
use chrono::{DateTime, Utc};

/// The code the person is expected to type now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeStatus {
    pub kind: CodeKind,
    pub expires_at: DateTime<Utc>,
    pub expired: bool,
    pub attempts_left: u8,
    pub resends_left: u8,
}

/// Something that keeps the person from going on until they (or time) do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocker {
    CodeExpired(CodeKind),
    /// Too many wrong entries: the code no longer works, even right.
    CodeBurned(CodeKind),
    /// The code is unusable and no new one may be asked for.
    NoResendLeft(CodeKind),
    /// The confirmed document expired since: no verification is possible with it.
    DocumentExpired,
    IdentificationRefused(RefusalReason),
    /// Waiting for AR24's review (24 weekday hours at most).
    ReviewPending,
    Locked(LockReason),
    /// The latest login request was not approved within its minute.
    LoginRequestExpired,
    /// Logging in to the app with the account is locked for a while after wrong passwords.
    AccountLoginLocked,
}

impl Blocker {
    /// Stable code for programs: `code_expired:sms`, `identification_refused:reflet`…
    pub fn code(self) -> String {
        let kind = |kind: CodeKind| match kind {
            CodeKind::Email => "email",
            CodeKind::Mobile => "sms",
            CodeKind::Activation => "activation",
        };
        match self {
            Self::CodeExpired(code) => format!("code_expired:{}", kind(code)),
            Self::CodeBurned(code) => format!("code_attempts_exhausted:{}", kind(code)),
            Self::NoResendLeft(code) => format!("resend_limit_reached:{}", kind(code)),
            Self::DocumentExpired => "document_expired".into(),
            Self::IdentificationRefused(reason) => format!("identification_refused:{}", reason.code()),
            Self::ReviewPending => "review_pending".into(),
            Self::Locked(LockReason::SecretCodeForgotten) => "locked:secret_code_forgotten".into(),
            Self::Locked(LockReason::TooManySecretCodeFailures) => {
                "locked:too_many_secret_code_failures".into()
            }
            Self::LoginRequestExpired => "login_request_expired".into(),
            Self::AccountLoginLocked => "account_login_locked".into(),
        }
    }

    /// How a support agent names it, in French.
    pub fn label_fr(self) -> String {
        match self {
            Self::CodeExpired(code) => format!("{} expiré", code.label_fr()),
            Self::CodeBurned(code) => format!("{} bloqué après trop d'erreurs", code.label_fr()),
            Self::NoResendLeft(code) => format!("plus de nouvel envoi possible du {}", code.label_fr()),
            Self::DocumentExpired => "pièce d'identité expirée".into(),
            Self::IdentificationRefused(reason) => format!("identification refusée : {}", reason.label_fr()),
            Self::ReviewPending => "identification en cours d'examen".into(),
            Self::Locked(LockReason::SecretCodeForgotten) => "code secret oublié : identité bloquée".into(),
            Self::Locked(LockReason::TooManySecretCodeFailures) => {
                "code secret bloqué après trop d'erreurs".into()
            }
            Self::LoginRequestExpired => "demande de connexion non validée dans la minute".into(),
            Self::AccountLoginLocked => {
                "connexion au compte bloquée pour 15 minutes après trop de mots de passe incorrects".into()
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Situation {
    pub code: Option<CodeStatus>,
    pub blockers: Vec<Blocker>,
    /// Wrong secret codes still tolerated, once enrolled.
    pub secret_code_attempts_left: Option<u8>,
}

impl Journey {
    /// The learner's situation at `now`.
    pub fn situation(&self, now: DateTime<Utc>) -> Situation {
        let mut situation = Situation::default();
        let code: Option<&IssuedCode> = match self.stage() {
            Stage::EmailCode { code, .. }
            | Stage::MobileCode { code, .. }
            | Stage::FaceToFace { code, .. }
            | Stage::Activation { code, .. } => Some(code),
            Stage::NotStarted
            | Stage::Password { .. }
            | Stage::Mobile { .. }
            | Stage::Profile { .. }
            | Stage::IdentityData { .. }
            | Stage::IdentityConfirmation { .. }
            | Stage::VerificationChoice { .. }
            | Stage::PostalLetter { .. }
            | Stage::Online { .. }
            | Stage::Enrolled { .. }
            | Stage::Locked { .. } => None,
        };
        if let Some(code) = code {
            let status = CodeStatus {
                kind: code.kind(),
                expires_at: code.expires_at(),
                expired: code.is_expired(now),
                attempts_left: code.attempts_left(),
                resends_left: code.resends_left(),
            };
            if status.expired {
                situation.blockers.push(Blocker::CodeExpired(status.kind));
            }
            if status.attempts_left == 0 {
                situation.blockers.push(Blocker::CodeBurned(status.kind));
            }
            // The activation code comes again by choosing the verification again (face to face,
            // before the clerk) or by asking in the app; only the account's codes have a resend
            // limit that blocks.
            let unusable = status.expired || status.attempts_left == 0;
            if unusable
                && status.resends_left == 0
                && matches!(status.kind, CodeKind::Email | CodeKind::Mobile)
            {
                situation.blockers.push(Blocker::NoResendLeft(status.kind));
            }
            situation.code = Some(status);
        }
        if let Some(person) = self.person() {
            let verifying = matches!(
                self.stage(),
                Stage::VerificationChoice { .. }
                    | Stage::FaceToFace { .. }
                    | Stage::PostalLetter { .. }
                    | Stage::Online { .. }
            );
            if verifying && person.identity.is_expired_on(now.date_naive()) {
                situation.blockers.push(Blocker::DocumentExpired);
            }
        }
        match self.stage() {
            Stage::Online { letter, .. } => match &letter.identification {
                Identification::Refused { reason, .. } => {
                    situation.blockers.push(Blocker::IdentificationRefused(*reason));
                }
                Identification::UnderReview { .. } => situation.blockers.push(Blocker::ReviewPending),
                Identification::NotStarted | Identification::Started { .. } => {}
            },
            Stage::Enrolled {
                approvals,
                secret_failures,
                ..
            } => {
                situation.secret_code_attempts_left =
                    Some(rules::MAX_SECRET_CODE_FAILURES.saturating_sub(*secret_failures));
                let latest = approvals.iter().max_by_key(|approval| approval.created_at);
                let expired = latest.is_some_and(|approval| {
                    approval.status == ApprovalStatus::Expired
                        || (approval.status == ApprovalStatus::Pending && now >= approval.deadline)
                });
                if expired {
                    situation.blockers.push(Blocker::LoginRequestExpired);
                }
            }
            Stage::Locked { reason, .. } => {
                situation.secret_code_attempts_left = Some(0);
                situation.blockers.push(Blocker::Locked(*reason));
            }
            Stage::NotStarted
            | Stage::EmailCode { .. }
            | Stage::Password { .. }
            | Stage::Mobile { .. }
            | Stage::MobileCode { .. }
            | Stage::Profile { .. }
            | Stage::IdentityData { .. }
            | Stage::IdentityConfirmation { .. }
            | Stage::VerificationChoice { .. }
            | Stage::FaceToFace { .. }
            | Stage::PostalLetter { .. }
            | Stage::Activation { .. } => {}
        }
        if self.sign_in_state().locked_until(now).is_some() {
            situation.blockers.push(Blocker::AccountLoginLocked);
        }
        situation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Email;
    use crate::Command;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn at_email_code() -> Journey {
        let mut journey = Journey::default();
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        journey
            .handle(
                Command::StartAccount {
                    email: Email::parse("a@simulation.example").unwrap(),
                },
                now(),
                &mut rng,
            )
            .unwrap();
        journey
    }

    #[test]
    fn a_fresh_code_has_every_attempt_and_resend_and_no_blocker() {
        let situation = at_email_code().situation(now());
        let code = situation.code.expect("the emailed code is awaited");
        assert_eq!(
            (code.kind, code.expired, code.attempts_left, code.resends_left),
            (CodeKind::Email, false, 3, 3)
        );
        assert!(situation.blockers.is_empty());
    }

    #[test]
    fn an_expired_code_and_a_burned_one_are_blockers_an_agent_can_name() {
        let mut journey = at_email_code();
        let later = now() + rules::EMAIL_CODE_VALIDITY;
        assert_eq!(
            journey.situation(later).blockers,
            [Blocker::CodeExpired(CodeKind::Email)]
        );
        assert_eq!(
            Blocker::CodeExpired(CodeKind::Mobile).label_fr(),
            "code reçu par SMS expiré"
        );
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for _ in 0..3 {
            let _ = journey.handle(
                Command::ConfirmEmail {
                    code: "000000".into(),
                },
                now(),
                &mut rng,
            );
        }
        let situation = journey.situation(now());
        // "000000" could be the right code only by a 1-in-a-million chance with this seed.
        assert_eq!(situation.code.unwrap().attempts_left, 0);
        assert_eq!(situation.blockers, [Blocker::CodeBurned(CodeKind::Email)]);
        assert_eq!(situation.blockers[0].code(), "code_attempts_exhausted:email");
    }

    #[test]
    fn a_locked_account_login_is_a_blocker_until_its_fifteen_minutes_pass() {
        let mut journey = at_email_code();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let Stage::EmailCode { code: issued, .. } = journey.stage() else {
            panic!("at the emailed code");
        };
        let value = issued.value().to_owned();
        journey
            .handle(Command::ConfirmEmail { code: value }, now(), &mut rng)
            .unwrap();
        journey
            .handle(
                Command::ChoosePassword {
                    digest: crate::account::PasswordDigest("$argon2id$test".into()),
                },
                now(),
                &mut rng,
            )
            .unwrap();
        for _ in 0..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            let _ = journey.handle(
                Command::SignIn {
                    password: crate::sign_in::PasswordCheck::DoesNotMatch,
                },
                now(),
                &mut rng,
            );
        }
        let blockers = journey.situation(now()).blockers;
        assert_eq!(blockers, [Blocker::AccountLoginLocked]);
        assert_eq!(blockers[0].code(), "account_login_locked");
        assert!(
            journey.situation(now() + rules::SIGN_IN_LOCK).blockers.is_empty(),
            "the lock ends by itself"
        );
    }
}
