//! The learners' pages: the class at a glance (live, with its search; `class_overview.rs`), a
//! learner's page (where they stand and what blocks them first, then their state, identity,
//! clock, files, messages and their journal in French), their files, and the trainer's review
//! mode for one learner.

use super::auth::{Role, StaffSession};
use super::class_overview::{learner_state, name_of, ClassOverview, RowState};
use super::clock_pages::{learner_clock_card, LearnerClockCard};
use super::desks::{self, UnderReview};
use super::handlers::{
    desk_from, failure, form_encode, identity_facts, see_other, side_label, Media, ReviewMode, Session,
    Shared,
};
use super::help_pages::HelpCard;
use super::journal_fr::{step_fr, JournalRow};
use super::pages::{self, when, Fact, Frame};
use super::scenarios::Landed;
use crate::api::{InboxMessage, MessageChannel, PendingCodeView, ReviewDeskSetting, ReviewPolicy};
use crate::federation::base_url;
use crate::store::OversightReads;
use crate::{World, WorldError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use idn_journey::verification::RefusalReason;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    q: String,
}

#[derive(Template)]
#[template(path = "console/learners.html")]
struct LearnersPage<'a> {
    frame: Frame<'a>,
    query: &'a str,
    live_url: String,
    overview: ClassOverview,
}

/// « La classe d'un coup d'œil »: the overview, live, and the search.
pub async fn learners(
    State(world): Shared,
    Extension(session): Session,
    Query(search): Query<Search>,
    headers: HeaderMap,
) -> Response {
    let overview = match ClassOverview::read(&world, &session, &search.q, base_url(&headers)).await {
        Ok(overview) => overview,
        Err(error) => return failure(&session, error),
    };
    pages::ok(&LearnersPage {
        frame: Frame::signed_in(&session, "Apprenants"),
        query: &search.q,
        live_url: format!("/console/apprenants/lignes?q={}", form_encode(&search.q)),
        overview,
    })
}

/// The overview alone, for the page's script to replace after a change.
pub async fn learner_rows(
    State(world): Shared,
    Extension(session): Session,
    Query(search): Query<Search>,
    headers: HeaderMap,
) -> Response {
    match ClassOverview::read(&world, &session, &search.q, base_url(&headers)).await {
        Ok(overview) => pages::ok(&overview),
        Err(error) => failure(&session, error),
    }
}

