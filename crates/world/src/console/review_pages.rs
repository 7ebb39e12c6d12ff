//! The review desk's pages: the queue with the class's review mode, one submission (video,
//! photos, confirmed identity) and the reviewer's decision, decided by `desks.rs`.

use super::auth::{self, Role, StaffSession};
use super::class_overview::learner_name;
use super::desks;
use super::handlers::{
    desk_from, failure, identity_facts, see_other, side_label, Media, ReviewMode, Session, Shared,
};
use super::pages::{self, when, Fact, Frame};
use crate::api::{ReviewBy, ReviewVerdict};
use crate::{World, WorldError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Extension, Form};
use idn_journey::verification::RefusalReason;
use serde::Deserialize;

/// Who decides a submission under review, in French.
fn review_by_fr(review: ReviewBy) -> String {
    match review {
        ReviewBy::Desk => "revue manuelle".to_owned(),
        ReviewBy::Automatic { decide_at } => format!("automatique le {}", when(decide_at)),
    }
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    fait: String,
}

pub async fn review_queue(
    State(world): Shared,
    Extension(session): Session,
    Query(done): Query<Done>,
) -> Response {
    match review_queue_page(&world, &session, &done.fait).await {
        Ok(page) => page,
        Err(error) => failure(&session, error),
    }
}

/// One identification of the queue, as its row shows it.
struct QueueRow {
    learner_id: String,
    /// The learner by name (their email under it when it differs).
    name: String,
    email: Option<String>,
    document: &'static str,
    submitted: String,
    deadline: String,
    review: String,
}

#[derive(Template)]
#[template(path = "console/review_queue.html")]
struct ReviewQueuePage<'a> {
    frame: Frame<'a>,
    done: Option<&'static str>,
    rows: Vec<QueueRow>,
    class_desk: bool,
    trainer: bool,
}

async fn review_queue_page(
    world: &World,
    session: &StaffSession,
    done: &str,
) -> Result<Response, WorldError> {
    let queue = desks::review_queue(world).await?;
    let mut rows = Vec::with_capacity(queue.len());
    for item in &queue {
        let name = learner_name(world, &item.learner_id).await?;
        rows.push(QueueRow {
            learner_id: item.learner_id.clone(),
            email: item.email.clone().filter(|email| *email != name),
            name,
            document: item.document_type.label_fr(),
            submitted: when(item.submitted_at),
            deadline: when(item.review_deadline),
            review: review_by_fr(item.review),
        });
    }
    let class_desk = world.class_review_desk().await?;
    let done = match done {
        "accepte" => Some(desks::review_done_fr(true)),
        "refuse" => Some(desks::review_done_fr(false)),
        _ => None,
    };
    Ok(pages::ok(&ReviewQueuePage {
        frame: Frame::signed_in(session, "Guichet de revue"),
        done,
        rows,
        class_desk,
        trainer: session.role == Role::Trainer,
    }))
}

pub async fn set_class_review(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<ReviewMode>,
) -> Response {
    let Some(desk) = desk_from(&form.mode) else {
        return failure(
            &session,
            WorldError::bad_request("invalid_review_mode", "Mode d'examen inconnu."),
        );
    };
    match world.set_class_review_desk(desk).await {
        Ok(()) => {
            auth::audit_done(
                &world,
                &session,
                "set_class_review_mode",
                None,
                Some(desks::review_mode_code(desk)),
            )
            .await;
            see_other("/console/revue")
        }
        Err(error) => failure(&session, error),
    }
}

/// A refusal reason offered to the reviewer.
struct ReasonOption {
    code: &'static str,
    label: &'static str,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage<'a> {
    frame: Frame<'a>,
    learner_id: &'a str,
    name: String,
    email: Option<String>,
    document: &'static str,
    submitted: String,
    deadline: String,
    digits: String,
    media: Vec<Media>,
    identity: Option<Vec<Fact>>,
    reasons: Vec<ReasonOption>,
}

pub async fn review_page(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
) -> Response {
    let review = match desks::submission(&world, &id).await {
        Ok(review) => review,
        Err(error) => return failure(&session, error),
    };
    let mut media = vec![Media::new(
        &id,
        &review.video_media_id,
        "video/mp4",
        "Vidéo : visage, chiffres dits à voix haute, recto de la pièce".to_owned(),
    )];
    media.extend(review.photos.iter().map(|photo| {
        Media::new(
            &id,
            &photo.media_id,
            "image/jpeg",
            format!("Photo : {}", side_label(photo)),
        )
    }));
    let name = match learner_name(&world, &id).await {
        Ok(name) => name,
        Err(error) => return failure(&session, error),
    };
    pages::ok(&ReviewPage {
        frame: Frame::signed_in(&session, "Examen"),
        learner_id: &id,
        email: review.email.clone().filter(|email| *email != name),
        name,
        document: review.document_type.label_fr(),
        submitted: when(review.submitted_at),
        deadline: when(review.review_deadline),
        digits: review.spoken_digits.clone(),
        media,
        // A submission is only made once the identity is confirmed.
        identity: identity_facts(review.identity.as_ref(), true),
        reasons: RefusalReason::ALL
            .iter()
            .map(|reason| ReasonOption {
                code: reason.code(),
                label: reason.label_fr(),
            })
            .collect(),
    })
}

#[derive(Deserialize)]
pub struct ReviewForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

pub async fn review_decide(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Response {
    let verdict = match form.decision.as_str() {
        "accepter" => ReviewVerdict::Accept,
        "refuser" => ReviewVerdict::Refuse { reason: form.reason },
        _ => {
            return failure(
                &session,
                WorldError::bad_request("invalid_decision", "Décision inconnue."),
            )
        }
    };
    match desks::decide_review(&world, &session, &id, &verdict).await {
        Ok(decided) if decided.accepted => see_other("/console/revue?fait=accepte"),
        Ok(_) => see_other("/console/revue?fait=refuse"),
        Err(error) => failure(&session, error),
    }
}
