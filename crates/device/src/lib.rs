//! The device core: the one API that both the Tauri app and the `idn` CLI call. It talks to the
//! world over HTTP only, keeps its signing key in a [`Vault`], and never stores the secret code.

mod client;
mod device;
mod error;
mod events;
mod vault;

pub use client::WorldClient;
pub use device::{Device, DeviceProfile};
pub use error::DeviceError;
pub use events::LearnerEvents;
pub use idn_world::api::WorldStatus;
pub use vault::{KeyringVault, MemoryVault, Vault, KEYRING_SERVICE};
