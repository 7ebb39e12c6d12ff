//! The learners' pages: the live list with its search, a learner's page (state, blockers,
//! identity, clock, files, messages, journal), their files, and the trainer's review mode for
//! one learner.

use super::auth::{Role, StaffSession};
use super::clock_pages::learner_clock_card;
use super::desks::{self, UnderReview};
use super::handlers::{
    desk_from, failure, form_encode, how_long, identity_facts, media_html, see_other, side_label, ReviewMode,
    Session, Shared,
};
use super::pages::{self, csrf, esc, facts, notice, when};
use crate::api::{InboxMessage, LearnerSituation, LearnerView, ReviewDeskSetting, ReviewPolicy};
use crate::store::OversightReads;
use crate::{World, WorldError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use idn_journey::verification::RefusalReason;
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default)]
pub struct Search {
    #[serde(default)]
    q: String,
}

struct Row_ {
    view: LearnerView,
    situation: LearnerSituation,
    since: Option<DateTime<Utc>>,
}

async fn learner_rows_data(world: &World, query: &str) -> Result<Vec<Row_>, WorldError> {
    let views = world.learners().await?;
    // "Since" is read in each learner's time; shown against the class clock, it is moved back by
    // the learner's own advance.
    let since: HashMap<String, DateTime<Utc>> = world
        .store()
        .read()
        .await
        .last_step_changes()?
        .into_iter()
        .map(|change| (change.learner_id, change.at - change.clock_offset))
        .collect();
    let needle = query.trim().to_lowercase();
    let mut rows = Vec::new();
    for view in views {
        let situation = world.situation(&view.id).await?;
        let name = situation
            .profile
            .as_ref()
            .map(|profile| format!("{} {}", profile.first_name, profile.last_name))
            .unwrap_or_default();
        let haystack = format!(
            "{} {} {} {} {} {} {}",
            view.id,
            view.email.as_deref().unwrap_or_default(),
            view.mobile.as_deref().unwrap_or_default(),
            name,
            view.step.code(),
            view.step_label,
            situation
                .blockers
                .iter()
                .map(|blocker| format!("{} {}", blocker.code, blocker.label))
                .collect::<Vec<_>>()
                .join(" ")
        )
        .to_lowercase();
        if !needle.is_empty() && !haystack.contains(&needle) {
            continue;
        }
        let since = since.get(&view.id).copied();
        rows.push(Row_ {
            view,
            situation,
            since,
        });
    }
    Ok(rows)
}

fn render_rows(rows: &[Row_], now: DateTime<Utc>) -> String {
    if rows.is_empty() {
        return r#"<tr><td colspan="5" class="hint">Aucun apprenant.</td></tr>"#.to_owned();
    }
    rows.iter()
        .map(|row| {
            let name = row
                .situation
                .profile
                .as_ref()
                .map(|profile| format!("{} {}", profile.first_name, profile.last_name))
                .unwrap_or_else(|| "—".to_owned());
            let blockers: String = if row.situation.blockers.is_empty() {
                "—".to_owned()
            } else {
                row.situation
                    .blockers
                    .iter()
                    .map(|blocker| {
                        format!(
                            r#"<span class="tag blocker" title="{}">{}</span>"#,
                            esc(&blocker.code),
                            esc(&blocker.label)
                        )
                    })
                    .collect()
            };
            format!(
                r#"<tr data-learner="{id}" data-step="{step}"><td><a href="/console/apprenants/{id}">{email}</a><br><span class="hint">{name}</span></td><td>{label}</td><td>{since}</td><td>{blockers}</td><td class="mono">{id}</td></tr>"#,
                id = esc(&row.view.id),
                step = esc(row.view.step.code()),
                email = esc(row.view.email.as_deref().unwrap_or("—")),
                name = esc(&name),
                label = esc(&row.view.step_label),
                since = esc(&row.since.map_or_else(|| "—".to_owned(), |at| how_long(now - at))),
            )
        })
        .collect()
}

