//! What the console's page handlers share: their state and session extractors, the redirect
//! after a form, the failure page, and the blocks several pages show (identity, media).

use super::auth::StaffSession;
use super::pages::{self, esc, facts};
use crate::api::IdentitySummary;
use crate::{World, WorldError};
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

/// A refused or failed action, on a page of the console (never JSON, never a 5xx detail).
pub(super) fn failure(session: &StaffSession, error: WorldError) -> Response {
    let status = error.http_status();
    if status.is_server_error() {
        tracing::error!(%error, "console request failed");
    }
    let body = format!(
        r#"<div class="card"><h1>Action impossible</h1>{}<p class="hint">Code : {}</p><p class="links"><a href="/console">Retour à la console</a></p></div>"#,
        pages::notice("error", &error.message_fr()),
        esc(error.code())
    );
    (status, pages::layout(session, "Action impossible", &body)).into_response()
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

/// The identity a learner typed; `confirmed` says whether it can still change.
pub(super) fn identity_facts(identity: Option<&IdentitySummary>, confirmed: bool) -> String {
    match identity {
        Some(identity) => facts(&[
            ("Pièce", identity.document_type.clone()),
            ("Prénoms", identity.given_names.join(", ")),
            ("Nom de naissance", identity.birth_name.clone()),
            (
                "Nom d'usage",
                identity.usage_name.clone().unwrap_or_else(|| "—".into()),
            ),
            (
                "Date de naissance",
                identity.birth_date.format("%d/%m/%Y").to_string(),
            ),
            (
                "Lieu de naissance",
                if identity.birthplace.is_empty() {
                    format!("à l'étranger (pays INSEE {})", identity.birth_country)
                } else {
                    identity.birthplace.clone()
                },
            ),
            ("Nationalité", identity.nationality.clone()),
            ("Expire le", identity.expiry_date.format("%d/%m/%Y").to_string()),
            (
                "Fin du numéro de la pièce",
                identity.document_number_ending.clone(),
            ),
            (
                "Confirmée",
                if confirmed {
                    "oui (ne peut plus être modifiée)"
                } else {
                    "non (en attente de confirmation)"
                }
                .into(),
            ),
        ]),
        None => r#"<p class="hint">Pas encore saisie.</p>"#.to_owned(),
    }
}

pub(super) fn media_html(learner_id: &str, media_id: &str, content_type: &str, caption: &str) -> String {
    let src = format!(
        "/console/apprenants/{}/medias/{}",
        form_encode(learner_id),
        form_encode(media_id)
    );
    let element = if content_type.starts_with("video/") {
        format!(
            r#"<video controls preload="metadata" src="{}" data-media="{}"></video>"#,
            esc(&src),
            esc(media_id)
        )
    } else {
        format!(
            r#"<img src="{}" alt="{}" data-media="{}">"#,
            esc(&src),
            esc(caption),
            esc(media_id)
        )
    };
    format!(
        r#"<figure>{element}<figcaption class="hint">{}</figcaption></figure>"#,
        esc(caption)
    )
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
