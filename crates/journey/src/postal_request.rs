//! The postal procedure for people without a smartphone (004): the « Formulaire de demande de
//! vérification d'identité pour l'achat de formation CPF », posted with copies of an identity
//! document and of a social-security proof on separate pages, after creating a Mon Compte
//! Formation account; about 4 weeks later a registered letter arrives, which the postman or the
//! post office uses to validate the identity. It is not a mode of the app's verification (004's
//! verification-mode screen has two choices): it is a request of its own, with its own state.
//!
//! What 004 does not say is the sandbox's choice and is marked so: the form's fields beyond the
//! mandatory asterisks, the motives' wording, and what happens to an envelope that cannot be
//! processed (004 only says « Aucune demande ne pourra être traitée »).

use crate::account::Civility;
use crate::identity::PresentedField;
use crate::{rules, JourneyError};
use chrono::{DateTime, NaiveDate, Utc};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

/// The copies of an identity document 004 accepts (« Un justificatif d'identité »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityCopy {
    /// « Copie de carte d'identité Française ou Européenne pour l'espace Schengen ».
    IdentityCard,
    /// « Copie du passeport ».
    Passport,
    /// « Copie du titre de séjour ».
    ResidencePermit,
    /// « Copie de la carte de séjour ».
    ResidenceCard,
    /// « Copie de la carte de résident ».
    ResidentCard,
}

impl IdentityCopy {
    pub const ALL: [IdentityCopy; 5] = [
        Self::IdentityCard,
        Self::Passport,
        Self::ResidencePermit,
        Self::ResidenceCard,
        Self::ResidentCard,
    ];

    /// Stable code, for forms and wire formats.
    pub fn code(self) -> &'static str {
        match self {
            Self::IdentityCard => "identity_card",
            Self::Passport => "passport",
            Self::ResidencePermit => "residence_permit",
            Self::ResidenceCard => "residence_card",
            Self::ResidentCard => "resident_card",
        }
    }

    /// The copy of `code` (one of [`IdentityCopy::code`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|copy| copy.code() == code)
    }

    /// The document itself, as the clerk names it.
    pub fn document_fr(self) -> &'static str {
        match self {
            Self::IdentityCard => "Carte d'identité (française ou européenne)",
            Self::Passport => "Passeport",
            Self::ResidencePermit => "Titre de séjour",
            Self::ResidenceCard => "Carte de séjour",
            Self::ResidentCard => "Carte de résident",
        }
    }

    /// As 004 lists it.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::IdentityCard => "Copie de carte d'identité Française ou Européenne pour l'espace Schengen",
            Self::Passport => "Copie du passeport",
            Self::ResidencePermit => "Copie du titre de séjour",
            Self::ResidenceCard => "Copie de la carte de séjour",
            Self::ResidentCard => "Copie de la carte de résident",
        }
    }
}

/// « Un justificatif de sécurité sociale » (004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SocialSecurityCopy {
    /// « Copie de la carte vitale ».
    CarteVitale,
    /// « Copie d'une attestation de droit Sécurité Sociale ».
    Attestation,
}

impl SocialSecurityCopy {
    pub const ALL: [SocialSecurityCopy; 2] = [Self::CarteVitale, Self::Attestation];

    /// Stable code, for forms and wire formats.
    pub fn code(self) -> &'static str {
        match self {
            Self::CarteVitale => "carte_vitale",
            Self::Attestation => "attestation",
        }
    }

    /// The copy of `code` (one of [`SocialSecurityCopy::code`]).
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|copy| copy.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::CarteVitale => "Copie de la carte vitale",
            Self::Attestation => "Copie d'une attestation de droit Sécurité Sociale",
        }
    }
}

/// The motive boxes of the form's page 2. 004 says they exist and must be ticked legibly, not
/// what they say: « Je ne dispose pas de smartphone » is the one situation 004 names; the other
/// box is the sandbox's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Motive {
    NoSmartphone,
    Other,
}

impl Motive {
    pub const ALL: [Motive; 2] = [Self::NoSmartphone, Self::Other];

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::NoSmartphone => "Je ne dispose pas de smartphone",
            Self::Other => "Autre motif",
        }
    }
}

/// A field of the form preceded by an asterisk (« Les informations qui doivent être remplies
/// obligatoirement sont précédées d'un astérisque »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormField {
    Civility,
    BirthName,
    GivenNames,
    BirthDate,
    BirthPlace,
    Street,
    Postcode,
    City,
    Email,
    /// Page 2: at least one motive box.
    Motive,
}

