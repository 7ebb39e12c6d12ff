//! Tauri commands, one module per area of the journey; each calls the device core and renders.

pub mod account;
pub mod account_login;
pub mod approval;
pub mod capture;
pub mod launch;
pub mod scan;
pub mod services;
pub mod video;
pub mod world;

use serde::Serialize;

/// How every command error crosses IPC: a stable `code` the screens decide on, and a French
/// `message` for people (never a bare string, never internal details).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommandError {
    pub code: String,
    pub message: String,
    /// Attempts left after the world refused a wrong code (`code_wrong`) or secret code
    /// (`wrong_secret_code`): the screens warn before the last one. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub attempts_left: Option<u8>,
}

impl From<idn_device::DeviceError> for CommandError {
    fn from(error: idn_device::DeviceError) -> Self {
        // The English Display carries the internal details: logged here, not sent.
        tracing::warn!(%error, "command failed");
        CommandError {
            code: error.code().to_owned(),
            message: error.message_fr(),
            attempts_left: error.attempts_left(),
        }
    }
}

impl From<idn_device::ClientError> for CommandError {
    fn from(error: idn_device::ClientError) -> Self {
        idn_device::DeviceError::from(error).into()
    }
}

impl From<crate::world_link::LinkError> for CommandError {
    fn from(error: crate::world_link::LinkError) -> Self {
        CommandError {
            code: error.code().to_owned(),
            message: error.to_string(),
            attempts_left: None,
        }
    }
}

impl From<crate::world_link::SourceError> for CommandError {
    fn from(error: crate::world_link::SourceError) -> Self {
        CommandError {
            code: error.code().to_owned(),
            message: error.to_string(),
            attempts_left: None,
        }
    }
}
