//! The console's pages and forms: each handler translates its query or form into a call (the
//! desks' decisions in `desks.rs`, shared with the JSON desk API; the world's own methods, the
//! same the API uses, so every change goes through the journey, one transaction with its journal
//! line) and renders the French page.

use super::auth::{self, Role, StaffSession};
use super::desks::{self, UnderReview};
use super::pages::{self, csrf, esc, facts, notice, when};
use super::{
    cleared_session_cookie, cookie, secure_suffix, session_cookie, set_cookie, LOGIN_COOKIE, SESSION_COOKIE,
};
use crate::api::{
    ClerkCase, ClerkRefusalReason, ClerkVerdict, ClockMode, CopiedDocument, DocumentKind, IdentitySummary,
    InboxMessage, LearnerClockView, LearnerSituation, LearnerView, ReviewBy, ReviewDeskSetting, ReviewPolicy,
    ReviewVerdict,
};
use crate::{World, WorldError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::identity::DocumentSide;
use idn_journey::verification::RefusalReason;
use serde::Deserialize;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;

type Shared = State<Arc<World>>;
type Session = Extension<StaffSession>;

const STYLE: &str = include_str!("../../console-assets/style.css");
const SCRIPT: &str = include_str!("../../console-assets/console.js");

fn see_other(to: &str) -> Response {
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

fn how_long(delta: TimeDelta) -> String {
    let minutes = delta.num_minutes().max(0);
    match minutes {
        0 => "moins d'une minute".to_owned(),
        1..=59 => format!("{minutes} min"),
        60..=1439 => format!("{} h {:02} min", minutes / 60, minutes % 60),
        _ => format!("{} j {} h", minutes / 1440, (minutes % 1440) / 60),
    }
}

// ----- static files -----

pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLE,
    )
        .into_response()
}

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        SCRIPT,
    )
        .into_response()
}

// ----- sign-in -----

fn login_form(headers: &HeaderMap, error: Option<&str>, status: StatusCode) -> Response {
    let token = auth::fresh_token();
    let mut response = (status, pages::login(&token, error)).into_response();
    set_cookie(
        &mut response,
        format!(
            "{LOGIN_COOKIE}={token}; Path=/console/connexion; HttpOnly; SameSite=Strict; Max-Age=1800{}",
            secure_suffix(headers)
        ),
    );
    response
}

pub async fn login_page(State(world): Shared, headers: HeaderMap) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        if let Ok(Some(_)) = auth::session(&world, &token).await {
            return see_other("/console");
        }
    }
    login_form(&headers, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    email: String,
    password: String,
}

pub async fn login(State(world): Shared, headers: HeaderMap, Form(form): Form<LoginForm>) -> Response {
    let sent_back = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if sent_back.is_empty() || !auth::same_secret(&sent_back, &form.csrf) {
        return login_form(&headers, Some(pages::LOGIN_FORM_EXPIRED), StatusCode::FORBIDDEN);
    }
    match auth::open_session(&world, &form.email, &form.password).await {
        Ok(Ok((token, _))) => {
            let mut response = see_other("/console");
            set_cookie(&mut response, session_cookie(&token, &headers));
            set_cookie(
                &mut response,
                format!("{LOGIN_COOKIE}=; Path=/console/connexion; HttpOnly; SameSite=Strict; Max-Age=0"),
            );
            response
        }
        Ok(Err(refusal)) => login_form(
            &headers,
            Some(&refusal.message_fr(super::Surface::Page)),
            refusal.status(),
        ),
        Err(error) => error.into_response(),
    }
}

pub async fn logout(State(world): Shared, Extension(session): Session, headers: HeaderMap) -> Response {
    let token = cookie(&headers, SESSION_COOKIE);
    if let Err(error) = auth::close_session(&world, &session, token.as_deref()).await {
        return error.into_response();
    }
    let mut response = see_other("/console/connexion");
    set_cookie(&mut response, cleared_session_cookie());
    response
}

pub async fn home(Extension(session): Session) -> Response {
    see_other(match session.role {
        Role::Trainer | Role::SupportAgent => "/console/apprenants",
        Role::Reviewer => "/console/revue",
        Role::Clerk => "/console/guichet",
    })
}

