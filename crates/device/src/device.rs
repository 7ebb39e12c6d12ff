//! The device: its identity (a file of non-secret facts), its signing key (in the vault), and
//! the two things only it can do — activate the identity and answer login requests. It seals
//! the secret code only to a world key it trusts: the identity key of each world it met is
//! pinned at the first contact, and the HPKE key must be endorsed by it. A device that joined
//! a world by its QR code (`idn_api::join`) knows that identity beforehand: the key pinned must
//! be the one the code names, instead of the first one seen.

use crate::{DeviceError, Vault, WorldClient};
use ed25519_dalek::{Signer, SigningKey};
use idn_api::join::IdentityFingerprint;
use idn_api::ClientError;
use idn_api::{
    protocol, ActivationRequest, ApprovalAnswer, Credential, DeclineAnswer, IssuedCredential, LearnerAccess,
    LearnerView, LoginRequestView,
};
use idn_journey::enrolment::SecretCode;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use zeroize::Zeroizing;

const PROFILE_FILE: &str = "device.json";

/// What the device remembers outside the vault; nothing here is secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceProfile {
    pub device_id: String,
    /// The learner whose identity is activated on this device.
    pub learner_id: Option<String>,
    /// The La Poste account being enrolled from this device, before activation: the app
    /// reopens on it. Absent in profiles written before the app had screens.
    #[serde(default)]
    pub account_id: Option<String>,
}

impl DeviceProfile {
    /// The profile kept in `data_dir`, read without opening the device (no world, no vault): the
    /// app's first screen decides from it while the embedded world starts. `None`: a new device.
    pub fn read(data_dir: &Path) -> Result<Option<DeviceProfile>, DeviceError> {
        Ok(read_profile_file(data_dir)?.map(|(profile, _)| profile))
    }
}

/// A world as this device first met it at `base_url` (trust on first use): the identity key
/// that endorses its HPKE key, and the HPKE key the device seals to. Public keys, hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct WorldPin {
    base_url: String,
    identity_public_key: String,
    hpke_public_key: String,
}

/// The profile file: the profile's fields and, beside them, the worlds this device pinned.
/// The pins are not part of `DeviceProfile` because approvals (`&self`, possibly several at
/// once) re-pin an endorsed new HPKE key: the device keeps them behind a lock of their own.
#[derive(Serialize)]
struct ProfileFile<'a> {
    #[serde(flatten)]
    profile: &'a DeviceProfile,
    world_pins: &'a [WorldPin],
}

/// The pins of a profile file; a profile written before pinning has none.
#[derive(Deserialize)]
struct PinsInFile {
    #[serde(default)]
    world_pins: Vec<WorldPin>,
}

