//! Verification of identity: face to face, online with AR24's registered letter and visual
//! identification, or by post. Holds the letter's tracking timeline and the review.

use crate::identity::{DocumentSide, DocumentType};
use chrono::{DateTime, Utc};
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VerificationMode {
    /// "En face à face": at a post office or with the postman.
    FaceToFace,
    /// "En ligne": AR24 registered letter and visual identification.
    Online,
    /// "Par courrier": a paper letter after about 4 weeks, then face to face.
    ByPost,
}

impl VerificationMode {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::FaceToFace => "En face à face",
            Self::Online => "En ligne",
            Self::ByPost => "Par courrier",
        }
    }
}

/// Why a reviewer refused a visual identification; a refusal always states one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefusalReason {
    DocumentUnreadable,
    Glare,
    DocumentInSleeve,
    FaceNotVisible,
    Glasses,
    Blur,
    DigitsInaudibleOrWrong,
    DocumentExpired,
    DataDiffersFromDocument,
}

impl RefusalReason {
    pub const ALL: [RefusalReason; 9] = [
        Self::DocumentUnreadable,
        Self::Glare,
        Self::DocumentInSleeve,
        Self::FaceNotVisible,
        Self::Glasses,
        Self::Blur,
        Self::DigitsInaudibleOrWrong,
        Self::DocumentExpired,
        Self::DataDiffersFromDocument,
    ];

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::DocumentUnreadable => "pièce d'identité illisible",
            Self::Glare => "reflet sur la pièce d'identité",
            Self::DocumentInSleeve => "pièce d'identité dans un étui ou une pochette",
            Self::FaceNotVisible => "visage non visible",
            Self::Glasses => "lunettes portées pendant la vidéo",
            Self::Blur => "image floue",
            Self::DigitsInaudibleOrWrong => "chiffres inaudibles ou erronés",
            Self::DocumentExpired => "pièce d'identité expirée",
            Self::DataDiffersFromDocument => "informations différentes de celles de la pièce",
        }
    }

    /// Stable code used on the wire and in scenario files.
    pub fn code(self) -> &'static str {
        match self {
            Self::DocumentUnreadable => "document_illisible",
            Self::Glare => "reflet",
            Self::DocumentInSleeve => "piece_dans_un_etui",
            Self::FaceNotVisible => "visage_non_visible",
            Self::Glasses => "lunettes",
            Self::Blur => "flou",
            Self::DigitsInaudibleOrWrong => "chiffres_inaudibles_ou_errones",
            Self::DocumentExpired => "piece_expiree",
            Self::DataDiffersFromDocument => "donnees_differentes",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

/// The 3 digits to say aloud in the video, chosen by the world.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpokenDigits(String);

impl SpokenDigits {
    pub fn draw(rng: &mut dyn RngCore) -> Self {
        Self(
            (0..crate::rules::SPOKEN_DIGITS)
                .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
                .collect(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored upload, named by the world, with the checksum the world verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    pub media_id: String,
    pub sha256: String,
}

/// What the person sends at the end of the visual identification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    pub document_type: DocumentType,
    pub photos: Vec<(DocumentSide, MediaRef)>,
    pub video: MediaRef,
}

/// Outcome of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewDecision {
    Accepted,
    Refused(RefusalReason),
}

/// How a submission will be reviewed: automatically at a set time with a decision taken by
/// the world's automatic reviewer, or by a person at the review desk (the decision then comes
/// as a command).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewPlan {
    Automatic {
        decision: ReviewDecision,
        decide_at: DateTime<Utc>,
    },
    Desk,
}

/// Tracking entries of the registered letter, labelled as AR24's « Suivi de votre courrier »
/// page writes them (003). Variant names are stored: add, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LetterStatus {
    /// AR24's first email, announcing the letter « dans les prochaines minutes » (001).
    AnnouncementEmailDelivered,
    LetterSent,
    /// The letter's own email (« Lire mon courrier »).
    NotificationEmailDelivered,
    IdentificationStarted,
    IdentificationRecorded,
    IdentificationProcessing,
    IdentificationAccepted,
    IdentificationRefused,
    ResultEmailDelivered,
    /// "Je ne suis pas cette personne".
    RecipientDeclined,
}

