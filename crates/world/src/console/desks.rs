//! The review and clerk desks' readings and decisions, each implemented once: the console's forms
//! and its JSON desk API only translate their input into these calls and render what comes back,
//! so what a desk accepts (reasons, document types, dates), what it changes (through the same
//! `World` methods as the API) and what it audits lives here only.

use super::auth::{self, StaffSession};
use super::pages::when;
use crate::api::{
    ClerkCase, ClerkDecided, ClerkRefusalReason, ClerkValidation, ClerkVerdict, CopiedDocument, DocumentKind,
    JournalDetail, ReviewBy, ReviewDecided, ReviewDeskSetting, ReviewQueueItem, ReviewSubmission,
    ReviewVerdict, Side, SubmittedPhoto,
};
use crate::{Actor, World, WorldError};
use chrono::{DateTime, NaiveDate, Utc};
use idn_journey::identity::DocumentSide;
use idn_journey::verification::{Identification, RefusalReason, ReviewDecision, ReviewPlan};
use idn_journey::{Journey, Stage};

/// The submission under review in a journey, when there is one.
pub(super) struct UnderReview {
    pub digits: String,
    pub document_type: DocumentKind,
    pub photos: Vec<SubmittedPhoto>,
    pub video_media_id: String,
    pub submitted_at: DateTime<Utc>,
    pub review_deadline: DateTime<Utc>,
    pub review: ReviewBy,
}

pub(super) fn under_review(journey: &Journey) -> Option<UnderReview> {
    let Stage::Online { letter, .. } = journey.stage() else {
        return None;
    };
    match &letter.identification {
        Identification::UnderReview {
            digits,
            submission,
            submitted_at,
            review_deadline,
            plan,
        } => Some(UnderReview {
            digits: digits.as_str().to_owned(),
            document_type: submission.document_type.into(),
            photos: submission
                .photos
                .iter()
                .map(|(side, media)| SubmittedPhoto {
                    side: wire_side(*side),
                    media_id: media.media_id.clone(),
                })
                .collect(),
            video_media_id: submission.video.media_id.clone(),
            submitted_at: *submitted_at,
            review_deadline: *review_deadline,
            review: match plan {
                ReviewPlan::Desk => ReviewBy::Desk,
                ReviewPlan::Automatic { decide_at, .. } => ReviewBy::Automatic {
                    decide_at: *decide_at,
                },
            },
        }),
        Identification::NotStarted | Identification::Started { .. } | Identification::Refused { .. } => None,
    }
}

fn wire_side(side: DocumentSide) -> Side {
    match side {
        DocumentSide::Front => Side::Front,
        DocumentSide::Back => Side::Back,
        DocumentSide::PhotoPage => Side::PhotoPage,
    }
}

fn nothing_to_review() -> WorldError {
    WorldError::bad_request(
        "nothing_to_review",
        "Aucune identification de cet apprenant n'attend d'examen.",
    )
}

// ----- review desk -----

/// The identifications waiting for review, oldest first (time is let pass first, so that one
/// the automatic review has decided is no longer listed).
pub(super) async fn review_queue(world: &World) -> Result<Vec<ReviewQueueItem>, WorldError> {
    world.sweep().await?;
    let ids = world.learners_under_review().await?;
    let mut queue = Vec::with_capacity(ids.len());
    for id in ids {
        let journey = world.journey_of(&id).await?;
        let Some(review) = under_review(&journey) else {
            continue;
        };
        let view = world.learner(&id).await?;
        queue.push(ReviewQueueItem {
            learner_id: id,
            email: view.email,
            document_type: review.document_type,
            submitted_at: review.submitted_at,
            review_deadline: review.review_deadline,
            review: review.review,
        });
    }
    Ok(queue)
}

