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

    /// An audit line's time: real time, to the second, in the class's time zone.
    fn at(line: &StaffAuditLine) -> String {
        local_time::on_clock(line.at)
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