impl LetterStatus {
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::AnnouncementEmailDelivered
            | Self::NotificationEmailDelivered
            | Self::ResultEmailDelivered => "Email de notification remis",
            Self::LetterSent => "Courrier recommandé électronique envoyé par votre expéditeur",
            Self::IdentificationStarted => "Identification commencée",
            Self::IdentificationRecorded => "Identification enregistrée",
            Self::IdentificationProcessing => "Identification en cours de traitement",
            Self::IdentificationAccepted => "Identification acceptée",
            Self::IdentificationRefused => "Identification refusée",
            Self::RecipientDeclined => "Le destinataire a indiqué ne pas être cette personne",
        }
    }
}

/// The tracking page's entries in AR24's order (003), the decision written as the guide writes
/// it before it is known.
const TRACKING_ORDER: [&str; 8] = [
    "Email de notification remis",
    "Courrier recommandé électronique envoyé par votre expéditeur",
    "Email de notification remis",
    "Identification commencée",
    "Identification enregistrée",
    "Identification en cours de traitement",
    "Identification acceptée/refusée",
    "Email de notification remis",
];

/// The labels of the tracking entries not reached yet, in order, after the latest entry of
/// `timeline` (AR24's page shows them greyed). Empty once the result email is delivered (after
/// an acceptance or a refusal) or after « Je ne suis pas cette personne »; a new identification
/// after a refusal starts the remaining entries again.
pub fn upcoming_entries(timeline: &[TimelineEntry]) -> Vec<&'static str> {
    let reached = match timeline.last().map(|entry| entry.status) {
        None => 0,
        Some(LetterStatus::AnnouncementEmailDelivered) => 1,
        Some(LetterStatus::LetterSent) => 2,
        Some(LetterStatus::NotificationEmailDelivered) => 3,
        Some(LetterStatus::IdentificationStarted) => 4,
        Some(LetterStatus::IdentificationRecorded) => 5,
        Some(LetterStatus::IdentificationProcessing) => 6,
        Some(LetterStatus::IdentificationAccepted | LetterStatus::IdentificationRefused) => 7,
        Some(LetterStatus::ResultEmailDelivered | LetterStatus::RecipientDeclined) => TRACKING_ORDER.len(),
    };
    TRACKING_ORDER[reached..].to_vec()
}

/// What the letter reveals once the identity is verified (« Consulter mon courrier », 001):
/// its sender and the activation code to type in the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterContents {
    pub sender: &'static str,
    pub activation_code: String,
    pub valid_until: DateTime<Utc>,
}

/// The sender AR24 keeps anonymous until the identity is confirmed (003).
pub const LETTER_SENDER: &str = "La Poste — L'Identité Numérique";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub status: LetterStatus,
}

/// Where the visual identification stands inside the letter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identification {
    NotStarted,
    Started {
        digits: SpokenDigits,
    },
    UnderReview {
        digits: SpokenDigits,
        submission: Submission,
        submitted_at: DateTime<Utc>,
        /// Latest time of the decision: 24 weekday hours after submission.
        review_deadline: DateTime<Utc>,
        plan: ReviewPlan,
    },
    Refused {
        reason: RefusalReason,
        attempts: u32,
    },
}

/// AR24's electronic registered letter ("lettre recommandée électronique").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredLetter {
    pub letter_id: String,
    pub opened: bool,
    pub identity_confirmed: bool,
    pub identification: Identification,
    pub refusals: u32,
    pub timeline: Vec<TimelineEntry>,
}

impl RegisteredLetter {
    pub(crate) fn record(&mut self, at: DateTime<Utc>, status: LetterStatus) {
        self.timeline.push(TimelineEntry { at, status });
    }

    /// The tracking entries not reached yet ([`upcoming_entries`]).
    pub fn upcoming(&self) -> Vec<&'static str> {
        upcoming_entries(&self.timeline)
    }
}