impl FormField {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Civility => "Civilité",
            Self::BirthName => "Nom de naissance",
            Self::GivenNames => "Prénom(s)",
            Self::BirthDate => "Date de naissance",
            Self::BirthPlace => "Lieu de naissance",
            Self::Street => "Adresse",
            Self::Postcode => "Code postal",
            Self::City => "Commune",
            Self::Email => "Adresse e-mail",
            Self::Motive => "Motif de la demande (page 2)",
        }
    }
}

/// The form as the person filled it. Fields may be left empty: the person may post an
/// incomplete form, and learns on the answer what it lacked, as with the real paper.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestForm {
    pub civility: Option<Civility>,
    pub birth_name: String,
    /// « Nom d'usage », optional.
    pub usage_name: String,
    pub given_names: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_place: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub email: String,
    /// Optional.
    pub phone: String,
    pub motives: Vec<Motive>,
}

impl RequestForm {
    /// The mandatory fields left empty, in the form's order.
    pub fn empty_mandatory(&self) -> Vec<FormField> {
        let blank = |text: &str| text.trim().is_empty();
        let checks = [
            (FormField::Civility, self.civility.is_none()),
            (FormField::BirthName, blank(&self.birth_name)),
            (FormField::GivenNames, blank(&self.given_names)),
            (FormField::BirthDate, self.birth_date.is_none()),
            (FormField::BirthPlace, blank(&self.birth_place)),
            (FormField::Street, blank(&self.street)),
            (FormField::Postcode, blank(&self.postcode)),
            (FormField::City, blank(&self.city)),
            (FormField::Email, blank(&self.email)),
            (FormField::Motive, self.motives.is_empty()),
        ];
        checks
            .into_iter()
            .filter(|(_, empty)| *empty)
            .map(|(field, _)| field)
            .collect()
    }

    /// What the printed form shows: « en majuscule d'imprimerie » (004).
    pub fn printed(text: &str) -> String {
        text.trim().to_uppercase()
    }
}

/// What the person puts in the envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub form: RequestForm,
    pub identity_copy: Option<IdentityCopy>,
    pub social_security_copy: Option<SocialSecurityCopy>,
    /// « sur des pages séparées ».
    pub separate_pages: bool,
    /// « Avant toute transmission … veuillez à bien avoir créé un compte sur le portail Mon
    /// Compte Formation »: the sandbox does not simulate those accounts, so the person says it.
    pub compte_formation_created: bool,
}

/// Why an envelope cannot be processed, each as 004 words the requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "problem", content = "field")]
pub enum EnvelopeProblem {
    CompteFormationMissing,
    IdentityCopyMissing,
    SocialSecurityCopyMissing,
    NotOnSeparatePages,
    MandatoryFieldEmpty(FormField),
}

impl EnvelopeProblem {
    pub fn label_fr(self) -> String {
        match self {
            Self::CompteFormationMissing => {
                "Aucune demande ne peut être traitée si votre compte Mon Compte Formation n'est pas créé."
                    .into()
            }
            Self::IdentityCopyMissing => "Il manque la copie d'un justificatif d'identité.".into(),
            Self::SocialSecurityCopyMissing => {
                "Il manque la copie d'un justificatif de sécurité sociale.".into()
            }
            Self::NotOnSeparatePages => "Les copies doivent être sur des pages séparées.".into(),
            Self::MandatoryFieldEmpty(field) => {
                format!("Champ obligatoire non rempli : {}.", field.label_fr())
            }
        }
    }
}

impl Envelope {
    /// Everything that keeps the request from being processed; empty when it can be.
    pub fn problems(&self) -> Vec<EnvelopeProblem> {
        let mut problems = Vec::new();
        if !self.compte_formation_created {
            problems.push(EnvelopeProblem::CompteFormationMissing);
        }
        if self.identity_copy.is_none() {
            problems.push(EnvelopeProblem::IdentityCopyMissing);
        }
        if self.social_security_copy.is_none() {
            problems.push(EnvelopeProblem::SocialSecurityCopyMissing);
        }
        if !self.separate_pages {
            problems.push(EnvelopeProblem::NotOnSeparatePages);
        }
        problems.extend(
            self.form
                .empty_mandatory()
                .into_iter()
                .map(EnvelopeProblem::MandatoryFieldEmpty),
        );
        problems
    }
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "stage")]
pub enum PostalStage {
    /// Posted; the answer comes « estimé à 4 semaines » later (004).
    Posted { answer_at: DateTime<Utc> },
    /// The request could not be processed. 004 does not say how a person learns it; in the
    /// sandbox a letter comes back at the same date, listing what was missing.
    Returned {
        problems: Vec<EnvelopeProblem>,
        at: DateTime<Utc>,
    },
    /// The registered letter is delivered: shown with the identity document to the postman or
    /// at the post office, which validates.
    LetterDelivered {
        letter_number: String,
        delivered_at: DateTime<Utc>,
    },
    /// The identity is verified for buying a training with the CPF; the letter stays readable.
    Validated {
        letter_number: String,
        delivered_at: DateTime<Utc>,
        at: DateTime<Utc>,
    },
}

