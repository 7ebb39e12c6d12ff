//! What the world's API credentials change in the world: the sign-in ticket and the account
//! credential a confirmed sign-in earns, a phone's « Simuler une connexion » to its own number,
//! support ending every access of a learner. Issuing and recognising tokens is `access`'s job.

use super::*;
use crate::access::credentials::{issue, revoke_all, RevokedBecause};
use crate::access::Principal;

impl World {
    /// The ticket that the right password earned (`POST /api/account-logins`): it reads the
    /// account's messages, where the code arrives, and types the code back.
    pub async fn issue_sign_in_ticket(&self, account_id: &str) -> Result<api::IssuedCredential, WorldError> {
        let now = self.wall_now();
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        let ticket = issue(&tx, account_id, api::CredentialKind::SignIn, None, now)?;
        tx.commit()?;
        Ok(ticket)
    }

    /// The confirmation code typed back with the ticket of the same account: the ticket ends
    /// and the account's credential is issued in the step's unit of work. A ticket of another
    /// account gets the refusal of a login not started, whatever the email.
    pub async fn confirm_sign_in(
        &self,
        ticket: &Principal,
        email: &str,
        code: &str,
    ) -> Result<api::LearnerAccess, WorldError> {
        let (Some(ticket_learner), Some(ticket_digest)) = (ticket.learner_id(), ticket.learner_digest())
        else {
            return Err(JourneyError::NoSignInPending.into());
        };
        let email = Email::parse(email)?;
        let id = match self.account_with_password(&email).await? {
            Some((id, _)) if id == ticket_learner => id,
            _ => return Err(JourneyError::NoSignInPending.into()),
        };
        let code = code.to_owned();
        let ticket_digest = ticket_digest.to_owned();
        let now = self.wall_now();
        let (learner, credential) = self
            .transition_with(
                &id,
                Actor::Learner,
                "confirm_sign_in",
                move |_, _, _| Ok(Command::ConfirmSignIn { code }),
                move |tx, loaded| {
                    tx.revoke_learner_credential(
                        &ticket_digest,
                        RevokedBecause::SignInConfirmed.code(),
                        now,
                    )?;
                    issue(tx, &loaded.id, api::CredentialKind::Account, None, now)
                },
            )
            .await?;
        Ok(api::LearnerAccess { learner, credential })
    }

    /// « Simuler une connexion » on the phone: a login request to the learner's own activated
    /// number, as a relying party would open it.
    pub async fn open_own_login_request(
        &self,
        learner_id: &str,
        relying_party: String,
    ) -> Result<LoginRequestView, WorldError> {
        let loaded = self.store.read().await.learner(learner_id)?;
        // Only an activated identity's number finds a phone to ask; the request's own rules
        // refuse the others.
        let (_, mobile) = views::contact(&loaded.journey);
        let mobile = mobile.ok_or(JourneyError::MobileMismatch)?;
        self.open_login_request(NewLoginRequest {
            mobile,
            relying_party,
        })
        .await
    }

    /// Support's « Déconnecter tous ses appareils »: every credential of the learner ends; the
    /// person signs in again with the account (and activates again if their phone was lost).
    pub async fn disconnect_learner(&self, learner_id: &str) -> Result<usize, WorldError> {
        let now = self.wall_now();
        let mut writer = self.store.write().await;
        let tx = writer.begin()?;
        tx.learner(learner_id)?;
        let ended = revoke_all(
            &tx,
            learner_id,
            crate::access::credentials::ALL_KINDS,
            RevokedBecause::DisconnectedBySupport,
            now,
        )?;
        tx.commit()?;
        Ok(ended)
    }
}
