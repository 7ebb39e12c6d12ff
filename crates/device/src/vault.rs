//! Where the device keeps its secrets: the OS keyring by default, memory for tests.
//!
//! Only the device's private signing key is stored; the secret code never is (it is typed at
//! each use and sealed to the world).

use crate::DeviceError;
use keyring_core::api::CredentialStoreApi;
use std::collections::HashMap;
use std::sync::Mutex;
use zeroize::Zeroizing;

pub const KEYRING_SERVICE: &str = "fr.idn-sandbox.device";

/// A small secret store.
pub trait Vault: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, DeviceError>;
    fn set(&self, name: &str, secret: &[u8]) -> Result<(), DeviceError>;
    fn delete(&self, name: &str) -> Result<(), DeviceError>;
    /// Which store this is, for diagnostics.
    fn describe(&self) -> String;
}

/// The OS keyring through `keyring-core`. On Linux: the Secret Service (GNOME Keyring, KWallet)
/// when a D-Bus session offers it, since it persists; otherwise the kernel's keyutils, which
/// lasts for the login session.
pub struct KeyringVault {
    store: std::sync::Arc<keyring_core::CredentialStore>,
}

impl KeyringVault {
    pub fn open() -> Result<Self, DeviceError> {
        let store = platform_store()?;
        Ok(Self { store })
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry, DeviceError> {
        self.store
            .build(KEYRING_SERVICE, name, None)
            .map_err(|error| DeviceError::Vault(error.to_string()))
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>, DeviceError> {
    let secret_service = zbus_secret_service_keyring_store::Store::new();
    if let Ok(store) = secret_service {
        let probe = store
            .build(KEYRING_SERVICE, "probe", None)
            .and_then(|entry| match entry.get_secret() {
                Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(error) => Err(error),
            });
        if probe.is_ok() {
            return Ok(store);
        }
    }
    let keyutils = linux_keyutils_keyring_store::Store::new()
        .map_err(|error| DeviceError::VaultUnavailable(error.to_string()))?;
    let probe = keyutils.build(KEYRING_SERVICE, "probe", None).and_then(|entry| {
        entry
            .set_secret(b"probe")
            .and_then(|()| entry.delete_credential())
    });
    match probe {
        Ok(()) => Ok(keyutils),
        Err(error) => Err(DeviceError::VaultUnavailable(format!(
            "no Secret Service and keyutils failed: {error}"
        ))),
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_store() -> Result<std::sync::Arc<keyring_core::CredentialStore>, DeviceError> {
    Err(DeviceError::VaultUnavailable(
        "no keyring store is built for this platform yet".into(),
    ))
}

impl Vault for KeyringVault {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, DeviceError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(Zeroizing::new(secret))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(error) => Err(DeviceError::Vault(error.to_string())),
        }
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), DeviceError> {
        self.entry(name)?
            .set_secret(secret)
            .map_err(|error| DeviceError::Vault(error.to_string()))
    }

    fn delete(&self, name: &str) -> Result<(), DeviceError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(DeviceError::Vault(error.to_string())),
        }
    }

    fn describe(&self) -> String {
        self.store.vendor()
    }
}

/// Secrets in memory, gone with the process: tests and throw-away demos.
#[derive(Default)]
pub struct MemoryVault {
    secrets: Mutex<HashMap<String, Zeroizing<Vec<u8>>>>,
}

impl Vault for MemoryVault {
    fn get(&self, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, DeviceError> {
        Ok(self.secrets.lock().expect("vault lock").get(name).cloned())
    }

    fn set(&self, name: &str, secret: &[u8]) -> Result<(), DeviceError> {
        self.secrets
            .lock()
            .expect("vault lock")
            .insert(name.to_owned(), Zeroizing::new(secret.to_vec()));
        Ok(())
    }

    fn delete(&self, name: &str) -> Result<(), DeviceError> {
        self.secrets.lock().expect("vault lock").remove(name);
        Ok(())
    }

    fn describe(&self) -> String {
        "mémoire (éphémère)".into()
    }
}