/// One identification under review, as the reviewer examines it.
pub(super) async fn submission(world: &World, learner_id: &str) -> Result<ReviewSubmission, WorldError> {
    let journey = world.journey_of(learner_id).await?;
    let review = under_review(&journey).ok_or_else(nothing_to_review)?;
    let view = world.learner(learner_id).await?;
    Ok(ReviewSubmission {
        learner_id: learner_id.to_owned(),
        email: view.email,
        document_type: review.document_type,
        spoken_digits: review.digits,
        photos: review.photos,
        video_media_id: review.video_media_id,
        submitted_at: review.submitted_at,
        review_deadline: review.review_deadline,
        review: review.review,
        identity: view.identity,
    })
}

/// What the review desk says once it has decided.
pub(super) fn review_done_fr(accepted: bool) -> &'static str {
    if accepted {
        "Identification acceptée : l'apprenant reçoit l'e-mail d'AR24 (« Consulter mon courrier ») et son code d'activation par SMS."
    } else {
        "Identification refusée : l'apprenant reçoit le motif par e-mail et peut recommencer."
    }
}

/// The reviewer's decision: a journey command (`Actor::Reviewer`, journaled with its reason),
/// then the staff audit's line `review` (`accepte` or `refuse:<reason>`).
pub(super) async fn decide_review(
    world: &World,
    session: &StaffSession,
    learner_id: &str,
    verdict: &ReviewVerdict,
) -> Result<ReviewDecided, WorldError> {
    let decision = match verdict {
        ReviewVerdict::Accept => ReviewDecision::Accepted,
        ReviewVerdict::Refuse { reason } => {
            let reason = RefusalReason::from_code(reason.trim()).ok_or_else(|| {
                let codes: Vec<&str> = RefusalReason::ALL.iter().map(|reason| reason.code()).collect();
                WorldError::bad_request(
                    "unknown_refusal_reason",
                    format!(
                        "Motif de refus inconnu : choisissez un des motifs du bureau d'examen ({}).",
                        codes.join(", ")
                    ),
                )
            })?;
            ReviewDecision::Refused(reason)
        }
    };
    let view = world.review_identification(learner_id, decision).await?;
    let (accepted, refusal_reason) = match decision {
        ReviewDecision::Accepted => (true, None),
        ReviewDecision::Refused(reason) => (false, Some(reason.code())),
    };
    let detail = refusal_reason.map_or_else(|| "accepte".to_owned(), |code| format!("refuse:{code}"));
    auth::audit_done(world, session, "review", Some(learner_id), Some(&detail)).await;
    Ok(ReviewDecided {
        learner_id: learner_id.to_owned(),
        step: view.step,
        step_label: view.step_label,
        accepted,
        refusal_reason: refusal_reason.map(str::to_owned),
        message: review_done_fr(accepted).to_owned(),
    })
}

/// The review mode's code in the staff audit, as the learner page's form names it.
pub(super) fn review_mode_code(desk: bool) -> &'static str {
    if desk {
        "manuelle"
    } else {
        "automatique"
    }
}

/// « Revue manuelle » or automatic review for one learner (journaled as a trainer's setting),
/// then the staff audit's line `set_review_mode`.
pub(super) async fn set_review_desk(
    world: &World,
    session: &StaffSession,
    learner_id: &str,
    setting: ReviewDeskSetting,
) -> Result<ReviewDeskSetting, WorldError> {
    world.set_review_desk(learner_id, setting.desk).await?;
    auth::audit_done(
        world,
        session,
        "set_review_mode",
        Some(learner_id),
        Some(review_mode_code(setting.desk)),
    )
    .await;
    Ok(setting)
}

// ----- clerk desk -----

/// The clerk looks up the face-to-face code the person brings: the identity confirmed in the
/// app, to compare with the document. Audited (`clerk_lookup`): it shows a person's identity.
pub(super) async fn clerk_case(
    world: &World,
    session: &StaffSession,
    code: &str,
) -> Result<ClerkCase, WorldError> {
    let lookup = world.clerk_lookup(code.trim()).await?;
    let view = world.learner(&lookup.learner_id).await?;
    let identity = view.identity.ok_or_else(|| {
        WorldError::Corrupt(format!(
            "learner {} awaits the clerk without an identity",
            lookup.learner_id
        ))
    })?;
    auth::audit_done(world, session, "clerk_lookup", Some(&lookup.learner_id), None).await;
    Ok(ClerkCase {
        learner_id: lookup.learner_id,
        valid_until: lookup.valid_until,
        identity,
    })
}

