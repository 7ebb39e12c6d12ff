//! The trainers' page of the staff audit: the last actions of the staff (sign-ins and failures,
//! reviews, clerk decisions, clocks, review modes, scenarios).

use super::class_overview::learner_name;
use super::handlers::{failure, form_encode, Session, Shared};
use super::pages::{self, Frame, SimulationTime};
use super::CLERK_REFUSAL_REASONS;
use crate::store::{StaffAuditLine, StaffReads};
use crate::{World, WorldError};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use idn_journey::local_time;
use idn_journey::rules::CLASS_TIME_ZONE_FR;
use idn_journey::verification::RefusalReason;
use std::collections::HashMap;

/// How many lines the page shows.
const SHOWN: u32 = 300;

/// One line as the page shows it: the audit's codes (action, details, learner id) read for
/// people; the action's code stays in the row's `data-action`.
struct AuditRow {
    at: String,
    staff_email: String,
    code: String,
    action: String,
    /// The learner by name, and their page.
    learner: Option<(String, String)>,
    /// The detail for people, and as the audit keeps it (the cell's `data-detail`).
    detail: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "console/staff_audit.html")]
struct StaffAuditPage<'a> {
    frame: Frame<'a>,
    rows: Vec<AuditRow>,
    /// « heure de Paris ».
    zone: &'static str,
    /// The class's time beside the real time the audit is kept in, when they differ.
    simulation: Option<SimulationTime>,
}

/// A staff action's code, in French (the codes stay the audit's data). An API call by a staff
/// token (« api GET /api/learners/{id}/inbox ») reads as what it read or did.
pub(super) fn staff_action_fr(action: &str) -> String {
    let known = match action {
        "login" => "Connexion à la console",
        "login_failed" => "Connexion refusée (adresse ou mot de passe incorrect)",
        "logout" => "Déconnexion de la console",
        "review" => "Décision de revue d'une identification",
        "clerk_lookup" => "Recherche d'un code au guichet",
        "clerk_validate" => "Validation au guichet face à face",
        "clerk_refuse" => "Refus au guichet face à face",
        "postal_validate" => "Validation d'une procédure courrier (lettre recommandée)",
        "clock_advance" => "Horloge de la classe avancée",
        "clock_speed" => "Vitesse de l'horloge de la classe changée",
        "clock_rewind" => "Horloge de la classe ramenée en arrière",
        "clock_real_time" => "Horloge de la classe revenue à l'heure réelle",
        "learner_clock_advance" => "Horloge d'un apprenant avancée",
        "set_review_mode" => "Mode d'examen d'un apprenant changé",
        "set_class_review_mode" => "Mode d'examen de la classe changé",
        "scenario_apply" => "Scénario lancé",
        "scenario_applied" => "Scénario appliqué",
        "scenario_failed" => "Scénario en échec",
        "help_resend_code" => "Aide rapide : code renvoyé",
        "help_unlock" => "Aide rapide : déblocage",
        "help_clock" => "Aide rapide : horloge de l'apprenant",
        "help_situation" => "Aide rapide : situation du catalogue",
        other => return api_call_fr(other).unwrap_or_else(|| other.to_owned()),
    };
    known.to_owned()
}

/// « api GET /api/learners/{id}/inbox » as « Lecture par l'API (jeton d'accès) :
/// /api/learners/{id}/inbox »; the route stays, it is what the token was used for.
fn api_call_fr(action: &str) -> Option<String> {
    let (method, route) = action.strip_prefix("api ")?.split_once(' ')?;
    let kind = match method {
        "GET" | "HEAD" => "Lecture",
        _ => "Action",
    };
    Some(format!("{kind} par l'API (jeton d'accès) : {route}"))
}

