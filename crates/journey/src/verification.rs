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

/// Tracking entries of the registered letter, in the order AR24 shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LetterStatus {
    NotificationEmailDelivered,
    LetterSent,
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
            Self::NotificationEmailDelivered => "E-mail de notification délivré",
            Self::LetterSent => "Lettre envoyée",
            Self::IdentificationStarted => "Identification démarrée",
            Self::IdentificationRecorded => "Identification enregistrée",
            Self::IdentificationProcessing => "Identification en cours de traitement",
            Self::IdentificationAccepted => "Identification acceptée",
            Self::IdentificationRefused => "Identification refusée",
            Self::ResultEmailDelivered => "E-mail de notification délivré",
            Self::RecipientDeclined => "Le destinataire a indiqué ne pas être cette personne",
        }
    }
}

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
}
