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

/// Which of the OS's stores a [`KeyringVault`] keeps its secrets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyringBackend {
    /// The Secret Service over D-Bus (GNOME Keyring, KWallet): encrypted at rest, persists. What
    /// people on a Linux desktop get.
    SecretService,
    /// The kernel's key retention service: in memory only; the store also links each key into
    /// the user's persistent keyring, so it outlives logout until that keyring expires (SECURITY.md).
    /// The fallback without a desktop session.
    KernelKeyutils,
}

/// The OS keyring through `keyring-core`. On Linux: the Secret Service (GNOME Keyring, KWallet)
/// when a D-Bus session offers it, since it persists; otherwise the kernel's keyutils, which
/// lasts until reboot or the persistent keyring's expiry (in memory, never on disk).
pub struct KeyringVault {
    store: std::sync::Arc<keyring_core::CredentialStore>,
    backend: KeyringBackend,
}

impl KeyringVault {
    pub fn open() -> Result<Self, DeviceError> {
        let (store, backend) = platform_store()?;
        Ok(Self { store, backend })
    }

    /// The store actually chosen when the vault was opened.
    pub fn backend(&self) -> KeyringBackend {
        self.backend
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry, DeviceError> {
        self.store
            .build(KEYRING_SERVICE, name, None)
            .map_err(|error| DeviceError::Vault(error.to_string()))
    }
}

type ChosenStore = (std::sync::Arc<keyring_core::CredentialStore>, KeyringBackend);

#[cfg(target_os = "linux")]
fn platform_store() -> Result<ChosenStore, DeviceError> {
    let secret_service = zbus_secret_service_keyring_store::Store::new();
    if let Ok(store) = secret_service {
        let probe = store
            .build(KEYRING_SERVICE, "probe", None)
            .and_then(|entry| match entry.get_secret() {
                Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
                Err(error) => Err(error),
            });
        if probe.is_ok() {
            return Ok((store, KeyringBackend::SecretService));
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
        Ok(()) => Ok((keyutils, KeyringBackend::KernelKeyutils)),
        Err(error) => Err(DeviceError::VaultUnavailable(format!(
            "no Secret Service and keyutils failed: {error}"
        ))),
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_store() -> Result<ChosenStore, DeviceError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Set by scripts/test.sh, which runs the tests in a D-Bus session with GNOME Keyring
    /// unlocked: the OS keyring must then be proven, not skipped.
    fn keyring_required() -> bool {
        std::env::var_os("IDN_REQUIRE_KEYRING").is_some()
    }

    /// Deletes the test's entry even when an assertion fails.
    struct Cleanup<'a>(&'a KeyringVault, &'a str);

    impl Drop for Cleanup<'_> {
        fn drop(&mut self) {
            let _ = self.0.delete(self.1);
        }
    }

    #[test]
    fn memory_vault_keeps_a_secret_until_deleted() {
        let vault = MemoryVault::default();
        assert!(vault.get("device-key").unwrap().is_none());
        vault.set("device-key", b"secret").unwrap();
        assert_eq!(
            vault.get("device-key").unwrap().as_deref().map(Vec::as_slice),
            Some(&b"secret"[..])
        );
        vault.delete("device-key").unwrap();
        assert!(vault.get("device-key").unwrap().is_none(), "deleted");
    }

    #[test]
    fn os_keyring_vault_is_the_secret_service_when_required_and_keeps_a_key() {
        let vault = match KeyringVault::open() {
            Ok(vault) => vault,
            Err(error) => {
                assert!(
                    !keyring_required(),
                    "IDN_REQUIRE_KEYRING is set but no OS keyring opened: {error}"
                );
                eprintln!("skipped: no OS keyring in this session ({error}); scripts/test.sh runs this under a D-Bus session with GNOME Keyring");
                return;
            }
        };
        if keyring_required() {
            assert_eq!(
                vault.backend(),
                KeyringBackend::SecretService,
                "IDN_REQUIRE_KEYRING is set but the vault fell back to {} instead of the Secret Service \
                 that desktop users get (is a D-Bus session with an unlocked GNOME Keyring running?)",
                vault.describe()
            );
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|since| since.as_nanos())
            .unwrap_or_default();
        let name = format!("test-key-{}-{nanos}", std::process::id());
        let key: Vec<u8> = (0..32u8).map(|byte| byte.wrapping_mul(37) ^ 0xA5).collect();
        let _cleanup = Cleanup(&vault, &name);
        vault
            .set(&name, &key)
            .unwrap_or_else(|error| panic!("{} refused to keep a key: {error}", vault.describe()));
        assert_eq!(
            vault.get(&name).unwrap().as_deref(),
            Some(&key),
            "the key reads back through the vault that wrote it"
        );
        // A vault opened afresh is a new connection to the store: the key is in the store itself.
        let reopened = KeyringVault::open().expect("the keyring opens a second time");
        assert_eq!(
            reopened.backend(),
            vault.backend(),
            "the same store is chosen again"
        );
        assert_eq!(
            reopened.get(&name).unwrap().as_deref(),
            Some(&key),
            "the key reads back through a vault opened afresh on {}",
            vault.describe()
        );
        vault.delete(&name).unwrap();
        assert!(
            reopened.get(&name).unwrap().is_none(),
            "the deleted key is gone from the store"
        );
    }
}
