//! The one error type of the journey: every rule a command can break, with a stable code for
//! programs, an English message for logs (`Display`) and a French message for people.

use crate::identity::PresentedField;
use crate::text::TextField;
use crate::{CodeKind, IdentityField, Step};
use thiserror::Error;

/// A rule of the journey refused a command. The state may still have changed (a wrong code
/// counts as an attempt); the caller persists the state whatever the result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JourneyError {
    #[error("action {action} is not possible at step {step:?}")]
    WrongStep { action: &'static str, step: Step },
    #[error("invalid email address")]
    InvalidEmail,
    #[error("password does not follow the rule")]
    WeakPassword,
    #[error("invalid phone number (expected an international prefix)")]
    InvalidMobile,
    #[error("the terms of use (CGU) were not accepted")]
    TermsNotAccepted,
    /// « Acceptez les conditions générales d'utilisation de AR24 et confirmez » (001): the
    /// online verification starts only once they are ticked.
    #[error("AR24's terms of use were not accepted")]
    Ar24TermsNotAccepted,
    #[error("malformed {0:?} code")]
    CodeMalformed(CodeKind),
    #[error("wrong {kind:?} code, {remaining} attempts left")]
    CodeWrong { kind: CodeKind, remaining: u8 },
    #[error("{0:?} code expired")]
    CodeExpired(CodeKind),
    #[error("{0:?} code burned after too many wrong attempts")]
    CodeAttemptsExhausted(CodeKind),
    #[error("resend limit reached for the {0:?} code")]
    ResendLimitReached(CodeKind),
    #[error("invalid identity field {field:?}")]
    InvalidField { field: IdentityField },
    #[error("person is under 18")]
    Underage,
    #[error("identity document expired")]
    DocumentExpired,
    #[error("identity document issued in the future")]
    DocumentIssuedInFuture,
    #[error("residence permit valid for less than 5 years")]
    ResidencePermitTooShort,
    #[error("identity data already confirmed; it cannot be changed")]
    IdentityAlreadyConfirmed,
    /// `fields` names what differs (never empty), so the clerk knows what to check again.
    #[error("the document presented differs from the confirmed identity data ({fields:?})")]
    DocumentMismatch { fields: Vec<PresentedField> },
    #[error("registered letter not opened yet")]
    LetterNotOpened,
    /// The postal procedure: no registered letter awaits validation under the number given
    /// (wrong number, not delivered yet, already validated, or a request returned).
    #[error("no postal request's registered letter awaits validation under this number")]
    PostalLetterNotAwaited,
    #[error("visual identification not started")]
    IdentificationNotStarted,
    #[error("visual identification is missing {0}")]
    IncompleteSubmission(&'static str),
    #[error("secret code must be 4 different digits")]
    InvalidSecretCode,
    #[error("secret code locked after too many failures")]
    SecretCodeLocked,
    #[error("wrong secret code, {remaining} attempts left")]
    WrongSecretCode { remaining: u8 },
    #[error("no such login request")]
    UnknownLoginRequest,
    #[error("login request already answered")]
    LoginRequestAlreadyAnswered,
    #[error("login request expired (60 s approval window)")]
    LoginRequestExpired,
    #[error("the answering device is not the enrolled one")]
    NotTheEnrolledDevice,
    #[error("the device signature does not verify")]
    InvalidDeviceSignature,
    #[error("phone number typed does not match the enrolled identity")]
    MobileMismatch,
    #[error("this exact answer was already received (replay)")]
    AnswerReplayed,
    #[error("too many login requests pending for this identity")]
    TooManyPendingLoginRequests,
    #[error("too many login requests for this identity in the rate window")]
    LoginRequestRateLimited,
    /// Wrong password, unknown email or unfinished account alike: nothing tells them apart.
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("account login locked until {until} after too many wrong passwords")]
    AccountLocked { until: chrono::DateTime<chrono::Utc> },
    #[error("no account login waiting for a confirmation code")]
    NoSignInPending,
    /// The world found another activated identity with this number (the journey cannot see
    /// other learners); `step` is where it was found: the SMS code or the activation.
    #[error("mobile number already enrolled on another identity (found at {step:?})")]
    MobileAlreadyEnrolled { step: Step },
    #[error("{field:?} holds a control, bidirectional or invisible character")]
    ForbiddenCharacter { field: TextField },
    #[error("{field:?} is longer than {max_chars} characters")]
    TextTooLong { field: TextField, max_chars: usize },
    #[error("more than {max} given names")]
    TooManyGivenNames { max: usize },
}

