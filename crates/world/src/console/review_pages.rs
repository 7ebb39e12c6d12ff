//! The review desk's pages: the queue with the class's review mode, one submission (video,
//! photos, confirmed identity) and the reviewer's decision, decided by `desks.rs`.

use super::auth::{self, Role, StaffSession};
use super::desks;
use super::handlers::{
    desk_from, failure, identity_facts, media_html, see_other, side_label, ReviewMode, Session, Shared,
};
use super::pages::{self, csrf, esc, notice, when};
use crate::api::{ReviewBy, ReviewVerdict};
use crate::{World, WorldError};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
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

async fn review_queue_page(
    world: &World,
    session: &StaffSession,
    done: &str,
) -> Result<Response, WorldError> {
    let queue = desks::review_queue(world).await?;
    let mut rows: String = queue
        .iter()
        .map(|item| {
            format!(
                r#"<tr data-learner="{id}"><td><a href="/console/revue/{id}">{email}</a></td><td>{doc}</td><td>{submitted}</td><td>{deadline}</td><td>{mode}</td></tr>"#,
                id = esc(&item.learner_id),
                email = esc(item.email.as_deref().unwrap_or("—")),
                doc = esc(item.document_type.label_fr()),
                submitted = when(item.submitted_at),
                deadline = when(item.review_deadline),
                mode = esc(&review_by_fr(item.review)),
            )
        })
        .collect();
    if rows.is_empty() {
        rows = r#"<tr><td colspan="5" class="hint">Aucune identification en attente d'examen.</td></tr>"#
            .to_owned();
    }
    let class_desk = world.class_review_desk().await?;
    let class_form = if session.role == Role::Trainer {
        format!(
            r#"<form method="post" action="/console/revue/mode" class="row">{csrf}<div><label for="mode-classe">Examen des identifications pour toute la classe</label><select id="mode-classe" name="mode"><option value="automatique"{auto}>Automatique (après le délai d'examen)</option><option value="manuelle"{manual}>Revue manuelle (guichet de revue)</option></select></div><div><button class="btn secondary" type="submit" id="appliquer-mode">Appliquer à toute la classe</button></div></form><p class="hint">S'applique aux apprenants existants (chaque changement est journalisé) et à ceux créés ensuite. Chaque apprenant peut aussi être réglé depuis sa page.</p>"#,
            csrf = csrf(session),
            auto = if class_desk { "" } else { " selected" },
            manual = if class_desk { " selected" } else { "" },
        )
    } else {
        String::new()
    };
    let done = match done {
        "accepte" => notice("success", desks::review_done_fr(true)),
        "refuse" => notice("success", desks::review_done_fr(false)),
        _ => String::new(),
    };
    let body = format!(
        r#"{done}<div class="notice" data-live-notice hidden>Du nouveau : <a href="/console/revue">recharger la file</a>.</div>
<div class="card"><h1>Guichet de revue AR24</h1><p>Identifications visuelles en ligne en attente d'examen (au plus 24 heures ouvrées).</p>
<table id="file-revue"><thead><tr><th>Apprenant</th><th>Pièce</th><th>Soumise le</th><th>Décision au plus tard</th><th>Examen</th></tr></thead><tbody>{rows}</tbody></table></div>
<div class="card"><h2>Mode d'examen</h2><p>Classe : <strong id="mode-actuel">{current}</strong></p>{class_form}</div>"#,
        current = if class_desk {
            "revue manuelle"
        } else {
            "automatique"
        },
    );
    Ok(pages::layout(session, "Guichet de revue", &body).into_response())
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

pub async fn review_page(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
) -> Response {
    let review = match desks::submission(&world, &id).await {
        Ok(review) => review,
        Err(error) => return failure(&session, error),
    };
    let photos: String = review
        .photos
        .iter()
        .map(|photo| {
            media_html(
                &id,
                &photo.media_id,
                "image/jpeg",
                &format!("Photo : {}", side_label(photo)),
            )
        })
        .collect();
    let video = media_html(
        &id,
        &review.video_media_id,
        "video/mp4",
        "Vidéo : visage, chiffres dits à voix haute, recto de la pièce",
    );
    let reasons: String = RefusalReason::ALL
        .iter()
        .map(|reason| {
            format!(
                r#"<option value="{}">{}</option>"#,
                reason.code(),
                esc(reason.label_fr())
            )
        })
        .collect();
    let body = format!(
        r#"<div class="card"><h1>Examen de l'identification visuelle</h1><p><a href="/console/apprenants/{id}">{email}</a> · pièce : {doc} · soumise le {submitted} · décision au plus tard le {deadline}</p>
<p>Chiffres demandés à l'écran :</p><p class="digits" id="chiffres">{digits}</p>
<div class="media">{video}{photos}</div></div>
<div class="columns"><div class="card"><h2>Données confirmées par l'apprenant</h2>{identity}</div>
<div class="card"><h2>Décision</h2><p>Vérifiez : la personne dit bien les chiffres demandés, son visage est visible sans lunettes, la pièce est lisible, sans reflet ni étui, valide, et ses données sont celles saisies.</p>
<form method="post" action="/console/revue/{id}">{csrf}<input type="hidden" name="decision" value="accepter"><button class="btn primary" type="submit" id="accepter">Accepter l'identification</button></form>
<form method="post" action="/console/revue/{id}">{csrf}<input type="hidden" name="decision" value="refuser"><label for="motif">Motif du refus</label><select id="motif" name="reason" required>{reasons}</select><button class="btn danger" type="submit" id="refuser">Refuser avec ce motif</button></form></div></div>"#,
        id = esc(&id),
        email = esc(review.email.as_deref().unwrap_or("—")),
        doc = esc(review.document_type.label_fr()),
        submitted = when(review.submitted_at),
        deadline = when(review.review_deadline),
        digits = esc(&review.spoken_digits),
        // A submission is only made once the identity is confirmed.
        identity = identity_facts(review.identity.as_ref(), true),
        csrf = csrf(&session),
    );
    pages::layout(&session, "Examen", &body).into_response()
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
