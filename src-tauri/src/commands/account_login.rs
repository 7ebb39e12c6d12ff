//! « Se connecter avec un compte La Poste existant »: the email and password go to the world,
//! which sends a confirmation code; the code typed back makes this device follow that account,
//! from the step it stands at. The world decides every rule (attempts, lock, expiry).

use idn_api::{AccountLoginChallenge, InboxMessage};
use tauri::{AppHandle, State};

use super::CommandError;
use crate::session::{self, SessionView};
use crate::world_link::WorldLink;

/// The password: on a match the world sends the confirmation code and says where.
#[tauri::command]
pub async fn start_account_login(
    link: State<'_, WorldLink>,
    email: String,
    password: String,
) -> Result<AccountLoginChallenge, CommandError> {
    let linked = link.linked()?;
    Ok(linked
        .client()
        .start_account_login(email.trim(), &password)
        .await?)
}

/// This phone's messages while the code is awaited: the SMS or email carrying it arrives on the
/// person's own phone and mailbox, which the Messages panel plays (the device does not follow
/// the account yet: no step, no login request).
#[tauri::command]
pub async fn account_login_messages(
    link: State<'_, WorldLink>,
    account_id: String,
) -> Result<Vec<InboxMessage>, CommandError> {
    let linked = link.linked()?;
    Ok(linked.client().inbox(&account_id).await?)
}

/// The confirmation code: once right, this device follows the account.
#[tauri::command]
pub async fn confirm_account_login(
    app: AppHandle,
    email: String,
    code: String,
) -> Result<SessionView, CommandError> {
    session::with_device(&app, async |linked, device| {
        let learner = linked.client().confirm_account_login(email.trim(), &code).await?;
        device.remember_account(&learner.id)?;
        Ok(())
    })
    .await?;
    session::follow_learner(&app);
    session::snapshot(&app).await
}