/// What the world must deliver (on paper: the letters arrive in the mailbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "notice")]
pub enum PostalNotice {
    RequestReturned { problems: Vec<EnvelopeProblem> },
    RegisteredLetter { letter_number: String },
    IdentityVerified,
}

/// The document the person shows with the registered letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownDocument {
    pub copy_kind: IdentityCopy,
    pub birth_name: String,
    pub birth_date: NaiveDate,
}

/// One person's postal request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalRequest {
    pub envelope: Envelope,
    pub posted_at: DateTime<Utc>,
    pub stage: PostalStage,
}

impl PostalRequest {
    /// The envelope leaves; nothing is checked before the answer, as on paper.
    pub fn post(envelope: Envelope, now: DateTime<Utc>) -> Self {
        Self {
            envelope,
            posted_at: now,
            stage: PostalStage::Posted {
                answer_at: now + rules::POSTAL_LETTER_DELAY,
            },
        }
    }

    /// When time next matters to this request, for the world's sweep.
    pub fn next_deadline(&self) -> Option<DateTime<Utc>> {
        match self.stage {
            PostalStage::Posted { answer_at, .. } => Some(answer_at),
            _ => None,
        }
    }

    /// The sandbox's shortcut for a class that cannot wait 4 weeks: the answer is due now.
    /// True when it changed the date.
    pub fn skip_wait(&mut self, now: DateTime<Utc>) -> bool {
        match &mut self.stage {
            PostalStage::Posted { answer_at, .. } if *answer_at > now => {
                *answer_at = now;
                true
            }
            _ => false,
        }
    }

    /// Lets time pass: at the answer's date the request comes back, or its registered letter is
    /// delivered. Calling it again at the same time is harmless.
    pub fn advance(&mut self, now: DateTime<Utc>, rng: &mut dyn RngCore) -> Vec<PostalNotice> {
        let PostalStage::Posted { answer_at, .. } = self.stage else {
            return Vec::new();
        };
        if now < answer_at {
            return Vec::new();
        }
        let problems = self.envelope.problems();
        if problems.is_empty() {
            let letter_number = registered_letter_number(rng);
            self.stage = PostalStage::LetterDelivered {
                letter_number: letter_number.clone(),
                delivered_at: answer_at,
            };
            vec![PostalNotice::RegisteredLetter { letter_number }]
        } else {
            self.stage = PostalStage::Returned {
                problems: problems.clone(),
                at: answer_at,
            };
            vec![PostalNotice::RequestReturned { problems }]
        }
    }

    /// The postman or the clerk checks the registered letter and the document shown against the
    /// form. On a refusal nothing changes: the person may come back with the right document.
    pub fn validate(
        &mut self,
        letter_number: &str,
        shown: &ShownDocument,
        now: DateTime<Utc>,
    ) -> Result<Vec<PostalNotice>, JourneyError> {
        let PostalStage::LetterDelivered {
            letter_number: expected,
            delivered_at,
        } = self.stage.clone()
        else {
            return Err(JourneyError::PostalLetterNotAwaited);
        };
        if letter_number.trim() != expected {
            return Err(JourneyError::PostalLetterNotAwaited);
        }
        let fields = self.differences(shown);
        if !fields.is_empty() {
            return Err(JourneyError::DocumentMismatch { fields });
        }
        self.stage = PostalStage::Validated {
            letter_number: expected,
            delivered_at,
            at: now,
        };
        Ok(vec![PostalNotice::IdentityVerified])
    }

    fn differences(&self, shown: &ShownDocument) -> Vec<PresentedField> {
        let form = &self.envelope.form;
        let mut fields = Vec::new();
        if self.envelope.identity_copy != Some(shown.copy_kind) {
            fields.push(PresentedField::DocumentType);
        }
        if !same_name(&form.birth_name, &shown.birth_name) {
            fields.push(PresentedField::BirthName);
        }
        if form.birth_date != Some(shown.birth_date) {
            fields.push(PresentedField::BirthDate);
        }
        fields
    }
}

/// Names compare as printed on the form: capitals, surrounding spaces ignored.
fn same_name(on_form: &str, on_document: &str) -> bool {
    RequestForm::printed(on_form) == RequestForm::printed(on_document)
}