pub async fn learners(
    State(world): Shared,
    Extension(session): Session,
    Query(search): Query<Search>,
) -> Response {
    let rows = match learner_rows_data(&world, &search.q).await {
        Ok(rows) => rows,
        Err(error) => return failure(&session, error),
    };
    let rows_url = format!("/console/apprenants/lignes?q={}", form_encode(&search.q));
    let body = format!(
        r#"<div class="card"><h1>Apprenants</h1>
<form method="get" action="/console/apprenants" class="row" role="search"><div><label for="q">Rechercher (adresse, nom, étape, blocage, identifiant)</label><input type="search" id="q" name="q" value="{q}"></div><div><button class="btn secondary" type="submit" id="rechercher">Rechercher</button></div></form>
<p class="hint" id="mis-a-jour" aria-live="polite">La liste se met à jour d'elle-même à chaque changement.</p>
<table data-live-rows="{rows_url}"><thead><tr><th>Apprenant</th><th>Étape</th><th>Depuis (temps simulé)</th><th>Blocages</th><th>Identifiant</th></tr></thead>
<tbody id="lignes">{rows}</tbody></table></div>"#,
        q = esc(&search.q),
        rows_url = esc(&rows_url),
        rows = render_rows(&rows, world.now()),
    );
    pages::layout(&session, "Apprenants", &body).into_response()
}