fn read_profile_file(data_dir: &Path) -> Result<Option<(DeviceProfile, Vec<WorldPin>)>, DeviceError> {
    let unreadable =
        |error: serde_json::Error| DeviceError::ProfileUnreadable(format!("{PROFILE_FILE}: {error}"));
    match std::fs::read(data_dir.join(PROFILE_FILE)) {
        Ok(bytes) => {
            let profile = serde_json::from_slice(&bytes).map_err(unreadable)?;
            let PinsInFile { world_pins } = serde_json::from_slice(&bytes).map_err(unreadable)?;
            Ok(Some((profile, world_pins)))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub struct Device {
    client: WorldClient,
    vault: Arc<dyn Vault>,
    profile_path: PathBuf,
    profile: DeviceProfile,
    /// The worlds this device met, as written in the profile file (see [`ProfileFile`]).
    world_pins: std::sync::Mutex<Vec<WorldPin>>,
    /// The identity key of the client's world as its join code names it, if it was joined so.
    expected_identity: Option<IdentityFingerprint>,
    /// The pinned HPKE key (hex) last checked against the world's endorsed keys, and when: see
    /// [`WORLD_KEYS_RECHECK`].
    checked_world_key: std::sync::Mutex<Option<(std::time::Instant, String)>>,
}

/// How long a device seals to the key it last checked before asking the world's keys again. The
/// sandbox's choice: the check exists to take a new key the pinned identity endorses, which a
/// phone sees within ten minutes, while each approval of a busy class no longer costs one more
/// exchange and a signature check (the sealing key is always the pinned one either way).
pub const WORLD_KEYS_RECHECK: std::time::Duration = std::time::Duration::from_secs(600);

fn signing_key_name(device_id: &str) -> String {
    format!("device-signing-key/{device_id}")
}

/// The credential that acts for the learner from this device: the account's until activation,
/// then the device's. A secret, so in the vault beside the key, never in the profile.
fn credential_name(device_id: &str) -> String {
    format!("learner-credential/{device_id}")
}

fn parse_secret_code(raw: &str) -> Result<SecretCode, DeviceError> {
    SecretCode::parse(raw).map_err(|error| DeviceError::Invalid {
        code: error.code(),
        message: error.message_fr(),
    })
}

impl Device {
    /// Opens the device stored in `data_dir`, creating its identity on first use.
    pub fn open(data_dir: &Path, client: WorldClient, vault: Arc<dyn Vault>) -> Result<Self, DeviceError> {
        std::fs::create_dir_all(data_dir)?;
        let profile_path = data_dir.join(PROFILE_FILE);
        let (profile, world_pins) = match read_profile_file(data_dir)? {
            Some(stored) => stored,
            None => {
                let profile = DeviceProfile {
                    device_id: uuid::Uuid::new_v4().to_string(),
                    learner_id: None,
                    account_id: None,
                };
                write_profile_file(&profile_path, &profile, &[])?;
                (profile, Vec::new())
            }
        };
        // The learner's credential, when one was stored: every call of this device carries it.
        let client = match vault.get(&credential_name(&profile.device_id))? {
            Some(token) => match std::str::from_utf8(&token) {
                Ok(token) => client.with_credential(Credential::new(token)),
                Err(_) => return Err(DeviceError::Vault("stored credential is not text".into())),
            },
            None => client,
        };
        Ok(Self {
            client,
            vault,
            profile_path,
            profile,
            world_pins: std::sync::Mutex::new(world_pins),
            expected_identity: None,
            checked_world_key: std::sync::Mutex::new(None),
        })
    }

    /// The same device, for a world joined by its QR code (or the code's text pasted): the
    /// identity key it pins for that world must be `identity`, whether it meets the world for
    /// the first time or pinned another key before (the projected code is the channel the class
    /// trusts, so it also replaces a pin taken on first use, e.g. of a world since recreated).
    pub fn expecting_world_identity(self, identity: IdentityFingerprint) -> Self {
        Self {
            expected_identity: Some(identity),
            checked_world_key: std::sync::Mutex::new(None),
            ..self
        }
    }

    pub fn profile(&self) -> &DeviceProfile {
        &self.profile
    }

    pub fn client(&self) -> &WorldClient {
        &self.client
    }

    pub fn vault_description(&self) -> String {
        self.vault.describe()
    }

    fn signing_key(&self) -> Result<SigningKey, DeviceError> {
        let bytes = self
            .vault
            .get(&signing_key_name(&self.profile.device_id))?
            .ok_or(DeviceError::DeviceKeyMissing)?;
        let bytes: Zeroizing<[u8; 32]> = Zeroizing::new(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| DeviceError::Vault("stored device key has the wrong length".into()))?,
        );
        Ok(SigningKey::from_bytes(&bytes))
    }

    fn learner_id(&self) -> Result<&str, DeviceError> {
        self.profile
            .learner_id
            .as_deref()
            .ok_or(DeviceError::NotActivated)
    }

    /// Types the activation code, chooses the secret code, and enrols this device: a new key
    /// pair whose private half goes to the vault before the world hears of it, and becomes the
    /// device's key once the world has accepted it.
    pub async fn activate(
        &mut self,
        learner_id: &str,
        activation_code: &str,
        secret_code: &str,
    ) -> Result<LearnerView, DeviceError> {
        let secret_code = parse_secret_code(secret_code)?;
        let world_key = self.trusted_world_key().await?;
        let signing_key = SigningKey::generate(&mut OsRng);
        let device_id = self.profile.device_id.clone();
        let public_key = hex::encode(signing_key.verifying_key().to_bytes());
        let context = protocol::activation_context(learner_id, &device_id, &public_key);
        let sealed = protocol::seal_secret_code(&world_key, secret_code.expose(), &context, &mut OsRng)
            .map_err(|_| DeviceError::Sealing)?;
        let signature = signing_key.sign(&protocol::activation_message(
            learner_id,
            &device_id,
            &public_key,
            &sealed,
        ));
        // The new key waits under its own name until the world accepts it, so a refused
        // activation never replaces a key the world has already enrolled.
        let pending_name = format!("{}/pending", signing_key_name(&device_id));
        self.vault.set(&pending_name, signing_key.as_bytes())?;
        let request = ActivationRequest {
            activation_code: activation_code.to_owned(),
            device_id,
            device_public_key: public_key,
            sealed_secret_code: sealed,
            signature: hex::encode(signature.to_bytes()),
        };
        let activated = self.client.activate(learner_id, &request).await;
        let access = match activated {
            Ok(access) => access,
            Err(error) => {
                self.vault.delete(&pending_name)?;
                return Err(error.into());
            }
        };
        self.vault
            .set(&signing_key_name(&request.device_id), signing_key.as_bytes())?;
        self.vault.delete(&pending_name)?;
        self.keep_credential(&access.credential)?;
        self.profile.learner_id = Some(learner_id.to_owned());
        self.profile.account_id = Some(learner_id.to_owned());
        self.save_profile()?;
        Ok(access.learner)
    }

    /// Follows the La Poste account the world just opened or signed into from this device: its
    /// credential goes to the vault and the app reopens on the account.
    pub fn adopt_account(&mut self, access: &LearnerAccess) -> Result<(), DeviceError> {
        self.keep_credential(&access.credential)?;
        self.profile.account_id = Some(access.learner.id.clone());
        self.save_profile()
    }

    fn keep_credential(&mut self, credential: &IssuedCredential) -> Result<(), DeviceError> {
        self.vault.set(
            &credential_name(&self.profile.device_id),
            credential.token.as_bytes(),
        )?;
        self.client = self
            .client
            .with_credential(Credential::new(credential.token.clone()));
        Ok(())
    }

    /// "Supprimer cette identité de l'appareil": the world ends this device's credential, the
    /// signing key and the credential leave the vault and the profile forgets the account. The
    /// world keeps the learner; a new activation is needed to use it again. An unreachable
    /// world does not keep the identity on the phone: the credential is then forgotten here
    /// only (it also ends at the next activation or when support disconnects the learner).
    pub async fn remove_identity(&mut self) -> Result<(), DeviceError> {
        if self.client.credential().is_some() {
            match self.client.revoke_own_credential().await {
                Ok(()) => {}
                Err(error @ ClientError::World { .. }) if error.code().starts_with("credential_") => {}
                Err(error) => {
                    tracing::warn!(%error, "the world could not end this device's credential")
                }
            }
        }
        self.vault.delete(&signing_key_name(&self.profile.device_id))?;
        self.vault.delete(&credential_name(&self.profile.device_id))?;
        self.client = self.client.anonymous();
        self.profile.learner_id = None;
        self.profile.account_id = None;
        self.save_profile()
    }

    fn save_profile(&self) -> Result<(), DeviceError> {
        write_profile_file(&self.profile_path, &self.profile, &self.pins())
    }

    /// The pins; a panic of another approval while it held them leaves them as they were.
    fn pins(&self) -> std::sync::MutexGuard<'_, Vec<WorldPin>> {
        self.world_pins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Requests waiting for this device's answer.
    pub async fn pending_requests(&self) -> Result<Vec<LoginRequestView>, DeviceError> {
        Ok(self.client.pending_login_requests(self.learner_id()?).await?)
    }

    /// Approves a login request with the secret code, typed now and never stored, reading the
    /// request from the world first (a caller that holds only its id).
    pub async fn approve(
        &self,
        request_id: &str,
        secret_code: &str,
    ) -> Result<LoginRequestView, DeviceError> {
        let request = self.client.login_request(request_id).await?;
        self.approve_shown(&request, secret_code).await
    }

    /// Approves the request as the phone showed it (from the pending list or the event stream):
    /// what is signed is what the person saw, and no second read is needed. A request that
    /// changed since is refused by the world, which checks the signature against its own terms.
    pub async fn approve_shown(
        &self,
        request: &LoginRequestView,
        secret_code: &str,
    ) -> Result<LoginRequestView, DeviceError> {
        let learner_id = self.learner_id()?;
        let request_id = request.request_id.as_str();
        // A malformed code is refused by the world too, where it counts as a failed attempt;
        // it is sent as typed so the device never decides a rule.
        let world_key = self.trusted_world_key().await?;
        let context = protocol::approval_context(learner_id, request_id, &request.challenge);
        let sealed = protocol::seal_secret_code(&world_key, secret_code.trim(), &context, &mut OsRng)
            .map_err(|_| DeviceError::Sealing)?;
        let signing_key = self.signing_key()?;
        let device_id = &self.profile.device_id;
        let terms = self.terms(learner_id, request_id, request);
        let signed = protocol::approval_message(&terms, &sealed);
        let answer = ApprovalAnswer {
            device_id: device_id.clone(),
            sealed_secret_code: sealed,
            signature: hex::encode(signing_key.sign(&signed).to_bytes()),
        };
        Ok(self.client.approve(learner_id, request_id, &answer).await?)
    }

    pub async fn decline(&self, request_id: &str) -> Result<LoginRequestView, DeviceError> {
        let learner_id = self.learner_id()?;
        let request = self.client.login_request(request_id).await?;
        let device_id = &self.profile.device_id;
        let terms = self.terms(learner_id, request_id, &request);
        let signed = protocol::decline_message(&terms);
        let answer = DeclineAnswer {
            device_id: device_id.clone(),
            signature: hex::encode(self.signing_key()?.sign(&signed).to_bytes()),
        };
        Ok(self.client.decline(learner_id, request_id, &answer).await?)
    }

    /// The HPKE key to seal the secret code to, before every activation and approval: the
    /// world's keys are fetched and their endorsement checked (at most every
    /// [`WORLD_KEYS_RECHECK`] for one opened device), and the key returned is the one pinned for
    /// this world. At the first contact with a world (its base URL) its
    /// identity and HPKE keys are pinned; later, a new HPKE key is taken (and pinned) only when
    /// the pinned identity endorses it. A bad endorsement or another identity: nothing is sealed.
    /// With an expected identity (the join code's), an identity other than it is refused before
    /// anything is pinned, and it is the one pinned.
    async fn trusted_world_key(&self) -> Result<protocol::WorldPublicKey, DeviceError> {
        let recent = self
            .checked_world_key
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .filter(|(at, _)| at.elapsed() < WORLD_KEYS_RECHECK)
            .map(|(_, key)| key.clone());
        let pinned_hex = match recent {
            Some(key) => key,
            None => {
                let key = self.check_world_keys().await?;
                *self
                    .checked_world_key
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Some((std::time::Instant::now(), key.clone()));
                key
            }
        };
        protocol::parse_public_key(&pinned_hex)
            .map_err(|_| DeviceError::ProfileUnreadable(format!("{PROFILE_FILE}: a pinned HPKE key")))
    }

    /// Fetches the world's keys, checks their endorsement against the pin (pinning at first
    /// contact) and answers the pinned HPKE key, in hexadecimal.
    async fn check_world_keys(&self) -> Result<String, DeviceError> {
        let keys = self.client.keys().await?;
        let base_url = self.client.base_url();
        let untrusted = |reason: &str| {
            tracing::warn!(
                base_url,
                reason,
                "the world's keys are not trusted: nothing is sealed"
            );
            DeviceError::WorldKeyUntrusted
        };
        let endorsed = endorsed_keys(&keys, base_url, self.expected_identity)?;
        let mut pins = self.pins();
        let pinned = match pins.iter().position(|pin| pin.base_url == base_url) {
            Some(index) => {
                let pin = &mut pins[index];
                if pin.identity_public_key != endorsed.identity_public_key {
                    if self.expected_identity.is_none() {
                        return Err(untrusted("another identity key than the pinned one"));
                    }
                    tracing::info!(
                        base_url,
                        "the world's join code names another identity than the pinned one: re-pinned"
                    );
                    pin.identity_public_key = endorsed.identity_public_key;
                    pin.hpke_public_key = endorsed.hpke_public_key;
                    write_profile_file(&self.profile_path, &self.profile, &pins)?;
                } else if pin.hpke_public_key != endorsed.hpke_public_key {
                    tracing::info!(base_url, key_id = %keys.key_id, "the world's new HPKE key is endorsed by its pinned identity");
                    pin.hpke_public_key = endorsed.hpke_public_key;
                    write_profile_file(&self.profile_path, &self.profile, &pins)?;
                }
                pins[index].clone()
            }
            None => {
                // The app's embedded world takes a new loopback port at each start: its pin
                // moves to the new port rather than piling up. A pin for an address on the
                // network is never dropped because another address showed the same keys.
                pins.retain(|pin| {
                    pin.identity_public_key != endorsed.identity_public_key || !is_loopback(&pin.base_url)
                });
                let pin = WorldPin {
                    base_url: base_url.to_owned(),
                    identity_public_key: endorsed.identity_public_key,
                    hpke_public_key: endorsed.hpke_public_key,
                };
                pins.push(pin.clone());
                write_profile_file(&self.profile_path, &self.profile, &pins)?;
                pin
            }
        };
        Ok(pinned.hpke_public_key)
    }

    /// Whether the world `client` reaches shows the identity key its join code names, asked
    /// when joining so that a wrong world is said at once (activation and approvals check it
    /// again, each time, before sealing anything).
    pub async fn check_world_identity(
        client: &WorldClient,
        identity: IdentityFingerprint,
    ) -> Result<(), DeviceError> {
        let keys = client.keys().await?;
        endorsed_keys(&keys, client.base_url(), Some(identity)).map(drop)
    }

    /// What an answer to `request` signs, from this device.
    fn terms<'a>(
        &'a self,
        learner_id: &'a str,
        request_id: &'a str,
        request: &'a LoginRequestView,
    ) -> protocol::RequestTerms<'a> {
        protocol::RequestTerms {
            learner_id,
            request_id,
            relying_party: &request.relying_party,
            challenge: &request.challenge,
            deadline: request.deadline,
            device_id: &self.profile.device_id,
        }
    }
}

