//! The clocks' pages and forms: the class clock (advance, speed, its history and the moves back)
//! and one learner's own time (the card on their page and its form), each change audited.

use super::auth::{self, Role, StaffSession};
use super::handlers::{failure, form_encode, how_long, see_other, Session, Shared};
use super::pages::{self, when, Fact, Frame, SimulationTime};
use crate::api::{ClockChange, ClockChangeKind, ClockMode, LearnerClockView};
use crate::WorldError;
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Form};
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::local_time;
use idn_journey::rules::CLASS_TIME_ZONE_FR;
use serde::Deserialize;

/// A clock speed in French.
fn mode_fr(mode: ClockMode) -> String {
    match mode {
        ClockMode::Real => "temps réel".to_owned(),
        ClockMode::Accelerated { factor } => format!("accéléré ×{factor}"),
        ClockMode::Manual => "manuel (arrêté)".to_owned(),
    }
}

/// A class clock change, as the history lists it.
struct HistoryRow {
    recorded: String,
    kind: &'static str,
    kept: String,
    before: String,
    after: String,
    mode: String,
    by: String,
    /// The moment « Revenir à ce moment » goes back to, when a trainer may.
    back_to: Option<String>,
}

/// A choice of the speed list.
struct SpeedOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

#[derive(Template)]
#[template(path = "console/clock.html")]
struct ClockPage<'a> {
    frame: Frame<'a>,
    /// The class's time, on a clock's face in the class's time zone.
    now: String,
    /// « heure de Paris ».
    zone: &'static str,
    /// The real time beside it when the class's clock is not on it.
    simulation: Option<SimulationTime>,
    mode: String,
    /// A trainer moves the class clock.
    trainer: bool,
    speeds: Vec<SpeedOption>,
    /// The clock's changes, for trainers and support agents.
    history: Option<Vec<HistoryRow>>,
    moving_back: &'static str,
}

pub async fn clock_page(State(world): Shared, Extension(session): Session) -> Response {
    let view = world.clock_view();
    let trainer = session.role == Role::Trainer;
    let history = if super::READERS.contains(&session.role) {
        match world.clock_history().await {
            Ok(changes) => Some(history_rows(trainer, &changes, view.now)),
            Err(error) => return failure(&session, error),
        }
    } else {
        None
    };
    pages::ok(&ClockPage {
        frame: Frame::signed_in(&session, "Horloge"),
        now: local_time::on_clock(view.now),
        zone: CLASS_TIME_ZONE_FR,
        simulation: SimulationTime::of(view.now, world.wall_now()),
        mode: mode_fr(view.mode),
        trainer,
        speeds: speed_options(view.mode),
        history,
        moving_back: MOVING_BACK_FR,
    })
}

/// What moving the class back does, in plain French: said beside every button that does it.
const MOVING_BACK_FR: &str = "Revenir en arrière ne défait rien de ce que les apprenants ont fait : les apprenants qui ont agi après ce moment restent à leur heure (leur journal le note), les autres et les nouveaux apprenants reviennent à l'heure choisie. Ce qui était déjà décidé (codes expirés, examens, lettres) le reste.";

/// The class clock's recent changes, each with « Revenir à ce moment » (trainers) when that
/// moment is before the class's time.
fn history_rows(trainer: bool, changes: &[ClockChange], now: DateTime<Utc>) -> Vec<HistoryRow> {
    changes
        .iter()
        .map(|change| HistoryRow {
            recorded: when(change.recorded_at),
            kind: match change.kind {
                ClockChangeKind::Advance => "Avance",
                ClockChangeKind::Set => "Réglage",
                ClockChangeKind::Rewind => "Retour en arrière",
                ClockChangeKind::RealTime => "Retour à l'heure réelle",
            },
            kept: match change.learners_kept {
                0 => String::new(),
                1 => " (1 apprenant resté à son heure)".to_owned(),
                n => format!(" ({n} apprenants restés à leur heure)"),
            },
            before: when(change.before),
            after: when(change.after),
            mode: mode_fr(change.mode),
            by: change.by.clone().unwrap_or_else(|| "le monde".to_owned()),
            back_to: (trainer && change.before < now).then(|| change.before.to_rfc3339()),
        })
        .collect()
}

/// The speed choices, the current one selected (another factor leaves the first selected).
fn speed_options(current: ClockMode) -> Vec<SpeedOption> {
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
    .into_iter()
    .map(|(value, label)| SpeedOption {
        value,
        label,
        selected: value == current,
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

/// The learner page's clock: the learner's time, how far ahead of the class, and whether this
/// staff member may move it (trainers and support agents: this learner's time only).
pub(super) struct LearnerClockCard {
    pub learner_id: String,
    pub facts: Vec<Fact>,
    pub movable: bool,
}

pub(super) fn learner_clock_card(session: &StaffSession, clock: &LearnerClockView) -> LearnerClockCard {
    let ahead = if clock.offset_seconds > 0 {
        format!(
            "{} d'avance sur la classe",
            how_long(TimeDelta::seconds(clock.offset_seconds))
        )
    } else {
        "à l'heure de la classe".to_owned()
    };
    LearnerClockCard {
        learner_id: clock.learner_id.clone(),
        facts: vec![
            Fact::new("Heure de l'apprenant (simulée)", when(clock.now)),
            Fact::new("Avance", ahead),
            Fact::new("Heure de la classe", when(clock.class.now)),
        ],
        movable: super::READERS.contains(&session.role),
    }
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
