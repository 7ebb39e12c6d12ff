//! What the first screen can know before the embedded world is up.

use tauri::AppHandle;

use super::CommandError;
use crate::world_link;

/// Whether this device has begun an enrolment in the world in use (or the one being linked),
/// read from its profile without the world: a new device shows the welcome screen at once,
/// while one with an account waits for the world to tell its step.
#[tauri::command]
pub fn enrolment_begun(app: AppHandle) -> Result<bool, CommandError> {
    Ok(world_link::enrolment_begun(&app)?)
}
