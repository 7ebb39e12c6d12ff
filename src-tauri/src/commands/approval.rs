//! Activation of this device, login approvals, and the sandbox's stand-in for FranceConnect+.

use idn_api::LoginRequestView;
use tauri::AppHandle;

use super::account::no_account;
use super::CommandError;
use crate::session::{self, SessionView};

/// The activation code, then the secret code chosen twice (the screens compare the two entries;
/// the world checks the rule of 4 different digits).
#[tauri::command]
pub async fn activate(
    app: AppHandle,
    activation_code: String,
    secret_code: String,
) -> Result<SessionView, CommandError> {
    session::with_device(&app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        device.activate(&id, activation_code.trim(), &secret_code).await?;
        Ok(())
    })
    .await?;
    session::follow_learner(&app);
    session::snapshot(&app).await
}

/// "Valider" with the secret code.
#[tauri::command]
pub async fn approve_login(
    app: AppHandle,
    request_id: String,
    secret_code: String,
) -> Result<LoginRequestView, CommandError> {
    session::with_device(&app, async |_, device| {
        Ok(device.approve(&request_id, &secret_code).await?)
    })
    .await
}

/// What became of a request (the screen asks when one leaves the pending list: answered here,
/// expired, or blocked by a lock).
#[tauri::command]
pub async fn login_request(app: AppHandle, request_id: String) -> Result<LoginRequestView, CommandError> {
    session::with_device(&app, async |_, device| {
        Ok(device.client().login_request(&request_id).await?)
    })
    .await
}

/// "Ce n'est pas moi".
#[tauri::command]
pub async fn decline_login(app: AppHandle, request_id: String) -> Result<LoginRequestView, CommandError> {
    session::with_device(&app, async |_, device| Ok(device.decline(&request_id).await?)).await
}

/// The sandbox plays FranceConnect+ for a learner without a browser at hand: a login to
/// `relying_party` sent to this phone, asked with the device's own credential (the world opens
/// it for the learner that credential names, never for another mobile number).
#[tauri::command]
pub async fn simulate_login(app: AppHandle, relying_party: String) -> Result<LoginRequestView, CommandError> {
    session::with_device(&app, async |_, device| {
        let id = device
            .profile()
            .learner_id
            .clone()
            .ok_or(idn_device::DeviceError::NotActivated)?;
        Ok(device
            .client()
            .open_own_login_request(&id, &relying_party)
            .await?)
    })
    .await
}

/// "Supprimer cette identité de l'appareil": the world ends this device's credential first.
#[tauri::command]
pub async fn remove_identity(app: AppHandle) -> Result<SessionView, CommandError> {
    session::with_device(&app, async |_, device| Ok(device.remove_identity().await?)).await?;
    session::follow_learner(&app);
    session::snapshot(&app).await
}
