//! The world's own secrets: its HPKE key (devices seal secret codes to it) and the HMAC key of
//! secret-code verifiers. They live in a file of the data directory, never in the database, so
//! a copy of the database alone cannot be used to test secret codes offline.

use crate::api::protocol::{self, WorldPrivateKey, WorldPublicKey};
use crate::WorldError;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// The secrets file, in the data directory.
pub(crate) const FILE_NAME: &str = "world-secrets.key";

pub struct WorldSecrets {
    hpke_private: WorldPrivateKey,
    hpke_public: WorldPublicKey,
    verifier_key: Zeroizing<[u8; 32]>,
}

impl WorldSecrets {
    /// Reads the secrets file, creating it (mode 0600, written atomically) on first start.
    /// When the database already exists the file must too: new keys would silently turn every
    /// enrolled person's correct secret code into a wrong one.
    pub fn load_or_create(data_dir: &Path, database_exists: bool) -> Result<Self, WorldError> {
        let path = data_dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) => Self::decode(&bytes),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && database_exists => Err(
                WorldError::Corrupt(format!(
                    "{} is missing but the database exists: restore it from the backup of this data directory",
                    path.display()
                )),
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let (hpke_private, _) = protocol::generate_world_key(&mut OsRng);
                let mut verifier_key = [0u8; 32];
                OsRng.fill_bytes(&mut verifier_key);
                let mut encoded = Zeroizing::new(protocol::private_key_bytes(&hpke_private));
                encoded.extend_from_slice(&verifier_key);
                write_private_file(&path, &encoded)?;
                Self::decode(&encoded)
            }
            Err(error) => Err(error.into()),
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, WorldError> {
        if bytes.len() != 64 {
            return Err(WorldError::Corrupt(format!(
                "{FILE_NAME} has {} bytes, expected 64",
                bytes.len()
            )));
        }
        let hpke_private = protocol::parse_private_key(&bytes[..32])
            .map_err(|_| WorldError::Corrupt(format!("{FILE_NAME}: bad HPKE key")))?;
        let hpke_public = protocol::public_from_private(&hpke_private);
        let mut verifier_key = Zeroizing::new([0u8; 32]);
        verifier_key.copy_from_slice(&bytes[32..]);
        Ok(Self {
            hpke_private,
            hpke_public,
            verifier_key,
        })
    }

    pub fn hpke_private(&self) -> &WorldPrivateKey {
        &self.hpke_private
    }

    pub fn hpke_public_hex(&self) -> String {
        protocol::public_key_hex(&self.hpke_public)
    }

    /// HMAC-SHA256 of the learner and the code under the world's verifier key.
    pub fn secret_verifier(&self, learner_id: &str, code: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.verifier_key.as_slice()).expect("HMAC takes any key length");
        mac.update(learner_id.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// Constant-time comparison of a code with a stored verifier.
    pub fn code_matches(&self, learner_id: &str, code: &str, verifier: &str) -> bool {
        let Ok(expected) = hex::decode(verifier) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.verifier_key.as_slice()).expect("HMAC takes any key length");
        mac.update(learner_id.as_bytes());
        mac.update(b"\0");
        mac.update(code.as_bytes());
        mac.verify_slice(&expected).is_ok()
    }
}

/// Written whole then renamed, readable by the owner only: the world's secrets and keys.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), WorldError> {
    let temporary = path.with_extension("tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    // The rename itself must survive a power loss before the database refers to these keys.
    if let Some(directory) = path.parent() {
        std::fs::File::open(directory)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_survive_a_restart_and_verifiers_depend_on_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let first = WorldSecrets::load_or_create(dir.path(), false).unwrap();
        let verifier = first.secret_verifier("learner", "1234");
        let again = WorldSecrets::load_or_create(dir.path(), true).unwrap();
        assert!(
            again.code_matches("learner", "1234", &verifier),
            "same key after restart"
        );
        assert!(!again.code_matches("learner", "1243", &verifier));
        let other = tempfile::tempdir().unwrap();
        let stranger = WorldSecrets::load_or_create(other.path(), false).unwrap();
        assert!(
            !stranger.code_matches("learner", "1234", &verifier),
            "without the key file the code cannot be tested"
        );
    }
}
