//! The scenario engine at the console's desks: it signs in with the account its composition root
//! gave it and decides through the console's JSON desk API (`idn_api::DeskSession`), the same
//! decisions a reviewer's or a clerk's form makes, so that its decisions go through the world's
//! real surface, show in the staff audit under the engine's own address, and come back as data.

use crate::error::{Result, ScenarioError};
use idn_api::{ClerkRefusalReason, ClerkValidation, DeskSession, DocumentKind};
use idn_journey::verification::{RefusalReason, ReviewDecision};
use idn_world::console::EngineAccount;

/// A signed-in console session of the engine.
pub(crate) struct ConsoleDesk {
    session: DeskSession,
}

/// A review desk's decision; a refusal names a `RefusalReason` code.
pub(crate) enum Review<'a> {
    Accept,
    Refuse { reason: &'a str },
}

/// What the clerk copies from the document shown at the counter (`document_type` is a
/// `DocumentKind` code, `birth_date` is `AAAA-MM-JJ`).
pub(crate) struct Presented<'a> {
    pub document_type: &'a str,
    pub birth_name: &'a str,
    pub birth_date: &'a str,
    pub document_number_ending: &'a str,
}

impl ConsoleDesk {
    pub(crate) async fn sign_in(base_url: &str, account: &EngineAccount) -> Result<Self> {
        let session = DeskSession::sign_in(base_url, &account.email, &account.password).await?;
        Ok(Self { session })
    }

    /// The world's API as the engine's staff account (its session as the Bearer credential).
    pub(crate) fn api(&self) -> idn_api::WorldClient {
        self.session.api()
    }

    /// « Se déconnecter »: the session ends at once instead of lasting its 8 hours. A failure
    /// leaves a session that expires by itself, which is no reason to fail the scenario.
    pub(crate) async fn sign_out(self) {
        if let Err(error) = self.session.sign_out().await {
            tracing::warn!(%error, "the scenario engine could not sign out of the console");
        }
    }

    /// « Revue manuelle » for this learner (a trainer's setting): their next identification
    /// waits at the review desk.
    pub(crate) async fn put_on_review_desk(&self, learner: &str) -> Result<()> {
        self.session.set_review_desk(learner, true).await?;
        Ok(())
    }

    /// The reviewer opens the identification (as a person does before deciding) and decides.
    pub(crate) async fn review(&self, learner: &str, decision: Review<'_>) -> Result<()> {
        let decision = match decision {
            Review::Accept => ReviewDecision::Accepted,
            Review::Refuse { reason } => {
                ReviewDecision::Refused(RefusalReason::from_code(reason).ok_or_else(|| {
                    refused(&format!("motif de refus inconnu du bureau d'examen : {reason}"))
                })?)
            }
        };
        self.session.submission(learner).await?;
        self.session.review(learner, decision).await?;
        Ok(())
    }

    /// The clerk looks the code up (journaled in the staff audit), then validates with what the
    /// document shows.
    pub(crate) async fn clerk_validate(&self, code: &str, presented: &Presented<'_>) -> Result<()> {
        let document_type = DocumentKind::from_code(presented.document_type)
            .ok_or_else(|| refused(&format!("type de pièce inconnu : {}", presented.document_type)))?;
        let birth_date = presented
            .birth_date
            .parse()
            .map_err(|_| refused(&format!("date de naissance invalide : {}", presented.birth_date)))?;
        self.session.clerk_case(code).await?;
        self.session
            .clerk_validate(&ClerkValidation {
                code: code.to_owned(),
                document_type,
                birth_name: presented.birth_name.to_owned(),
                birth_date,
                document_number_ending: presented.document_number_ending.to_owned(),
            })
            .await?;
        Ok(())
    }

    /// The clerk looks the code up and sends the person away with this reason.
    pub(crate) async fn clerk_refuse(&self, code: &str, reason: &str) -> Result<()> {
        let reason = ClerkRefusalReason::from_code(reason)
            .ok_or_else(|| refused(&format!("motif de refus inconnu du guichet : {reason}")))?;
        self.session.clerk_case(code).await?;
        self.session.clerk_refuse(code, reason).await?;
        Ok(())
    }
}

fn refused(message: &str) -> ScenarioError {
    ScenarioError::NotLanded(message.to_owned())
}
