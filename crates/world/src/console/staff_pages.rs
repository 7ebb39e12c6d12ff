//! The trainers' page of the staff audit: the last actions of the staff (sign-ins and failures,
//! reviews, clerk decisions, clocks, review modes, scenarios).

use super::handlers::{failure, form_encode, Session, Shared};
use super::pages::{self, esc};
use crate::store::StaffReads;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;

/// How many lines the page shows.
const SHOWN: u32 = 300;

/// The last staff actions (sign-ins and failures, reviews, clerk decisions, clock, review mode).
pub async fn staff_audit(State(world): Shared, Extension(session): Session) -> Response {
    let read = world.store().read().await.latest_staff_audit(SHOWN);
    let lines = match read {
        Ok(lines) => lines,
        Err(error) => return failure(&session, error.into()),
    };
    let lines: String = lines
        .iter()
        .map(|line| {
            let learner = line
                .learner_id
                .as_deref()
                .map(|id| format!(r#"<a href="/console/apprenants/{}">{}</a>"#, form_encode(id), esc(id)))
                .unwrap_or_default();
            format!(
                r#"<tr><td>{}</td><td>{}</td><td class="mono">{}</td><td class="mono">{learner}</td><td>{}</td></tr>"#,
                line.at.format("%Y-%m-%d %H:%M:%S"),
                esc(&line.staff_email),
                esc(&line.action),
                esc(line.detail.as_deref().unwrap_or("")),
            )
        })
        .collect();
    let body = format!(
        r#"<div class="card"><h1>Actions du personnel</h1><p class="hint">Les 300 dernières, heure réelle (UTC). Les décisions de revue figurent aussi dans le journal de l'apprenant.</p>
<table id="actions-personnel"><thead><tr><th>Quand</th><th>Qui</th><th>Action</th><th>Apprenant</th><th>Détail</th></tr></thead><tbody>{lines}</tbody></table></div>"#
    );
    pages::layout(&session, "Actions du personnel", &body).into_response()
}
