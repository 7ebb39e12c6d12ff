//! The clocks' pages and forms: the class clock (advance, speed, its history and the moves back)
//! and one learner's own time (the card on their page and its form), each change audited.

use super::auth::{self, Role, StaffSession};
use super::handlers::{failure, form_encode, how_long, see_other, Session, Shared};
use super::pages::{self, csrf, esc, facts, when};
use crate::api::{ClockChange, ClockChangeKind, ClockMode, LearnerClockView};
use crate::WorldError;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Deserialize;

/// A clock speed in French.
fn mode_fr(mode: ClockMode) -> String {
    match mode {
        ClockMode::Real => "temps réel".to_owned(),
        ClockMode::Accelerated { factor } => format!("accéléré ×{factor}"),
        ClockMode::Manual => "manuel (arrêté)".to_owned(),
    }
}

pub async fn clock_page(State(world): Shared, Extension(session): Session) -> Response {
    let view = world.clock_view();
    let mode = mode_fr(view.mode);
    let history = if super::READERS.contains(&session.role) {
        match world.clock_history().await {
            Ok(changes) => history_card(&session, &changes, view.now),
            Err(error) => return failure(&session, error),
        }
    } else {
        String::new()
    };
    let controls = if session.role == Role::Trainer {
        format!(
            r#"<div class="columns"><div class="card"><h2>Avancer</h2><form method="post" action="/console/horloge/avancer" class="row">{csrf}{fields}<div><button class="btn primary" type="submit" id="avancer">Avancer l'horloge</button></div></form><p class="hint">Les lettres, examens et expirations dus ont lieu aussitôt, pour toute la classe. Un an (366 jours) au plus à la fois : limite choisie par le bac à sable.</p></div>
<div class="card"><h2>Vitesse</h2><form method="post" action="/console/horloge/vitesse" class="row">{csrf}<div><label for="vitesse">Mode</label><select id="vitesse" name="mode">{speeds}</select></div><div><button class="btn secondary" type="submit" id="regler-vitesse">Régler la vitesse</button></div></form></div></div>"#,
            csrf = csrf(&session),
            speeds = speed_options(view.mode),
            fields = duration_fields(""),
        )
    } else {
        r#"<p class="hint">Seul un formateur peut avancer l'horloge ou changer sa vitesse.</p>"#.to_owned()
    };
    let body = format!(
        r#"<div class="card"><h1>Horloge du monde</h1><p>Heure simulée (UTC) :</p><p class="clock" id="heure">{now}</p><p>Mode : <strong id="mode-horloge">{mode}</strong></p><p class="hint">Le monde est une classe : son horloge est commune à tous ses apprenants. Pour avancer le temps d'un seul apprenant, ouvrez sa page (« Horloge de l'apprenant »).</p></div>{controls}{history}"#,
        now = view.now.format("%d/%m/%Y %H:%M:%S"),
        mode = esc(&mode),
    );
    pages::layout(&session, "Horloge", &body).into_response()
}

/// What moving the class back does, in plain French: said beside every button that does it.
const MOVING_BACK_FR: &str = "Revenir en arrière ne défait rien de ce que les apprenants ont fait : les apprenants qui ont agi après ce moment restent à leur heure (leur journal le note), les autres et les nouveaux apprenants reviennent à l'heure choisie. Ce qui était déjà décidé (codes expirés, examens, lettres) le reste.";

/// The class clock's recent changes, each with « Revenir à ce moment » (trainers) when that
/// moment is before the class's time, and « Revenir à l'heure réelle ».
fn history_card(session: &StaffSession, changes: &[ClockChange], now: DateTime<Utc>) -> String {
    let trainer = session.role == Role::Trainer;
    let rows: String = changes
        .iter()
        .map(|change| {
            let kind = match change.kind {
                ClockChangeKind::Advance => "Avance",
                ClockChangeKind::Set => "Réglage",
                ClockChangeKind::Rewind => "Retour en arrière",
                ClockChangeKind::RealTime => "Retour à l'heure réelle",
            };
            let kept = match change.learners_kept {
                0 => String::new(),
                1 => " (1 apprenant resté à son heure)".to_owned(),
                n => format!(" ({n} apprenants restés à leur heure)"),
            };
            let back = if trainer && change.before < now {
                format!(
                    r#"<form method="post" action="/console/horloge/revenir">{csrf}<input type="hidden" name="to" value="{to}"><button class="btn secondary" type="submit">Revenir à ce moment</button></form>"#,
                    csrf = csrf(session),
                    to = esc(&change.before.to_rfc3339()),
                )
            } else {
                String::new()
            };
            format!(
                "<tr><td>{recorded}</td><td>{kind}{kept}</td><td>{before} → {after}</td><td>{mode}</td><td>{by}</td><td>{back}</td></tr>",
                recorded = when(change.recorded_at),
                kind = esc(kind),
                kept = esc(&kept),
                before = when(change.before),
                after = when(change.after),
                mode = esc(&mode_fr(change.mode)),
                by = esc(change.by.as_deref().unwrap_or("le monde")),
            )
        })
        .collect();
    let table = if changes.is_empty() {
        r#"<p class="hint">L'horloge de la classe n'a pas encore été changée.</p>"#.to_owned()
    } else {
        format!(
            r#"<table id="historique-horloge"><thead><tr><th>Quand (heure réelle)</th><th>Changement</th><th>Heure de la classe avant → après</th><th>Mode</th><th>Par</th><th></th></tr></thead><tbody>{rows}</tbody></table>"#
        )
    };
    let real = if trainer {
        format!(
            r#"<form method="post" action="/console/horloge/heure-reelle" class="row">{csrf}<button class="btn secondary" type="submit" id="heure-reelle">Revenir à l'heure réelle</button></form>"#,
            csrf = csrf(session),
        )
    } else {
        String::new()
    };
    format!(
        r#"<div class="card"><h2>Historique de l'horloge</h2>{table}{real}<p class="hint">{explained}</p></div>"#,
        explained = esc(MOVING_BACK_FR),
    )
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
pub(super) fn learner_clock_card(session: &StaffSession, clock: &LearnerClockView) -> String {
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
    match world.advance_clock_by(delta, Some(&session.email)).await {
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
    match world.set_clock_by(mode, None, Some(&session.email)).await {
        Ok(_) => {
            auth::audit_done(&world, &session, "clock_speed", None, Some(&form.mode)).await;
            see_other("/console/horloge")
        }
        Err(error) => failure(&session, error),
    }
}

#[derive(Deserialize)]
pub struct RewindForm {
    to: String,
}

/// « Revenir à ce moment » from the clock's history.
pub async fn clock_rewind(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<RewindForm>,
) -> Response {
    let Ok(to) = DateTime::parse_from_rfc3339(&form.to) else {
        return failure(
            &session,
            WorldError::bad_request("invalid_time", "Heure invalide."),
        );
    };
    match world.rewind_clock(to.to_utc(), Some(&session.email)).await {
        Ok(_) => {
            auth::audit_done(&world, &session, "clock_rewind", None, Some(&form.to)).await;
            see_other("/console/horloge")
        }
        Err(error) => failure(&session, error),
    }
}

/// « Revenir à l'heure réelle ».
pub async fn clock_real_time(State(world): Shared, Extension(session): Session) -> Response {
    match world.real_time_clock(Some(&session.email)).await {
        Ok(_) => {
            auth::audit_done(&world, &session, "clock_real_time", None, None).await;
            see_other("/console/horloge")
        }
        Err(error) => failure(&session, error),
    }
}
