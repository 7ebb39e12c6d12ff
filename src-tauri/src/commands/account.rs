//! Commands of the La Poste account, the identity data and the verification: each one is a
//! [`LearnerAction`] sent as typed; the world decides and the snapshot shows the outcome.

use idn_api::LearnerAction;
use tauri::AppHandle;

use super::CommandError;
use crate::session::{self, SessionView};

/// "Créer mon Identité Numérique": the La Poste account starts with the email address.
#[tauri::command]
pub async fn create_account(app: AppHandle, email: String) -> Result<SessionView, CommandError> {
    session::with_device(&app, async |linked, device| {
        // Anyone may open an account: asked anonymously, it answers with the account's
        // credential, which the device keeps for everything the learner does next.
        let access = linked.client().create_learner(email.trim()).await?;
        device.adopt_account(&access)?;
        Ok(())
    })
    .await?;
    session::follow_learner(&app);
    session::snapshot(&app).await
}

/// One step of the journey for the account enrolled from this device.
#[tauri::command]
pub async fn act(app: AppHandle, action: LearnerAction) -> Result<SessionView, CommandError> {
    session::with_device(&app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        device.client().act(&id, &action).await?;
        Ok(())
    })
    .await?;
    session::snapshot(&app).await
}

pub(crate) fn no_account() -> CommandError {
    CommandError {
        code: "no_account".into(),
        message: "Aucun compte La Poste n'est encore créé sur cet appareil.".into(),
        attempts_left: None,
    }
}