pub async fn learner_rows(
    State(world): Shared,
    Extension(session): Session,
    Query(search): Query<Search>,
) -> Response {
    match learner_rows_data(&world, &search.q).await {
        Ok(rows) => Html(render_rows(&rows, world.now())).into_response(),
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

fn inbox_html(messages: &[InboxMessage], folder: &str) -> String {
    let shown: Vec<&InboxMessage> = messages
        .iter()
        .filter(|message| message.folder == folder)
        .collect();
    if shown.is_empty() {
        return r#"<p class="hint">Aucun message.</p>"#.to_owned();
    }
    shown
        .iter()
        .map(|message| {
            let channel = match message.channel {
                crate::api::MessageChannel::Email => "E-mail",
                crate::api::MessageChannel::Sms => "SMS",
                crate::api::MessageChannel::Post => "Courrier",
            };
            format!(
                r#"<div class="message" data-folder="{folder}"><div class="meta">{channel} · {at} · de {sender} à {recipient}</div><strong>{subject}</strong><pre>{body}</pre></div>"#,
                folder = esc(folder),
                at = when(message.at),
                sender = esc(&message.sender),
                recipient = esc(&message.recipient),
                subject = esc(&message.subject),
                body = esc(&message.body),
            )
        })
        .collect()
}

#[derive(Deserialize)]
pub struct LearnerQuery {
    /// The scenario application that just put this learner here (its notice is shown).
    #[serde(default)]
    scenario: Option<String>,
}

pub async fn learner(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Query(query): Query<LearnerQuery>,
) -> Response {
    let landed = query
        .scenario
        .map(|job| super::scenarios::landed_notice(&world, &id, &job))
        .unwrap_or_default();
    match learner_page(&world, &session, &id, &landed).await {
        Ok(page) => page,
        Err(error) => failure(&session, error),
    }
}

async fn learner_page(
    world: &World,
    session: &StaffSession,
    id: &str,
    landed: &str,
) -> Result<Response, WorldError> {
    let view = world.learner(id).await?;
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
    let mut state = vec![
        ("Étape", format!("{} ({})", view.step_label, view.step.code())),
        (
            "Adresse électronique",
            view.email.clone().unwrap_or_else(|| "—".into()),
        ),
        ("Mobile", view.mobile.clone().unwrap_or_else(|| "—".into())),
        (
            "Prochaine échéance",
            view.next_deadline.map_or_else(|| "—".into(), when),
        ),
        (
            "Examen des identifications",
            if desk {
                "revue manuelle (guichet de revue)".into()
            } else {
                "automatique".into()
            },
        ),
        ("Réglage du formateur", policy),
    ];
    if let Some(letter) = &view.registered_letter {
        state.push(("Lettre AR24", letter.letter_id.clone()));
        if let Some(digits) = &letter.spoken_digits {
            state.push(("Chiffres demandés", digits.clone()));
        }
        if let Some(reason) = &letter.refusal_reason_label {
            state.push(("Dernier refus", reason.clone()));
        }
        state.push(("Refus", letter.refusals.to_string()));
    }
    let blockers = if situation.blockers.is_empty() {
        r#"<p class="hint">Aucun blocage.</p>"#.to_owned()
    } else {
        let items: String = situation
            .blockers
            .iter()
            .map(|blocker| {
                format!(
                    r#"<li><strong>{}</strong> <span class="hint mono">{}</span></li>"#,
                    esc(&blocker.label),
                    esc(&blocker.code)
                )
            })
            .collect();
        format!(r#"<ul id="blocages">{items}</ul>"#)
    };
    let pending_code = situation
        .pending_code
        .as_ref()
        .map(|code| {
            notice(
                "notice",
                &format!(
                    "Code attendu ({}) : valable jusqu'au {}{} — {} essai(s) et {} renvoi(s) restants.",
                    code.kind,
                    when(code.valid_until),
                    if code.expired { " (expiré)" } else { "" },
                    code.attempts_left,
                    code.resends_left
                ),
            )
        })
        .unwrap_or_default();
    let journal_rows: String = journal
        .iter()
        .map(|entry| {
            format!(
                r#"<tr><td>{}</td><td>{}</td><td>{}</td><td class="mono">{}</td><td>{}</td><td>{}</td><td class="mono">{} → {}</td></tr>"#,
                entry.seq,
                when(entry.at),
                esc(&entry.actor),
                esc(&entry.action),
                if entry.outcome == "ok" { "ok".to_owned() } else { format!(r#"<span class="tag blocker">{}</span>"#, esc(&entry.outcome)) },
                esc(entry.message.as_deref().unwrap_or("")),
                esc(entry.step_before.code()),
                esc(entry.step_after.code()),
            )
        })
        .collect();
    let withheld_html = if withheld.is_empty() {
        String::new()
    } else {
        let items: String = withheld
            .iter()
            .map(|message| {
                format!(
                    "<li>{} — {}</li>",
                    esc(&message.at.to_rfc3339()),
                    esc(&message.subject)
                )
            })
            .collect();
        format!(r#"<h3>Jamais reçus (retenus par le plan de distribution)</h3><ul>{items}</ul>"#)
    };
    let media_html_list: String = if media.is_empty() {
        r#"<p class="hint">Aucun fichier reçu.</p>"#.to_owned()
    } else {
        media
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
                    listing.created_at.format("%Y-%m-%d %H:%M")
                );
                media_html(id, media_id, &listing.content_type, &caption)
            })
            .collect()
    };
    let review_form = if session.role == Role::Trainer {
        format!(
            r#"<form method="post" action="/console/apprenants/{id}/revue">{csrf}<input type="hidden" name="mode" value="{mode}"><button class="btn secondary" type="submit" id="basculer-revue">{label}</button></form>"#,
            id = esc(id),
            csrf = csrf(session),
            mode = if desk { "automatique" } else { "manuelle" },
            label = if desk {
                "Revenir à l'examen automatique"
            } else {
                "Passer en revue manuelle"
            },
        )
    } else {
        String::new()
    };
    let review_link = if review.is_some() && matches!(session.role, Role::Trainer | Role::Reviewer) {
        format!(
            r#"<p><a class="btn primary" href="/console/revue/{}">Examiner cette identification</a></p>"#,
            esc(id)
        )
    } else {
        String::new()
    };
    let body = format!(
        r#"<div class="notice" data-live-notice data-learner="{id}" hidden>Cet apprenant a changé : <a href="/console/apprenants/{id}">recharger la page</a>.</div>
{landed}<div class="card"><h1>{title}</h1><p class="hint mono">{id}</p>
<div class="columns"><div><h2>État</h2>{state}{review_form}{review_link}</div><div><h2>Blocages</h2>{pending_code}{blockers}<h2>Identité saisie</h2>{identity}</div></div></div>
{clock}
<div class="card"><h2>Fichiers envoyés</h2><div class="media">{media}</div></div>
<div class="card"><h2>Messages reçus</h2><div class="columns"><div><h3>Boîte de réception</h3>{inbox}</div><div><h3>Courrier indésirable</h3>{spam}</div></div>{withheld}</div>
<div class="card"><h2>Journal</h2><table id="journal"><thead><tr><th>N°</th><th>Quand (simulé)</th><th>Qui</th><th>Action</th><th>Résultat</th><th>Message</th><th>Étape avant → après</th></tr></thead><tbody>{journal}</tbody></table></div>"#,
        id = esc(id),
        title = esc(view.email.as_deref().unwrap_or("Apprenant")),
        state = facts(
            &state
                .iter()
                .map(|(label, value)| (*label, value.clone()))
                .collect::<Vec<_>>()
        ),
        identity = identity_facts(view.identity.as_ref(), view.identity_confirmed),
        media = media_html_list,
        inbox = inbox_html(&inbox, "inbox"),
        spam = inbox_html(&inbox, "spam"),
        withheld = withheld_html,
        journal = journal_rows,
        clock = learner_clock_card(session, &clock),
    );
    Ok(pages::layout(session, "Apprenant", &body).into_response())
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
