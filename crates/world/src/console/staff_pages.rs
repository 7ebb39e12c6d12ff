//! The trainers' page of the staff audit: the last actions of the staff (sign-ins and failures,
//! reviews, clerk decisions, clocks, review modes, scenarios).

use super::handlers::{failure, form_encode, Session, Shared};
use super::pages::{self, Frame, SimulationTime};
use crate::store::{StaffAuditLine, StaffReads};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use idn_journey::local_time;
use idn_journey::rules::CLASS_TIME_ZONE_FR;

/// How many lines the page shows.
const SHOWN: u32 = 300;

#[derive(Template)]
#[template(path = "console/staff_audit.html")]
struct StaffAuditPage<'a> {
    frame: Frame<'a>,
    lines: Vec<StaffAuditLine>,
    /// « heure de Paris ».
    zone: &'static str,
    /// The class's time beside the real time the audit is kept in, when they differ.
    simulation: Option<SimulationTime>,
}

impl StaffAuditPage<'_> {
    fn learner_href(id: &str) -> String {
        format!("/console/apprenants/{}", form_encode(id))
    }

    /// What a line's action is, in French; an action this list does not know keeps its code.
    fn action(line: &StaffAuditLine) -> &str {
        staff_action_fr(&line.action)
    }

    /// An audit line's time: real time, to the second, in the class's time zone.
    fn at(line: &StaffAuditLine) -> String {
        local_time::on_clock(line.at)
    }
}

/// A staff action's code, in French (the codes stay the audit's data).
pub(super) fn staff_action_fr(action: &str) -> &str {
    match action {
        "login" => "Connexion à la console",
        "logout" => "Déconnexion de la console",
        "review" => "Décision de revue d'une identification",
        "clerk_lookup" => "Recherche d'un code au guichet",
        "clerk_validate" => "Validation au guichet face à face",
        "clerk_refuse" => "Refus au guichet face à face",
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
        other => other,
    }
}

/// The last staff actions (sign-ins and failures, reviews, clerk decisions, clock, review mode).
pub async fn staff_audit(State(world): Shared, Extension(session): Session) -> Response {
    let read = world.store().read().await.latest_staff_audit(SHOWN);
    match read {
        Ok(lines) => pages::ok(&StaffAuditPage {
            frame: Frame::signed_in(&session, "Actions du personnel"),
            lines,
            zone: CLASS_TIME_ZONE_FR,
            simulation: SimulationTime::of(world.clock_view().now, world.wall_now()),
        }),
        Err(error) => failure(&session, error.into()),
    }
}