// ----- learners -----

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
    let since: HashMap<String, String> = sqlx::query(
        "SELECT learner_id, MAX(at) AS since FROM journal WHERE step_before <> step_after GROUP BY learner_id",
    )
    .fetch_all(world.pool())
    .await?
    .iter()
    .map(|row| (row.get("learner_id"), row.get("since")))
    .collect();
    // "Since" is read in each learner's time; shown against the class clock, it is moved back by
    // the learner's own advance.
    let offsets: HashMap<String, i64> =
        sqlx::query_as("SELECT id, clock_offset_seconds FROM learners WHERE clock_offset_seconds <> 0")
            .fetch_all(world.pool())
            .await?
            .into_iter()
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
        let since = since
            .get(&view.id)
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| at.to_utc() - TimeDelta::seconds(offsets.get(&view.id).copied().unwrap_or(0)));
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

pub(super) fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            other => format!("%{other:02X}"),
        })
        .collect()
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

/// The French name of a photo's side.
fn side_label(photo: &crate::api::SubmittedPhoto) -> &'static str {
    DocumentSide::from(photo.side).label_fr()
}

/// Who decides a submission under review, in French.
fn review_by_fr(review: ReviewBy) -> String {
    match review {
        ReviewBy::Desk => "revue manuelle".to_owned(),
        ReviewBy::Automatic { decide_at } => format!("automatique le {}", when(decide_at)),
    }
}

