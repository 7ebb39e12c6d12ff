//! « Se connecter avec un compte La Poste existant »: the email and password go to the world,
//! which sends a confirmation code and gives a sign-in ticket; the code typed back with that
//! ticket makes this device follow that account, from the step it stands at, with the account's
//! credential. The world decides every rule (attempts, lock, expiry).

use idn_api::{AccountLoginChallenge, Credential, InboxMessage};
use idn_device::WorldClient;
use tauri::{AppHandle, State};

use super::CommandError;
use crate::session::{self, SessionView};
use crate::world_link::WorldLink;

/// Managed state: the sign-in under way. Its ticket (10 minutes, one confirmation) reads the
/// code's message and types the code back; it lives in this process only, never reaches the
/// screens and is never stored: a restart starts the sign-in again.
#[derive(Default)]
pub struct SignInTicket(tokio::sync::Mutex<Option<Ticket>>);

struct Ticket {
    /// The world that issued it: a ticket means nothing in another.
    base_url: String,
    account_id: String,
    /// The world's client carrying the ticket.
    client: WorldClient,
}

impl SignInTicket {
    /// The ticket of the sign-in under way in the world in use: its account and client.
    async fn current(&self, link: &WorldLink) -> Result<(String, WorldClient), CommandError> {
        let linked = link.linked()?;
        match &*self.0.lock().await {
            Some(ticket) if ticket.base_url == linked.base_url() => {
                Ok((ticket.account_id.clone(), ticket.client.clone()))
            }
            Some(_) | None => Err(sign_in_restart()),
        }
    }
}

fn sign_in_restart() -> CommandError {
    CommandError {
        code: "sign_in_restart".into(),
        message: "La connexion n'est plus en cours : saisissez à nouveau l'adresse e-mail et le mot de passe du compte."
            .into(),
        attempts_left: None,
    }
}

/// The password: on a match the world sends the confirmation code, says where, and gives the
/// ticket that this shell keeps.
#[tauri::command]
pub async fn start_account_login(
    link: State<'_, WorldLink>,
    ticket: State<'_, SignInTicket>,
    email: String,
    password: String,
) -> Result<AccountLoginChallenge, CommandError> {
    let linked = link.linked()?;
    let started = linked
        .client()
        .start_account_login(email.trim(), &password)
        .await?;
    *ticket.0.lock().await = Some(Ticket {
        base_url: linked.base_url().to_owned(),
        account_id: started.challenge.account_id.clone(),
        client: linked
            .client()
            .with_credential(Credential::new(started.ticket.token)),
    });
    Ok(started.challenge)
}

/// This phone's messages while the code is awaited: the SMS or email carrying it arrives on the
/// person's own phone and mailbox, which the Messages panel plays (the device does not follow
/// the account yet: no step, no login request). Read with the sign-in ticket.
#[tauri::command]
pub async fn account_login_messages(
    link: State<'_, WorldLink>,
    ticket: State<'_, SignInTicket>,
) -> Result<Vec<InboxMessage>, CommandError> {
    let (account_id, client) = ticket.current(&link).await?;
    Ok(client.inbox(&account_id).await?)
}

/// The confirmation code, typed back with the ticket: once right, this device keeps the
/// account's credential and follows the account.
#[tauri::command]
pub async fn confirm_account_login(
    app: AppHandle,
    link: State<'_, WorldLink>,
    ticket: State<'_, SignInTicket>,
    email: String,
    code: String,
) -> Result<SessionView, CommandError> {
    let (_, client) = ticket.current(&link).await?;
    let access = client.confirm_account_login(email.trim(), &code).await?;
    // The ticket served its one confirmation.
    *ticket.0.lock().await = None;
    session::with_device(&app, async |_, device| {
        device.adopt_account(&access)?;
        Ok(())
    })
    .await?;
    session::follow_learner(&app);
    session::snapshot(&app).await
}