/// A registered letter's number as La Poste prints them: 2 letters, 11 digits (the sandbox's
/// format; the guides show none).
fn registered_letter_number(rng: &mut dyn RngCore) -> String {
    let digits: String = (0..11)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect();
    format!("1A{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use rand::SeedableRng;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn filled() -> RequestForm {
        RequestForm {
            civility: Some(Civility::Madame),
            birth_name: "Martin".into(),
            usage_name: String::new(),
            given_names: "Claire, Anne".into(),
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 17),
            birth_place: "Lyon".into(),
            street: "3 rue des Lilas".into(),
            postcode: "69003".into(),
            city: "Lyon".into(),
            email: "claire.martin@example.fr".into(),
            phone: String::new(),
            motives: vec![Motive::NoSmartphone],
        }
    }

    fn complete() -> Envelope {
        Envelope {
            form: filled(),
            identity_copy: Some(IdentityCopy::IdentityCard),
            social_security_copy: Some(SocialSecurityCopy::CarteVitale),
            separate_pages: true,
            compte_formation_created: true,
        }
    }

    fn rng() -> rand_chacha::ChaCha8Rng {
        rand_chacha::ChaCha8Rng::seed_from_u64(7)
    }

    fn shown() -> ShownDocument {
        ShownDocument {
            copy_kind: IdentityCopy::IdentityCard,
            birth_name: "MARTIN ".into(),
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 17).unwrap(),
        }
    }

    #[test]
    fn a_complete_envelope_brings_the_registered_letter_four_weeks_later() {
        let mut request = PostalRequest::post(complete(), now());
        let mut rng = rng();
        assert!(request
            .advance(
                now() + chrono::TimeDelta::weeks(4) - chrono::TimeDelta::seconds(1),
                &mut rng
            )
            .is_empty());
        let notices = request.advance(now() + chrono::TimeDelta::weeks(4), &mut rng);
        let [PostalNotice::RegisteredLetter { letter_number }] = notices.as_slice() else {
            panic!("one registered letter, got {notices:?}");
        };
        assert_eq!(letter_number.len(), 13);
        assert!(
            request
                .advance(now() + chrono::TimeDelta::weeks(5), &mut rng)
                .is_empty(),
            "delivered once"
        );
    }

    #[test]
    fn an_incomplete_envelope_comes_back_saying_everything_it_lacked() {
        let mut envelope = complete();
        envelope.compte_formation_created = false;
        envelope.social_security_copy = None;
        envelope.separate_pages = false;
        envelope.form.birth_name = "  ".into();
        envelope.form.motives.clear();
        let mut request = PostalRequest::post(envelope, now());
        let notices = request.advance(now() + chrono::TimeDelta::weeks(4), &mut rng());
        assert_eq!(
            notices,
            vec![PostalNotice::RequestReturned {
                problems: vec![
                    EnvelopeProblem::CompteFormationMissing,
                    EnvelopeProblem::SocialSecurityCopyMissing,
                    EnvelopeProblem::NotOnSeparatePages,
                    EnvelopeProblem::MandatoryFieldEmpty(FormField::BirthName),
                    EnvelopeProblem::MandatoryFieldEmpty(FormField::Motive),
                ]
            }]
        );
        assert_eq!(
            request.validate("1A000", &shown(), now()),
            Err(JourneyError::PostalLetterNotAwaited)
        );
    }

    #[test]
    fn the_postman_validates_with_the_letter_and_the_same_document() {
        let mut request = PostalRequest::post(complete(), now());
        let later = now() + chrono::TimeDelta::weeks(4);
        let notices = request.advance(later, &mut rng());
        let [PostalNotice::RegisteredLetter { letter_number }] = notices.as_slice() else {
            panic!("a letter");
        };
        assert_eq!(
            request.validate("1A99999999999", &shown(), later),
            Err(JourneyError::PostalLetterNotAwaited)
        );
        let passport = ShownDocument {
            copy_kind: IdentityCopy::Passport,
            birth_name: "Durand".into(),
            ..shown()
        };
        assert_eq!(
            request.validate(letter_number, &passport, later),
            Err(JourneyError::DocumentMismatch {
                fields: vec![PresentedField::DocumentType, PresentedField::BirthName]
            }),
            "the clerk learns which fields differ, and nothing changes"
        );
        assert_eq!(
            request.validate(letter_number, &shown(), later),
            Ok(vec![PostalNotice::IdentityVerified])
        );
        assert!(matches!(request.stage, PostalStage::Validated { at, .. } if at == later));
        assert_eq!(
            request.validate(letter_number, &shown(), later),
            Err(JourneyError::PostalLetterNotAwaited)
        );
    }

    #[test]
    fn the_printed_form_is_in_capitals() {
        assert_eq!(RequestForm::printed(" Élodie-Anne "), "ÉLODIE-ANNE");
    }
}