/// The identity a learner typed; `confirmed` says whether it can still change.
fn identity_facts(identity: Option<&IdentitySummary>, confirmed: bool) -> String {
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

fn media_html(learner_id: &str, media_id: &str, content_type: &str, caption: &str) -> String {
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
    let withheld: Vec<(String, String)> = sqlx::query_as(
        "SELECT at, subject FROM inbox WHERE learner_id = ? AND folder = 'withheld' ORDER BY id",
    )
    .bind(id)
    .fetch_all(world.pool())
    .await?;
    let media: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, content_type, created_at, size FROM media WHERE learner_id = ? ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(world.pool())
    .await?;
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
            .map(|(at, subject)| format!("<li>{} — {}</li>", esc(at), esc(subject)))
            .collect();
        format!(r#"<h3>Jamais reçus (retenus par le plan de distribution)</h3><ul>{items}</ul>"#)
    };
    let media_html_list: String = if media.is_empty() {
        r#"<p class="hint">Aucun fichier reçu.</p>"#.to_owned()
    } else {
        media
            .iter()
            .map(|(media_id, content_type, created_at, size)| {
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
                    content_type,
                    size / 1024,
                    created_at.get(..16).unwrap_or(created_at).replace('T', " ")
                );
                media_html(id, media_id, content_type, &caption)
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
    let row: Result<Option<(String, Vec<u8>)>, sqlx::Error> =
        sqlx::query_as("SELECT content_type, bytes FROM media WHERE id = ? AND learner_id = ?")
            .bind(&media_id)
            .bind(&id)
            .fetch_optional(world.pool())
            .await;
    let (content_type, bytes) = match row {
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

#[derive(Deserialize)]
pub struct ReviewMode {
    mode: String,
}

fn desk_from(mode: &str) -> Option<bool> {
    match mode {
        "manuelle" => Some(true),
        "automatique" => Some(false),
        _ => None,
    }
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

// ----- review desk -----

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

// ----- clerk desk -----

#[derive(Deserialize, Default)]
pub struct ClerkQuery {
    #[serde(default)]
    code: String,
}

fn clerk_body(code: &str, found: &str, result: &str) -> String {
    format!(
        r#"{result}<div class="card"><h1>Guichet face à face</h1><p>La personne présente sa pièce d'identité et son code de vérification en face à face (reçu par SMS ou par courrier).</p>
<form method="get" action="/console/guichet" class="row"><div><label for="code">Code de vérification en face à face</label><input type="text" id="code" name="code" value="{code}" autocomplete="off" required></div><div><button class="btn primary" type="submit" id="rechercher-code">Rechercher</button></div></form></div>{found}"#,
        code = esc(code),
        found = found,
        result = result,
    )
}

pub async fn clerk_page(
    State(world): Shared,
    Extension(session): Session,
    Query(query): Query<ClerkQuery>,
) -> Response {
    let code = query.code.trim().to_owned();
    let found = if code.is_empty() {
        String::new()
    } else {
        match desks::clerk_case(&world, &session, &code).await {
            Ok(case) => clerk_found(&session, &code, &case),
            Err(error) => notice("error", &error.message_fr()),
        }
    };
    pages::layout(&session, "Guichet face à face", &clerk_body(&code, &found, "")).into_response()
}

/// The identity to compare and the clerk's two forms (validate, send away).
fn clerk_found(session: &StaffSession, code: &str, case: &ClerkCase) -> String {
    let kinds: String = DocumentKind::ALL
        .iter()
        .map(|kind| {
            format!(
                r#"<option value="{}">{}</option>"#,
                kind.code(),
                esc(kind.label_fr())
            )
        })
        .collect();
    let reasons: String = ClerkRefusalReason::ALL
        .iter()
        .map(|reason| {
            format!(
                r#"<option value="{}">{}</option>"#,
                reason.code(),
                esc(&capitalized(reason.label_fr()))
            )
        })
        .collect();
    format!(
        r#"<div class="columns"><div class="card" id="fiche"><h2>Données confirmées dans l'application</h2><p>Code valable jusqu'au {until}.</p>{identity}</div>
<div class="card"><h2>Pièce présentée au guichet</h2><p class="hint">Recopiez ce que montre la pièce : le service compare avec les données confirmées.</p>
<form method="post" action="/console/guichet">{csrf}<input type="hidden" name="code" value="{code}"><input type="hidden" name="decision" value="valider">
<label for="type">Type de pièce</label><select id="type" name="document_type">{kinds}</select>
<label for="nom">Nom de naissance</label><input type="text" id="nom" name="birth_name" required>
<label for="naissance">Date de naissance</label><input type="date" id="naissance" name="birth_date" required>
<label for="fin">4 derniers caractères du numéro de la pièce</label><input type="text" id="fin" name="document_number_ending" maxlength="4" required>
<button class="btn primary" type="submit" id="valider">Valider l'identité</button></form>
<form method="post" action="/console/guichet">{csrf}<input type="hidden" name="code" value="{code}"><input type="hidden" name="decision" value="refuser"><label for="motif-guichet">Refuser (la personne repart sans validation)</label><select id="motif-guichet" name="reason">{reasons}</select><button class="btn danger" type="submit" id="refuser-guichet">Refuser</button></form></div></div>"#,
        until = when(case.valid_until),
        // A face-to-face code is only sent once the identity is confirmed.
        identity = identity_facts(Some(&case.identity), true),
        code = esc(code),
        csrf = csrf(session),
    )
}

/// The text with its first letter in capitals (a reason's wording opening an option).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct ClerkForm {
    code: String,
    decision: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    birth_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    document_number_ending: String,
    #[serde(default)]
    reason: String,
}

pub async fn clerk_decide(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<ClerkForm>,
) -> Response {
    let code = form.code.trim().to_owned();
    let verdict = match form.decision.as_str() {
        "valider" => Ok(ClerkVerdict::Validate {
            code: code.clone(),
            presented: CopiedDocument {
                document_type: form.document_type,
                birth_name: form.birth_name,
                birth_date: form.birth_date,
                document_number_ending: form.document_number_ending,
            },
        }),
        "refuser" => Ok(ClerkVerdict::Refuse {
            code: code.clone(),
            reason: form.reason,
        }),
        _ => Err(WorldError::bad_request("invalid_decision", "Décision inconnue.")),
    };
    let outcome = match verdict {
        Ok(verdict) => desks::decide_clerk(&world, &session, &verdict).await,
        Err(error) => Err(error),
    };
    let (status, result, found) = match outcome {
        Ok(decided) => (StatusCode::OK, notice("success", &decided.message), String::new()),
        Err(error) => {
            // The person is still at the counter: the identity to compare stays on the page.
            let found = desks::clerk_case(&world, &session, &code)
                .await
                .map(|case| clerk_found(&session, &code, &case))
                .unwrap_or_default();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                notice("error", &error.message_fr()),
                found,
            )
        }
    };
    let result = result.replacen("role=\"status\"", "role=\"status\" id=\"resultat-guichet\"", 1);
    (
        status,
        pages::layout(
            &session,
            "Guichet face à face",
            &clerk_body(&code, &found, &result),
        ),
    )
        .into_response()
}

// ----- clock -----

pub async fn clock_page(State(world): Shared, Extension(session): Session) -> Response {
    let view = world.clock_view();
    let mode = match view.mode {
        ClockMode::Real => "temps réel".to_owned(),
        ClockMode::Accelerated { factor } => format!("accéléré ×{factor}"),
        ClockMode::Manual => "manuel (arrêté)".to_owned(),
    };
    let controls = if session.role == Role::Trainer {
        format!(
            r#"<div class="columns"><div class="card"><h2>Avancer</h2><form method="post" action="/console/horloge/avancer" class="row">{csrf}{fields}<div><button class="btn primary" type="submit" id="avancer">Avancer l'horloge</button></div></form><p class="hint">Les lettres, examens et expirations dus ont lieu aussitôt, pour toute la classe.</p></div>
<div class="card"><h2>Vitesse</h2><form method="post" action="/console/horloge/vitesse" class="row">{csrf}<div><label for="vitesse">Mode</label><select id="vitesse" name="mode">{speeds}</select></div><div><button class="btn secondary" type="submit" id="regler-vitesse">Régler la vitesse</button></div></form></div></div>"#,
            csrf = csrf(&session),
            speeds = speed_options(view.mode),
            fields = duration_fields(""),
        )
    } else {
        r#"<p class="hint">Seul un formateur peut avancer l'horloge ou changer sa vitesse.</p>"#.to_owned()
    };
    let body = format!(
        r#"<div class="card"><h1>Horloge du monde</h1><p>Heure simulée (UTC) :</p><p class="clock" id="heure">{now}</p><p>Mode : <strong id="mode-horloge">{mode}</strong></p><p class="hint">Le monde est une classe : son horloge est commune à tous ses apprenants. Pour avancer le temps d'un seul apprenant, ouvrez sa page (« Horloge de l'apprenant »).</p></div>{controls}"#,
        now = view.now.format("%d/%m/%Y %H:%M:%S"),
        mode = esc(&mode),
    );
    pages::layout(&session, "Horloge", &body).into_response()
}

/// The speed choices, the current one selected (another factor leaves the first selected).
fn speed_options(current: ClockMode) -> String {
    let current = match current {
        ClockMode::Real => "reel",
        ClockMode::Accelerated { factor: 60.0 } => "x60",
        ClockMode::Accelerated { factor: 3600.0 } => "x3600",
        ClockMode::Accelerated { .. } => "",
        ClockMode::Manual => "manuel",
    };
    [
        ("reel", "Temps réel"),
        ("x60", "×60 (une minute par seconde)"),
        ("x3600", "×3600 (une heure par seconde)"),
        ("manuel", "Manuel (arrêté)"),
    ]
    .iter()
    .map(|(value, label)| {
        let selected = if *value == current { " selected" } else { "" };
        format!(r#"<option value="{value}"{selected}>{label}</option>"#)
    })
    .collect()
}

#[derive(Deserialize)]
pub struct AdvanceForm {
    amount: i64,
    unit: String,
}

impl AdvanceForm {
    /// The duration asked, when it is a positive number of a known unit.
    fn duration(&self) -> Option<TimeDelta> {
        let unit = match self.unit.as_str() {
            "minutes" => 60,
            "heures" => 3600,
            "jours" => 86_400,
            "semaines" => 604_800,
            _ => 0,
        };
        self.amount
            .checked_mul(unit)
            .filter(|seconds| *seconds > 0)
            .and_then(TimeDelta::try_seconds)
    }
}

/// The duration fields of an "advance" form, 24 hours proposed.
fn duration_fields(prefix: &str) -> String {
    format!(
        r#"<div><label for="{prefix}quantite">Durée</label><input type="number" id="{prefix}quantite" name="amount" min="1" value="24" required></div><div><label for="{prefix}unite">Unité</label><select id="{prefix}unite" name="unit"><option value="minutes">minutes</option><option value="heures" selected>heures</option><option value="jours">jours</option><option value="semaines">semaines</option></select></div>"#
    )
}

/// The learner page's clock: the learner's time, how far ahead of the class, and (trainers and
/// support agents) a form to move this learner's time only.
fn learner_clock_card(session: &StaffSession, clock: &LearnerClockView) -> String {
    let ahead = if clock.offset_seconds > 0 {
        format!(
            "{} d'avance sur la classe",
            how_long(TimeDelta::seconds(clock.offset_seconds))
        )
    } else {
        "à l'heure de la classe".to_owned()
    };
    let form = if super::READERS.contains(&session.role) {
        format!(
            r#"<form method="post" action="/console/apprenants/{id}/horloge" class="row">{csrf}{fields}<div><button class="btn secondary" type="submit" id="avancer-apprenant">Avancer l'horloge de cet apprenant</button></div></form>"#,
            id = esc(&clock.learner_id),
            csrf = csrf(session),
            fields = duration_fields("apprenant-"),
        )
    } else {
        String::new()
    };
    format!(
        r#"<div class="card"><h2>Horloge de l'apprenant</h2>{facts}{form}<p class="hint">Seul le temps de cet apprenant avance : ses codes expirent, son examen se termine, ses 15 jours passent ; les autres apprenants gardent l'horloge de la classe. Sa vitesse est celle de la classe (une personne garde une vraie minute pour valider une connexion). Le temps ne recule pas.</p></div>"#,
        facts = facts(&[
            ("Heure de l'apprenant (simulée)", when(clock.now)),
            ("Avance", ahead),
            ("Heure de la classe", when(clock.class.now)),
        ]),
    )
}

pub async fn learner_clock_advance(
    State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Form(form): Form<AdvanceForm>,
) -> Response {
    let Some(delta) = form.duration() else {
        return failure(
            &session,
            WorldError::bad_request("invalid_duration", "Durée invalide."),
        );
    };
    match world.advance_learner_clock(&id, delta).await {
        Ok(_) => {
            let detail = format!("{} {}", form.amount, form.unit);
            auth::audit_done(
                &world,
                &session,
                "learner_clock_advance",
                Some(&id),
                Some(&detail),
            )
            .await;
            see_other(&format!("/console/apprenants/{}", form_encode(&id)))
        }
        Err(error) => failure(&session, error),
    }
}

pub async fn clock_advance(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<AdvanceForm>,
) -> Response {
    let Some(delta) = form.duration() else {
        return failure(
            &session,
            WorldError::bad_request("invalid_duration", "Durée invalide."),
        );
    };
    match world.advance_clock(delta).await {
        Ok(_) => {
            let detail = format!("{} {}", form.amount, form.unit);
            auth::audit_done(&world, &session, "clock_advance", None, Some(&detail)).await;
            see_other("/console/horloge")
        }
        Err(error) => failure(&session, error),
    }
}

#[derive(Deserialize)]
pub struct SpeedForm {
    mode: String,
}

pub async fn clock_speed(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<SpeedForm>,
) -> Response {
    let mode = match form.mode.as_str() {
        "reel" => ClockMode::Real,
        "x60" => ClockMode::Accelerated { factor: 60.0 },
        "x3600" => ClockMode::Accelerated { factor: 3600.0 },
        "manuel" => ClockMode::Manual,
        _ => {
            return failure(
                &session,
                WorldError::bad_request("invalid_clock_mode", "Mode d'horloge inconnu."),
            )
        }
    };
    match world.set_clock(mode, None).await {
        Ok(_) => {
            auth::audit_done(&world, &session, "clock_speed", None, Some(&form.mode)).await;
            see_other("/console/horloge")
        }
        Err(error) => failure(&session, error),
    }
}

// ----- staff audit -----

/// The last staff actions (sign-ins and failures, reviews, clerk decisions, clock, review mode).
pub async fn staff_audit(State(world): Shared, Extension(session): Session) -> Response {
    let rows = match sqlx::query(
        "SELECT at, staff_email, action, learner_id, detail FROM staff_audit ORDER BY id DESC LIMIT 300",
    )
    .fetch_all(world.pool())
    .await
    {
        Ok(rows) => rows,
        Err(error) => return failure(&session, error.into()),
    };
    let lines: String = rows
        .iter()
        .map(|row| {
            let (at, email, action): (String, String, String) =
                (row.get("at"), row.get("staff_email"), row.get("action"));
            let (learner, detail): (Option<String>, Option<String>) = (row.get("learner_id"), row.get("detail"));
            let learner = learner
                .as_deref()
                .map(|id| format!(r#"<a href="/console/apprenants/{}">{}</a>"#, form_encode(id), esc(id)))
                .unwrap_or_default();
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="mono">{}</td><td class="mono">{learner}</td><td>{}</td></tr>"#,
                esc(at.get(..19).unwrap_or(&at).replace('T', " ").as_str()),
                esc(&email),
                esc(&action),
                esc(detail.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let body = format!(
        r#"<div class="card"><h1>Actions du personnel</h1><p class="hint">Les 300 dernières, heure réelle (UTC). Les décisions de revue figurent aussi dans le journal de l'apprenant.</p>
<table id="actions-personnel"><thead><tr><th>Quand</th><th>Qui</th><th>Action</th><th>Apprenant</th><th>Détail</th></tr></thead><tbody>{lines}</tbody></table></div>"#
    );
    pages::layout(&session, "Actions du personnel", &body).into_response()
}