/// The world's change feed as server-sent `change` events carrying the learner's id.
pub async fn learner_feed(State(world): Shared) -> Response {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let changes = world.subscribe();
    let stream = futures_util::stream::unfold(changes, |mut changes| async move {
        let learner = match changes.recv().await {
            Ok(change) => change.learner_id,
            // Missed notifications: the page reloads what it shows anyway.
            Err(RecvError::Lagged(_)) => "*".to_owned(),
            Err(RecvError::Closed) => return None,
        };
        let event = Event::default().event("change").data(learner);
        Some((Ok::<_, std::convert::Infallible>(event), changes))
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

/// A message as the learner received it (or never did).
struct MessageView {
    channel: &'static str,
    at: String,
    sender: String,
    recipient: String,
    subject: String,
    body: String,
    folder: String,
}

fn messages_in(messages: &[InboxMessage], folder: &str) -> Vec<MessageView> {
    messages
        .iter()
        .filter(|message| message.folder == folder)
        .map(|message| MessageView {
            channel: match message.channel {
                MessageChannel::Email => "E-mail",
                MessageChannel::Sms => "SMS",
                MessageChannel::Post => "Courrier",
            },
            at: when(message.at),
            sender: message.sender.clone(),
            recipient: message.recipient.clone(),
            subject: message.subject.clone(),
            body: message.body.clone(),
            folder: message.folder.clone(),
        })
        .collect()
}

#[derive(Deserialize)]
pub struct LearnerQuery {
    /// The scenario application that just put this learner here (its notice is shown).
    #[serde(default)]
    scenario: Option<String>,
    /// The quick help just given (its notice is shown).
    #[serde(default)]
    aide: Option<String>,
}

/// The code a learner is waiting for, in French.
fn pending_code_fr(code: &PendingCodeView) -> String {
    let kind = match code.kind.as_str() {
        "email" => "le code reçu par e-mail",
        "sms" => "le code reçu par SMS",
        "face_to_face" => "le code de vérification en face à face",
        "activation" => "le code d'activation",
        other => other,
    };
    format!(
        "Code attendu : {kind}, valable jusqu'au {}{} — {} essai(s) et {} renvoi(s) restants.",
        when(code.valid_until),
        if code.expired { " (expiré)" } else { "" },
        code.attempts_left,
        code.resends_left
    )
}

#[derive(Template)]
#[template(path = "console/learner.html")]
struct LearnerPage<'a> {
    frame: Frame<'a>,
    id: &'a str,
    name: String,
    email: Option<String>,
    landed: Option<Landed>,
    /// « Aide apportée : … » after a quick help.
    helped: Option<String>,
    help: HelpCard,
    step: String,
    state: RowState,
    pending_code: Option<String>,
    facts: Vec<Fact>,
    /// A trainer switches this learner's review between the desk and the automatic review.
    review_switch: Option<bool>,
    /// The submission under review, for who may decide it.
    review_link: bool,
    identity: Option<Vec<Fact>>,
    clock: LearnerClockCard,
    media: Vec<Media>,
    inbox: Vec<MessageView>,
    spam: Vec<MessageView>,
    withheld: Vec<(String, String)>,
    journal: Vec<JournalRow>,
}

pub async fn learner(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Query(query): Query<LearnerQuery>,
) -> Response {
    let landed = query
        .scenario
        .and_then(|job| super::scenarios::landed_notice(&world, &id, &job));
    let helped = query.aide.as_deref().and_then(super::help_pages::done_notice);
    match learner_page(&world, &session, &id, landed, helped).await {
        Ok(page) => page,
        Err(error) => failure(&session, error),
    }
}

async fn learner_page(
    world: &World,
    session: &StaffSession,
    id: &str,
    landed: Option<Landed>,
    helped: Option<String>,
) -> Result<Response, WorldError> {
    let view = world.learner(id).await?;
    let help = HelpCard::of(world.help_offers(id).await?);
    let situation = world.situation(id).await?;
    let journal = world.journal(id).await?;
    let inbox = world.inbox(id).await?;
    let journey = world.journey_of(id).await?;
    let desk = world.review_desk(id).await?;
    let clock = world.learner_clock(id).await?;
    let (withheld, media) = {
        let reader = world.store().read().await;
        (reader.withheld_messages(id)?, reader.media_of(id)?)
    };
    let review: Option<UnderReview> = desks::under_review(&journey);
    let policy = match &view.review_policy {
        ReviewPolicy::Automatic => "aucun refus prévu".to_owned(),
        ReviewPolicy::RefuseNext { reason } => format!(
            "prochaine identification refusée ({})",
            RefusalReason::from_code(reason).map_or(reason.as_str(), |reason| reason.label_fr())
        ),
    };
    let mut facts = vec![
        Fact::new("Étape", step_fr(view.step)),
        Fact::new(
            "Adresse électronique",
            view.email.clone().unwrap_or_else(|| "—".into()),
        ),
        Fact::new("Mobile", view.mobile.clone().unwrap_or_else(|| "—".into())),
        Fact::new(
            "Prochaine échéance",
            view.next_deadline.map_or_else(|| "—".into(), when),
        ),
        Fact::new(
            "Examen des identifications",
            if desk {
                "revue manuelle (guichet de revue)"
            } else {
                "automatique"
            },
        ),
        Fact::new("Réglage du formateur", policy),
    ];
    if let Some(letter) = &view.registered_letter {
        facts.push(Fact::new("Lettre AR24", letter.letter_id.clone()));
        if let Some(digits) = &letter.spoken_digits {
            facts.push(Fact::new("Chiffres demandés", digits.clone()));
        }
        if let Some(reason) = &letter.refusal_reason_label {
            facts.push(Fact::new("Dernier refus", reason.clone()));
        }
        facts.push(Fact::new("Refus", letter.refusals.to_string()));
    }
    let media = media
        .iter()
        .map(|listing| {
            let media_id = &listing.media_id;
            let role = review.as_ref().and_then(|review| {
                if &review.video_media_id == media_id {
                    Some(format!(
                        "vidéo de la soumission en cours — chiffres demandés : {}",
                        review.digits
                    ))
                } else {
                    review
                        .photos
                        .iter()
                        .find(|photo| &photo.media_id == media_id)
                        .map(|photo| format!("photo de la soumission en cours ({})", side_label(photo)))
                }
            });
            let caption = format!(
                "{} · {} · {} Ko · reçu le {}",
                role.unwrap_or_else(|| "envoi précédent".into()),
                listing.content_type,
                listing.size / 1024,
                super::pages::when(listing.created_at)
            );
            Media::new(id, media_id, &listing.content_type, caption)
        })
        .collect();
    let name = name_of(&view, &situation);
    let state = learner_state(world, session.role, &view, &situation).await?;
    Ok(pages::ok(&LearnerPage {
        frame: Frame::signed_in(session, "Apprenant"),
        id,
        email: view.email.clone().filter(|email| *email != name),
        name,
        landed,
        helped,
        help,
        step: step_fr(view.step),
        state,
        pending_code: situation.pending_code.as_ref().map(pending_code_fr),
        facts,
        review_switch: (session.role == Role::Trainer).then_some(desk),
        review_link: review.is_some() && matches!(session.role, Role::Trainer | Role::Reviewer),
        identity: identity_facts(view.identity.as_ref(), view.identity_confirmed),
        clock: learner_clock_card(session, &clock),
        media,
        inbox: messages_in(&inbox, "inbox"),
        spam: messages_in(&inbox, "spam"),
        withheld: withheld
            .iter()
            .map(|message| (when(message.at), message.subject.clone()))
            .collect(),
        journal: journal.iter().map(JournalRow::from_entry).collect(),
    }))
}

pub async fn media(
    State(world): Shared,
    Extension(session): Session,
    Path((id, media_id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    // The bytes (up to 64 MB) are read on a blocking thread, never on an async worker.
    let (content_type, bytes) = match world.store().media_content(&id, &media_id).await {
        Ok(Some(found)) => found,
        Ok(None) => return failure(&session, WorldError::NotFound { what: "fichier" }),
        Err(error) => return failure(&session, error.into()),
    };
    // Browsers fetch videos by ranges to seek; one range is all they ask for.
    let range = headers
        .get(header::RANGE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("bytes="))
        .and_then(|value| value.split_once('-'))
        .and_then(|(start, end)| {
            let len = bytes.len();
            let (start, end) = match (start.parse::<usize>().ok(), end.parse::<usize>().ok()) {
                (Some(start), Some(end)) => (start, end.min(len.saturating_sub(1))),
                (Some(start), None) => (start, len.saturating_sub(1)),
                (None, Some(suffix)) => (len.saturating_sub(suffix), len.saturating_sub(1)),
                (None, None) => return None,
            };
            (start <= end && end < len).then_some((start, end))
        });
    let mut response = match range {
        Some((start, end)) => {
            let mut response = (StatusCode::PARTIAL_CONTENT, bytes[start..=end].to_vec()).into_response();
            if let Ok(value) = format!("bytes {start}-{end}/{}", bytes.len()).parse() {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            response
        }
        None => bytes.into_response(),
    };
    let headers = response.headers_mut();
    if let Ok(value) = content_type.parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::ACCEPT_RANGES, header::HeaderValue::from_static("bytes"));
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, no-store"),
    );
    response
}

pub async fn set_learner_review(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Form(form): Form<ReviewMode>,
) -> Response {
    let Some(desk) = desk_from(&form.mode) else {
        return failure(
            &session,
            WorldError::bad_request("invalid_review_mode", "Mode d'examen inconnu."),
        );
    };
    match desks::set_review_desk(&world, &session, &id, ReviewDeskSetting { desk }).await {
        Ok(_) => see_other(&format!("/console/apprenants/{}", form_encode(&id))),
        Err(error) => failure(&session, error),
    }
}
