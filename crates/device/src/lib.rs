//! The device core: the one API that both the Tauri app and the `idn` CLI call. It talks to the
//! world over HTTP only, keeps its signing key in a [`Vault`], and never stores the secret code.

mod device;
mod error;
mod vault;

pub use device::{Device, DeviceProfile};
pub use error::DeviceError;
pub use idn_api::{ClientError, LearnerEvents, WorldClient, WorldStatus};
pub use vault::{KeyringBackend, KeyringVault, MemoryVault, Vault, KEYRING_SERVICE};