/// The world's keys once their endorsement verifies and, when a join code named the world's
/// identity key (`expected`), once the endorsing key is that one.
fn endorsed_keys(
    keys: &idn_api::WorldKeys,
    base_url: &str,
    expected: Option<IdentityFingerprint>,
) -> Result<protocol::EndorsedWorldKeys, DeviceError> {
    let endorsed = protocol::verify_world_keys(keys).map_err(|_| {
        tracing::warn!(
            base_url,
            "the world's keys are not trusted (the endorsement does not verify): nothing is sealed"
        );
        DeviceError::WorldKeyUntrusted
    })?;
    if let Some(expected) = expected {
        let shown = hex::decode(&endorsed.identity_public_key).unwrap_or_default();
        if IdentityFingerprint::of(&shown) != expected {
            tracing::warn!(
                base_url,
                "the world's identity key is not the one its join code names: nothing is pinned or sealed"
            );
            return Err(DeviceError::WorldNotTheScannedOne);
        }
    }
    Ok(endorsed)
}

/// Whether `base_url` names this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(base_url: &str) -> bool {
    let authority = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

fn write_profile_file(
    path: &Path,
    profile: &DeviceProfile,
    world_pins: &[WorldPin],
) -> Result<(), DeviceError> {
    let file = ProfileFile { profile, world_pins };
    write_atomically(
        path,
        &serde_json::to_vec_pretty(&file).expect("profile serialises"),
    )
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DeviceError> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryVault;

    #[test]
    fn the_profile_reads_without_the_world_as_the_device_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            DeviceProfile::read(dir.path()).unwrap(),
            None,
            "a folder where no device ever opened is a new device"
        );
        // No world listens there: opening a device reaches no server.
        let client = WorldClient::new("http://127.0.0.1:9");
        let device = Device::open(dir.path(), client, Arc::new(MemoryVault::default())).unwrap();
        assert_eq!(
            DeviceProfile::read(dir.path()).unwrap().as_ref(),
            Some(device.profile()),
            "the app's first screen must see the profile the device keeps"
        );
    }

    #[test]
    fn only_addresses_of_this_machine_are_loopback() {
        for url in [
            "http://127.0.0.1:40000",
            "http://localhost:8080/",
            "http://[::1]:9",
            "https://127.0.0.2",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://192.168.1.20:8787",
            "https://classe.example:443",
            "http://localhost.example",
            "http://[fe80::1]:80",
        ] {
            assert!(!is_loopback(url), "{url}: a pin on the network is kept");
        }
    }

    #[test]
    fn a_profile_written_before_world_pins_opens_and_keeps_its_identity() {
        let dir = tempfile::tempdir().unwrap();
        let before = r#"{"device_id": "telephone-1", "learner_id": "learner-1", "account_id": "learner-1"}"#;
        std::fs::write(dir.path().join(PROFILE_FILE), before).unwrap();
        let client = WorldClient::new("http://127.0.0.1:9");
        let device = Device::open(dir.path(), client, Arc::new(MemoryVault::default())).unwrap();
        assert_eq!(device.profile().device_id, "telephone-1");
        assert_eq!(device.profile().learner_id.as_deref(), Some("learner-1"));
        assert!(
            device.pins().is_empty(),
            "no world met yet: the first contact pins"
        );
    }
}
