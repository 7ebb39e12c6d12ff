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
}

impl From<idn_device::DeviceError> for CommandError {
    fn from(error: idn_device::DeviceError) -> Self {
        // The English Display carries the internal details: logged here, not sent.
        tracing::warn!(%error, "command failed");
        CommandError {
            code: error.code().to_owned(),
            message: error.message_fr(),
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
        }
    }
}

impl From<crate::world_link::SourceError> for CommandError {
    fn from(error: crate::world_link::SourceError) -> Self {
        CommandError {
            code: error.code().to_owned(),
            message: error.to_string(),
        }
    }
}