impl JourneyError {
    /// Stable machine-readable code: programs and screens decide on this, never on text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::WrongStep { .. } => "wrong_step",
            Self::InvalidEmail => "invalid_email",
            Self::WeakPassword => "weak_password",
            Self::InvalidMobile => "invalid_mobile",
            Self::TermsNotAccepted => "terms_not_accepted",
            Self::Ar24TermsNotAccepted => "ar24_terms_not_accepted",
            Self::CodeMalformed(_) => "code_malformed",
            Self::CodeWrong { .. } => "code_wrong",
            Self::CodeExpired(_) => "code_expired",
            Self::CodeAttemptsExhausted(_) => "code_attempts_exhausted",
            Self::ResendLimitReached(_) => "resend_limit_reached",
            Self::InvalidField { .. } => "invalid_field",
            Self::Underage => "underage",
            Self::DocumentExpired => "document_expired",
            Self::DocumentIssuedInFuture => "document_issued_in_future",
            Self::ResidencePermitTooShort => "residence_permit_too_short",
            Self::IdentityAlreadyConfirmed => "identity_already_confirmed",
            Self::DocumentMismatch { .. } => "document_mismatch",
            Self::LetterNotOpened => "letter_not_opened",
            Self::PostalLetterNotAwaited => "postal_letter_not_awaited",
            Self::IdentificationNotStarted => "identification_not_started",
            Self::IncompleteSubmission(_) => "incomplete_submission",
            Self::InvalidSecretCode => "invalid_secret_code",
            Self::SecretCodeLocked => "secret_code_locked",
            Self::WrongSecretCode { .. } => "wrong_secret_code",
            Self::UnknownLoginRequest => "unknown_login_request",
            Self::LoginRequestAlreadyAnswered => "login_request_already_answered",
            Self::LoginRequestExpired => "login_request_expired",
            Self::NotTheEnrolledDevice => "not_the_enrolled_device",
            Self::InvalidDeviceSignature => "invalid_device_signature",
            Self::MobileMismatch => "mobile_mismatch",
            Self::AnswerReplayed => "answer_replayed",
            Self::TooManyPendingLoginRequests => "too_many_pending_login_requests",
            Self::LoginRequestRateLimited => "login_request_rate_limited",
            Self::WrongCredentials => "wrong_credentials",
            Self::AccountLocked { .. } => "account_locked",
            Self::NoSignInPending => "no_sign_in_pending",
            Self::MobileAlreadyEnrolled { .. } => "mobile_already_enrolled",
            Self::ForbiddenCharacter { .. } => "forbidden_character",
            Self::TextTooLong { .. } => "text_too_long",
            Self::TooManyGivenNames { .. } => "too_many_given_names",
        }
    }

    /// The attempts left after this refusal, as data for screens (which warn before the last
    /// one): only a wrong code or secret code that still allows another try says it.
    pub fn attempts_left(&self) -> Option<u8> {
        match self {
            Self::CodeWrong { remaining, .. } | Self::WrongSecretCode { remaining } => Some(*remaining),
            Self::WrongStep { .. }
            | Self::InvalidEmail
            | Self::WeakPassword
            | Self::InvalidMobile
            | Self::TermsNotAccepted
            | Self::Ar24TermsNotAccepted
            | Self::CodeMalformed(_)
            | Self::CodeExpired(_)
            | Self::CodeAttemptsExhausted(_)
            | Self::ResendLimitReached(_)
            | Self::InvalidField { .. }
            | Self::Underage
            | Self::DocumentExpired
            | Self::DocumentIssuedInFuture
            | Self::ResidencePermitTooShort
            | Self::IdentityAlreadyConfirmed
            | Self::DocumentMismatch { .. }
            | Self::LetterNotOpened
            | Self::PostalLetterNotAwaited
            | Self::IdentificationNotStarted
            | Self::IncompleteSubmission(_)
            | Self::InvalidSecretCode
            | Self::SecretCodeLocked
            | Self::UnknownLoginRequest
            | Self::LoginRequestAlreadyAnswered
            | Self::LoginRequestExpired
            | Self::NotTheEnrolledDevice
            | Self::InvalidDeviceSignature
            | Self::MobileMismatch
            | Self::AnswerReplayed
            | Self::TooManyPendingLoginRequests
            | Self::LoginRequestRateLimited
            | Self::WrongCredentials
            | Self::AccountLocked { .. }
            | Self::NoSignInPending
            | Self::MobileAlreadyEnrolled { .. }
            | Self::ForbiddenCharacter { .. }
            | Self::TextTooLong { .. }
            | Self::TooManyGivenNames { .. } => None,
        }
    }

    /// The sentence a person reads, in French.
    pub fn message_fr(&self) -> String {
        match self {
            Self::WrongStep { step, .. } => format!(
                "Cette action n'est pas possible à l'étape « {} ».",
                step.label_fr()
            ),
            Self::InvalidEmail => "Adresse e-mail invalide : vérifiez-la (exemple : prenom.nom@exemple.fr).".into(),
            Self::WeakPassword => "Le mot de passe doit contenir au moins 8 caractères, dont une majuscule, une minuscule et un chiffre.".into(),
            Self::InvalidMobile => "Numéro de téléphone invalide : indiquez l'indicatif du pays (exemple : +33 6 12 34 56 78).".into(),
            Self::TermsNotAccepted => "Vous devez accepter les conditions générales d'utilisation (CGU) pour créer votre compte.".into(),
            Self::Ar24TermsNotAccepted => "Acceptez les conditions générales d'utilisation de AR24 pour continuer.".into(),
            Self::CodeMalformed(kind) => format!("Le {} doit comporter {}.", kind.label_fr(), kind.format_fr()),
            Self::CodeWrong { kind, remaining } => format!(
                "{} incorrect. Il vous reste {remaining} essai{}.",
                capitalise(kind.label_fr()),
                if *remaining > 1 { "s" } else { "" }
            ),
            Self::CodeExpired(kind) => format!("Ce {} a expiré : demandez-en un nouveau.", kind.label_fr()),
            Self::CodeAttemptsExhausted(kind) => format!(
                "Trop d'essais incorrects : ce {} n'est plus valable, demandez-en un nouveau.",
                kind.label_fr()
            ),
            Self::ResendLimitReached(kind) => format!(
                "Vous avez demandé trop de nouveaux envois du {} : contactez l'assistance.",
                kind.label_fr()
            ),
            Self::InvalidField { field } => format!("Le champ « {} » est invalide : {}", field.label_fr(), field.hint_fr()),
            Self::Underage => "Vous devez avoir au moins 18 ans pour créer votre Identité Numérique.".into(),
            Self::DocumentExpired => "Votre pièce d'identité a expiré : une pièce en cours de validité est nécessaire.".into(),
            Self::DocumentIssuedInFuture => "La date de délivrance ne peut pas être dans le futur.".into(),
            Self::ResidencePermitTooShort => "Seuls les titres de séjour d'une durée de validité d'au moins 5 ans sont acceptés.".into(),
            Self::IdentityAlreadyConfirmed => "Vos informations personnelles sont confirmées : elles ne peuvent plus être modifiées.".into(),
            Self::DocumentMismatch { fields } => std::iter::once(
                "La pièce présentée ne correspond pas aux informations confirmées.",
            )
            .chain(fields.iter().map(|field| field.mismatch_fr()))
            .collect::<Vec<_>>()
            .join(" "),
            Self::LetterNotOpened => "Ouvrez d'abord votre courrier recommandé (« Lire mon courrier »).".into(),
            Self::PostalLetterNotAwaited => "Aucune lettre recommandée de la procédure courrier n'attend de validation sous ce numéro : vérifiez le numéro imprimé sur la lettre.".into(),
            Self::IdentificationNotStarted => "Commencez d'abord l'identification visuelle.".into(),
            Self::IncompleteSubmission(what) => format!("Il manque {what} pour envoyer votre identification visuelle."),
            Self::InvalidSecretCode => "Le code secret doit comporter 4 chiffres tous différents.".into(),
            Self::SecretCodeLocked => "Votre code secret est bloqué après trop d'erreurs : vérifiez à nouveau votre identité pour en choisir un nouveau.".into(),
            Self::WrongSecretCode { remaining } => format!(
                "Code secret incorrect. Il vous reste {remaining} essai{}.",
                if *remaining > 1 { "s" } else { "" }
            ),
            Self::UnknownLoginRequest => "Cette demande de connexion est introuvable.".into(),
            Self::LoginRequestAlreadyAnswered => "Cette demande de connexion a déjà reçu une réponse.".into(),
            Self::LoginRequestExpired => "Le délai d'une minute est dépassé : recommencez la connexion depuis le site.".into(),
            Self::NotTheEnrolledDevice => "Cet appareil n'est pas celui sur lequel votre Identité Numérique est activée.".into(),
            Self::InvalidDeviceSignature => "La réponse de l'appareil n'a pas pu être vérifiée.".into(),
            Self::MobileMismatch => "Aucune Identité Numérique n'est associée à ce numéro de téléphone.".into(),
            Self::AnswerReplayed => "Cette réponse a déjà été reçue : saisissez à nouveau votre code secret dans l'application.".into(),
            Self::TooManyPendingLoginRequests => "Des demandes de connexion attendent déjà votre réponse dans l'application : répondez-y ou attendez une minute.".into(),
            Self::LoginRequestRateLimited => "Trop de demandes de connexion en peu de temps : réessayez dans quelques minutes.".into(),
            Self::WrongCredentials => "Adresse e-mail ou mot de passe incorrect.".into(),
            Self::AccountLocked { until } => format!(
                "Trop de mots de passe incorrects : par sécurité, la connexion à votre compte est bloquée jusqu'au {}.",
                crate::local_time::in_sentence(*until)
            ),
            Self::NoSignInPending => "Aucune connexion n'attend de code de confirmation : saisissez à nouveau votre adresse e-mail et votre mot de passe.".into(),
            Self::MobileAlreadyEnrolled { step: Step::MobileCode } => "Ce numéro de mobile est déjà celui d'une autre Identité Numérique : un numéro ne peut servir qu'à une seule Identité Numérique, car c'est par lui que FranceConnect+ la retrouve. Indiquez votre propre numéro de mobile. Si ce numéro est bien le vôtre, vous avez déjà une Identité Numérique : utilisez-la, ou contactez l'assistance.".into(),
            Self::MobileAlreadyEnrolled { .. } => "Ce numéro de mobile vient d'être associé à une autre Identité Numérique, activée entre-temps : un numéro ne peut servir qu'à une seule Identité Numérique. Il ne peut plus être modifié à cette étape : contactez l'assistance.".into(),
            Self::ForbiddenCharacter { field } => format!(
                "Le champ « {} » contient un caractère invisible ou de contrôle (caractère nul, retour à la ligne, inversion du sens d'écriture…) : retapez-le au clavier, sans copier-coller.",
                field.label_fr()
            ),
            Self::TextTooLong { field, max_chars } => format!(
                "Le champ « {} » est trop long : {max_chars} caractères au plus.",
                field.label_fr()
            ),
            Self::TooManyGivenNames { max } => format!(
                "Indiquez au plus {max} prénoms, dans l'ordre où ils figurent sur la pièce d'identité."
            ),
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_mismatch_names_each_field_that_differs_in_french() {
        let error = JourneyError::DocumentMismatch {
            fields: vec![PresentedField::BirthName, PresentedField::BirthDate],
        };
        assert_eq!(error.code(), "document_mismatch", "the code stays stable");
        assert_eq!(
            error.message_fr(),
            "La pièce présentée ne correspond pas aux informations confirmées. Le nom de naissance \
             ne correspond pas. La date de naissance ne correspond pas."
        );
    }
}
