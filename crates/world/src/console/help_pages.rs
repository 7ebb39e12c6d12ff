//! « Aide rapide » on a learner's page: the helps the world offers for where this learner is
//! (`World::help_offers`), one form each, and the form's handler, which gives the help through
//! the world and writes the staff audit. The rules are the world's (`world/staff_help.rs`).

use super::auth::{self, StaffSession};
use super::handlers::{failure, form_encode, see_other, Session, Shared};
use crate::{HelpGroup, HelpOffer, StaffHelp, WorldError};
use axum::extract::Path;
use axum::response::Response;
use axum::{Extension, Form};
use serde::Deserialize;

/// One button of the « Aide rapide » card.
pub(super) struct HelpButton {
    pub code: String,
    pub label: String,
    pub hint: String,
}

/// The « Aide rapide » card: its three groups, each empty when nothing of it applies.
#[derive(Default)]
pub(super) struct HelpCard {
    pub codes_and_locks: Vec<HelpButton>,
    pub clock: Vec<HelpButton>,
    pub situations: Vec<HelpButton>,
}

impl HelpCard {
    pub fn of(offers: Vec<HelpOffer>) -> Self {
        let mut card = Self::default();
        for offer in offers {
            let button = HelpButton {
                code: offer.help.code(),
                label: offer.label,
                hint: offer.hint,
            };
            match offer.group {
                HelpGroup::CodeAndLocks => card.codes_and_locks.push(button),
                HelpGroup::Clock => card.clock.push(button),
                HelpGroup::Situation => card.situations.push(button),
            }
        }
        card
    }

    pub fn is_empty(&self) -> bool {
        self.codes_and_locks.is_empty() && self.clock.is_empty() && self.situations.is_empty()
    }
}

/// What the learner's page says after a help was given (`?aide=<code>`).
pub(super) fn done_notice(code: &str) -> Option<String> {
    StaffHelp::from_code(code).map(|help| format!("Aide apportée : {}.", help.done_fr()))
}

#[derive(Deserialize)]
pub struct HelpForm {
    aide: String,
}

/// One quick help given to one learner, audited; refused in French when it does not apply.
pub async fn give_help(
    axum::extract::State(world): Shared,
    Extension(session): Session,
    Path(id): Path<String>,
    Form(form): Form<HelpForm>,
) -> Response {
    let Some(help) = StaffHelp::from_code(&form.aide) else {
        return failure(
            &session,
            WorldError::bad_request(
                "unknown_help",
                "Aide inconnue : rechargez la page de l'apprenant.",
            ),
        );
    };
    match world.give_help(&id, help).await {
        Ok(done) => {
            audit(&world, &session, &id, help, &done.label).await;
            see_other(&format!(
                "/console/apprenants/{}?aide={}#aide-rapide",
                form_encode(&id),
                form_encode(&help.code())
            ))
        }
        Err(error) => failure(&session, error),
    }
}

async fn audit(world: &crate::World, session: &StaffSession, id: &str, help: StaffHelp, label: &str) {
    auth::audit_done(world, session, help.audit_action(), Some(id), Some(label)).await;
}