/// The clerk's decision: validate with what the document shows, or send the person away.
pub(super) async fn decide_clerk(
    world: &World,
    session: &StaffSession,
    verdict: &ClerkVerdict,
) -> Result<ClerkDecided, WorldError> {
    match verdict {
        ClerkVerdict::Validate { code, presented } => {
            clerk_validate(world, session, code.trim(), presented).await
        }
        ClerkVerdict::Refuse { code, reason } => clerk_refuse(world, session, code.trim(), reason).await,
    }
}

/// A journey command (`Actor::Clerk`): the journey compares the document with the confirmed
/// identity and refuses a different one. Audited as `clerk_validate`.
async fn clerk_validate(
    world: &World,
    session: &StaffSession,
    code: &str,
    presented: &CopiedDocument,
) -> Result<ClerkDecided, WorldError> {
    let document_type = DocumentKind::from_code(presented.document_type.trim()).ok_or_else(|| {
        WorldError::bad_request(
            "invalid_document_type",
            "Type de pièce inconnu : cni, passeport ou titre_de_sejour.",
        )
    })?;
    let birth_date = NaiveDate::parse_from_str(presented.birth_date.trim(), "%Y-%m-%d").map_err(|_| {
        WorldError::bad_request(
            "invalid_date",
            "Date de naissance invalide : attendue au format AAAA-MM-JJ.",
        )
    })?;
    let view = world
        .clerk_validate(ClerkValidation {
            code: code.to_owned(),
            document_type,
            birth_name: presented.birth_name.clone(),
            birth_date,
            document_number_ending: presented.document_number_ending.clone(),
        })
        .await?;
    auth::audit_done(world, session, "clerk_validate", Some(&view.id), None).await;
    let message = format!(
        "Identité validée au guichet pour {} : l'apprenant finalise son Identité Numérique dans l'application, avec le même code d'activation.",
        view.email.as_deref().unwrap_or("l'apprenant")
    );
    Ok(ClerkDecided {
        learner_id: view.id,
        step: view.step,
        step_label: view.step_label,
        validated: true,
        code_valid_until: None,
        message,
    })
}

/// Leaves the journey where it is (the code stays valid) and journals the refusal with its
/// reason (`guichet clerk_refuse`). Audited as `clerk_refuse` with the reason's code.
async fn clerk_refuse(
    world: &World,
    session: &StaffSession,
    code: &str,
    reason: &str,
) -> Result<ClerkDecided, WorldError> {
    let reason = ClerkRefusalReason::from_code(reason.trim()).ok_or_else(|| {
        WorldError::bad_request(
            "invalid_reason",
            "Motif de refus inconnu : piece_differente, piece_expiree ou personne_differente.",
        )
    })?;
    let lookup = world.clerk_lookup(code).await?;
    let view = world
        .journal_desk_decision(
            &lookup.learner_id,
            Actor::Clerk,
            "clerk_refuse",
            JournalDetail::ClerkRefused {
                reason: reason.code().to_owned(),
            },
        )
        .await?;
    auth::audit_done(
        world,
        session,
        "clerk_refuse",
        Some(&lookup.learner_id),
        Some(reason.code()),
    )
    .await;
    Ok(ClerkDecided {
        learner_id: lookup.learner_id,
        step: view.step,
        step_label: view.step_label,
        validated: false,
        code_valid_until: Some(lookup.valid_until),
        message: format!(
            "Validation refusée au guichet. Le code reste valable jusqu'au {} : la personne peut revenir avec la bonne pièce.",
            when(lookup.valid_until)
        ),
    })
}
