//! The world's own secrets: its HPKE key (devices seal secret codes to it), the HMAC key of
//! secret-code verifiers and its Ed25519 identity key (it endorses the HPKE key, so a device
//! that pinned the identity tells the world's key from a relay's). They live in a file of the
//! data directory, never in the database, so a copy of the database alone cannot be used to
//! test secret codes offline.

use crate::api::protocol::{self, WorldIdentityKey, WorldPrivateKey, WorldPublicKey};
use crate::api::WorldKeys;
use crate::WorldError;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// The secrets file, in the data directory: the HPKE private key, the verifier key, then the
/// identity key's seed, 32 bytes each. Files of the first version stop after the verifier key.
pub(crate) const FILE_NAME: &str = "world-secrets.key";

const KEY_LENGTH: usize = 32;
/// HPKE key and verifier key: a file written before the world had an identity key.
const FIRST_VERSION_LENGTH: usize = 2 * KEY_LENGTH;
const LENGTH: usize = 3 * KEY_LENGTH;

pub struct WorldSecrets {
    hpke_private: WorldPrivateKey,
    verifier_key: Zeroizing<[u8; 32]>,
    /// What `GET /api/keys` answers, endorsed once at open (the identity key signs nothing else).
    public: WorldKeys,
}

impl WorldSecrets {
    /// Reads the secrets file, creating it (mode 0600, written atomically) on first start.
    /// When the database already exists the file must too: new keys would silently turn every
    /// enrolled person's correct secret code into a wrong one.
    pub fn load_or_create(data_dir: &Path, database_exists: bool) -> Result<Self, WorldError> {
        let path = data_dir.join(FILE_NAME);
        match std::fs::read(&path) {
            Ok(bytes) if bytes.len() == FIRST_VERSION_LENGTH => {
                // A world from before identity keys: the same HPKE and verifier keys, and a new
                // identity from now on (its devices pin it at their next contact).
                let mut upgraded = Zeroizing::new(bytes);
                upgraded.extend_from_slice(random_key().as_slice());
                write_private_file(&path, &upgraded)?;
                tracing::info!(path = %path.display(), "world identity key added to the secrets file");
                Self::decode(&upgraded)
            }
            Ok(bytes) => Self::decode(&Zeroizing::new(bytes)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && database_exists => Err(
                WorldError::Corrupt(format!(
                    "{} is missing but the database exists: restore it from the backup of this data directory",
                    path.display()
                )),
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let (hpke_private, _) = protocol::generate_world_key(&mut OsRng);
                let mut encoded = Zeroizing::new(protocol::private_key_bytes(&hpke_private));
                encoded.extend_from_slice(random_key().as_slice());
                encoded.extend_from_slice(random_key().as_slice());
                write_private_file(&path, &encoded)?;
                Self::decode(&encoded)
            }
            Err(error) => Err(error.into()),
        }
    }

    fn decode(bytes: &[u8]) -> Result<Self, WorldError> {
        if bytes.len() != LENGTH {
            return Err(WorldError::Corrupt(format!(
                "{FILE_NAME} has {} bytes, expected {LENGTH}",
                bytes.len()
            )));
        }
        let (hpke, rest) = bytes.split_at(KEY_LENGTH);
        let (verifier, identity) = rest.split_at(KEY_LENGTH);
        let hpke_private = protocol::parse_private_key(hpke)
            .map_err(|_| WorldError::Corrupt(format!("{FILE_NAME}: bad HPKE key")))?;
        let hpke_public: WorldPublicKey = protocol::public_from_private(&hpke_private);
        let mut verifier_key = Zeroizing::new([0u8; 32]);
        verifier_key.copy_from_slice(verifier);
        let mut seed = Zeroizing::new([0u8; 32]);
        seed.copy_from_slice(identity);
        let identity = WorldIdentityKey::from_bytes(&seed);
        Ok(Self {
            hpke_private,
            verifier_key,
            public: protocol::world_keys(&identity, &hpke_public),
        })
    }

    pub fn hpke_private(&self) -> &WorldPrivateKey {
        &self.hpke_private
    }

    /// The world's public keys, the HPKE key endorsed by the identity key.
    pub fn public_keys(&self) -> &WorldKeys {
        &self.public
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

fn random_key() -> Zeroizing<[u8; KEY_LENGTH]> {
    let mut key = Zeroizing::new([0u8; KEY_LENGTH]);
    OsRng.fill_bytes(key.as_mut_slice());
    key
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
    // The mode above applies only when the file is created: a leftover from an interrupted
    // write keeps its own.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
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

    #[test]
    fn the_identity_key_and_its_endorsement_survive_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let first = WorldSecrets::load_or_create(dir.path(), false).unwrap();
        let again = WorldSecrets::load_or_create(dir.path(), true).unwrap();
        let (first, again) = (first.public_keys(), again.public_keys());
        assert_eq!(
            first.identity_public_key, again.identity_public_key,
            "devices pinned the identity: a restart must not change it"
        );
        assert_eq!(first.hpke_public_key, again.hpke_public_key);
        protocol::verify_world_keys(again).expect("the world's keys are endorsed by its identity");
        let other = tempfile::tempdir().unwrap();
        let stranger = WorldSecrets::load_or_create(other.path(), false).unwrap();
        assert_ne!(
            stranger.public_keys().identity_public_key,
            first.identity_public_key,
            "each world has its own identity"
        );
    }

    #[test]
    fn a_secrets_file_without_identity_is_upgraded_in_place_keeping_its_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        // A file of the first version: HPKE private key then verifier key, nothing else.
        let (hpke_private, hpke_public) = protocol::generate_world_key(&mut OsRng);
        let verifier_key = [7u8; 32];
        let mut old = protocol::private_key_bytes(&hpke_private);
        old.extend_from_slice(&verifier_key);
        std::fs::write(&path, &old).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }

        let upgraded = WorldSecrets::load_or_create(dir.path(), true).unwrap();
        assert_eq!(
            upgraded.public_keys().hpke_public_key,
            protocol::public_key_hex(&hpke_public),
            "devices seal to the same HPKE key after the upgrade"
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(&verifier_key).unwrap();
        mac.update(b"learner\x001234");
        let verifier = hex::encode(mac.finalize().into_bytes());
        assert!(
            upgraded.code_matches("learner", "1234", &verifier),
            "secret codes enrolled before the upgrade still match"
        );
        protocol::verify_world_keys(upgraded.public_keys()).expect("the upgraded world endorses its key");

        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), LENGTH, "the identity key is written to the file");
        assert_eq!(
            &written[..FIRST_VERSION_LENGTH],
            old.as_slice(),
            "the old keys are kept as they were"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the rewritten secrets file is its owner's only");
        }
        assert!(
            !path.with_extension("tmp").exists(),
            "the file is replaced whole, no half-written copy is left"
        );
        let reopened = WorldSecrets::load_or_create(dir.path(), true).unwrap();
        assert_eq!(
            reopened.public_keys().identity_public_key,
            upgraded.public_keys().identity_public_key,
            "the identity made at the upgrade is the one kept"
        );
    }
}