/// A line's detail in French: refusal reasons by their label, review modes and clock speeds
/// in words, the API's answer as « réussie » or refused. Other details (a client address, a
/// quick help's label, a scenario's title, a duration) are already for people.
fn staff_detail_fr(action: &str, detail: &str) -> String {
    let refusal = |code: &str| {
        RefusalReason::from_code(code).map_or_else(|| code.to_owned(), |reason| reason.label_fr().to_owned())
    };
    match (action, detail) {
        ("review", "accepte") => "identification acceptée".to_owned(),
        ("review", refused) if refused.starts_with("refuse:") => {
            format!(
                "identification refusée : {}",
                refusal(&refused["refuse:".len()..])
            )
        }
        ("clerk_refuse", code) => CLERK_REFUSAL_REASONS
            .iter()
            .find(|(known, _)| *known == code)
            .map_or_else(|| code.to_owned(), |(_, label)| format!("motif : {label}")),
        ("set_review_mode" | "set_class_review_mode", "manuelle") => {
            "revue manuelle (guichet de revue)".to_owned()
        }
        ("set_review_mode" | "set_class_review_mode", "automatique") => "examen automatique".to_owned(),
        ("clock_speed", mode) => match mode {
            "reel" => "temps réel".to_owned(),
            "x60" => "×60 (une minute par seconde)".to_owned(),
            "x3600" => "×3600 (une heure par seconde)".to_owned(),
            "manuel" => "manuel (arrêté)".to_owned(),
            other => other.to_owned(),
        },
        ("clock_rewind", to) => chrono::DateTime::parse_from_rfc3339(to).map_or_else(
            |_| to.to_owned(),
            |to| {
                format!(
                    "retour à {} (heure de la simulation)",
                    local_time::on_clock(to.into())
                )
            },
        ),
        ("login" | "login_failed", client) => format!("depuis l'adresse {client}"),
        (action, detail) if action.starts_with("api ") => api_answer_fr(detail),
        (_, detail) => detail.to_owned(),
    }
}

/// « HTTP 200 · jeton cb75ae76-… » as « réussie · jeton cb75ae76 »: the token's first eight
/// characters are enough to find it in `idn staff token list`.
fn api_answer_fr(detail: &str) -> String {
    let mut parts = detail.split(" · ");
    let status = parts
        .next()
        .and_then(|status| status.strip_prefix("HTTP "))
        .and_then(|status| status.parse::<u16>().ok());
    let answer = match status {
        Some(200..=299) => "réussie".to_owned(),
        Some(code) => format!("refusée (HTTP {code})"),
        None => return detail.to_owned(),
    };
    match parts.next().and_then(|token| token.strip_prefix("jeton ")) {
        Some(token) => format!("{answer} · jeton {}", token.get(..8).unwrap_or(token)),
        None => answer,
    }
}

/// The audit's lines read for people, each learner named once (a learner since deleted keeps
/// their identifier).
async fn audit_rows(world: &World, lines: Vec<StaffAuditLine>) -> Result<Vec<AuditRow>, WorldError> {
    let mut names: HashMap<String, String> = HashMap::new();
    let mut rows = Vec::with_capacity(lines.len());
    for line in lines {
        let learner = match line.learner_id {
            Some(id) => {
                if !names.contains_key(&id) {
                    let name = match learner_name(world, &id).await {
                        Ok(name) => name,
                        Err(WorldError::NotFound { .. }) => format!("apprenant {id}"),
                        Err(error) => return Err(error),
                    };
                    names.insert(id.clone(), name);
                }
                let name = names.get(&id).cloned().unwrap_or_default();
                Some((name, format!("/console/apprenants/{}", form_encode(&id))))
            }
            None => None,
        };
        rows.push(AuditRow {
            at: local_time::on_clock(line.at),
            staff_email: line.staff_email,
            action: staff_action_fr(&line.action),
            detail: line
                .detail
                .map(|detail| (staff_detail_fr(&line.action, &detail), detail)),
            code: line.action,
            learner,
        });
    }
    Ok(rows)
}

/// The last staff actions (sign-ins and failures, reviews, clerk decisions, clock, review mode).
pub async fn staff_audit(State(world): Shared, Extension(session): Session) -> Response {
    let read = world.store().read().await.latest_staff_audit(SHOWN);
    let rows = match read {
        Ok(lines) => audit_rows(&world, lines).await,
        Err(error) => Err(error.into()),
    };
    match rows {
        Ok(rows) => pages::ok(&StaffAuditPage {
            frame: Frame::signed_in(&session, "Actions du personnel"),
            rows,
            zone: CLASS_TIME_ZONE_FR,
            simulation: SimulationTime::of(world.clock_view().now, world.wall_now()),
        }),
        Err(error) => failure(&session, error),
    }
}
