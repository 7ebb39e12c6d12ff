//! What the console's page handlers share: their state and session extractors, the redirect
//! after a form, the failure page, and the blocks several pages show (identity, media).

use super::auth::StaffSession;
use super::pages::{self, Fact, Frame};
use crate::api::IdentitySummary;
use crate::{World, WorldError};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::TimeDelta;
use idn_journey::identity::DocumentSide;
use serde::Deserialize;
use std::sync::Arc;

pub(super) type Shared = State<Arc<World>>;
pub(super) type Session = Extension<StaffSession>;

/// The redirect after a form (303: the browser follows with a GET).
pub(super) fn see_other(to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

#[derive(Template)]
#[template(path = "console/failure.html")]
pub(super) struct FailurePage<'a> {
    pub frame: Frame<'a>,
    pub message: &'a str,
    /// The refusal's stable code, for support.
    pub code: Option<&'a str>,
    /// Where to go back to (the console's home when absent).
    pub back: Option<(&'static str, &'static str)>,
}

/// A refused or failed action, on a page of the console (never JSON, never a 5xx detail).
pub(super) fn failure(session: &StaffSession, error: WorldError) -> Response {
    let status = error.http_status();
    if status.is_server_error() {
        tracing::error!(%error, "console request failed");
    }
    pages::render(
        status,
        &FailurePage {
            frame: Frame::signed_in(session, "Action impossible"),
            message: &error.message_fr(),
            code: Some(error.code()),
            back: None,
        },
    )
}

/// A duration in French, to the minute.
pub(super) fn how_long(delta: TimeDelta) -> String {
    let minutes = delta.num_minutes().max(0);
    match minutes {
        0 => "moins d'une minute".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=1439 => format!("{} h {:02} min", minutes / 60, minutes % 60),
        _ => format!("{} j {} h", minutes / 1440, (minutes % 1440) / 60),
    }
}

/// A value for a URL's path or query.
pub(super) fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The French name of a photo's side.
pub(super) fn side_label(photo: &crate::api::SubmittedPhoto) -> &'static str {
    DocumentSide::from(photo.side).label_fr()
}

/// The identity a learner typed, as facts (none until it is typed); `confirmed` says whether it
/// can still change.
pub(super) fn identity_facts(identity: Option<&IdentitySummary>, confirmed: bool) -> Option<Vec<Fact>> {
    let identity = identity?;
    Some(vec![
        Fact::new("Pièce", identity.document_type.clone()),
        Fact::new("Prénom(s)", identity.given_names.join(", ")),
        Fact::new("Nom de naissance", identity.birth_name.clone()),
        Fact::new(
            "Nom d'usage",
            identity.usage_name.clone().unwrap_or_else(|| "—".into()),
        ),
        Fact::new(
            "Date de naissance",
            identity.birth_date.format("%d/%m/%Y").to_string(),
        ),
        Fact::new(
            "Lieu de naissance",
            if identity.birthplace.is_empty() {
                format!("à l'étranger (pays INSEE {})", identity.birth_country)
            } else {
                identity.birthplace.clone()
            },
        ),
        Fact::new("Nationalité", identity.nationality.clone()),
        Fact::new("Expire le", identity.expiry_date.format("%d/%m/%Y").to_string()),
        Fact::new(
            "4 derniers caractères de la pièce",
            identity.document_number_ending.clone(),
        ),
        Fact::new(
            "Confirmée",
            if confirmed {
                "oui (ne peut plus être modifiée)"
            } else {
                "non (en attente de confirmation)"
            },
        ),
    ])
}

/// A photo or the video a learner sent, as a page shows it (the `media` macro).
pub(super) struct Media {
    pub src: String,
    pub media_id: String,
    pub video: bool,
    pub caption: String,
}

impl Media {
    pub fn new(learner_id: &str, media_id: &str, content_type: &str, caption: String) -> Self {
        Self {
            src: format!(
                "/console/apprenants/{}/medias/{}",
                form_encode(learner_id),
                form_encode(media_id)
            ),
            media_id: media_id.to_owned(),
            video: content_type.starts_with("video/"),
            caption,
        }
    }
}

/// The review mode a trainer picks, for one learner or the whole class.
#[derive(Deserialize)]
pub struct ReviewMode {
    pub(super) mode: String,
}

pub(super) fn desk_from(mode: &str) -> Option<bool> {
    match mode {
        "manuelle" => Some(true),
        "automatique" => Some(false),
        _ => None,
    }
}
