//! The device: its identity (a file of non-secret facts), its signing key (in the vault), and
//! the two things only it can do — activate the identity and answer login requests.

use crate::{DeviceError, Vault, WorldClient};
use ed25519_dalek::{Signer, SigningKey};
use idn_api::ClientError;
use idn_api::{protocol, ActivationRequest, ApprovalAnswer, DeclineAnswer, LearnerView, LoginRequestView};
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
        match std::fs::read(data_dir.join(PROFILE_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| DeviceError::ProfileUnreadable(format!("{PROFILE_FILE}: {error}"))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

pub struct Device {
    client: WorldClient,
    vault: Arc<dyn Vault>,
    profile_path: PathBuf,
    profile: DeviceProfile,
    /// The world's HPKE key, fetched once: a world keeps its key for life.
    world_key: tokio::sync::OnceCell<protocol::WorldPublicKey>,
}

fn signing_key_name(device_id: &str) -> String {
    format!("device-signing-key/{device_id}")
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
        let profile = match DeviceProfile::read(data_dir)? {
            Some(profile) => profile,
            None => {
                let profile = DeviceProfile {
                    device_id: uuid::Uuid::new_v4().to_string(),
                    learner_id: None,
                    account_id: None,
                };
                write_atomically(
                    &profile_path,
                    &serde_json::to_vec_pretty(&profile).expect("profile serialises"),
                )?;
                profile
            }
        };
        Ok(Self {
            client,
            vault,
            profile_path,
            profile,
            world_key: tokio::sync::OnceCell::new(),
        })
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
        let world_key = self.world_key().await?;
        let signing_key = SigningKey::generate(&mut OsRng);
        let device_id = self.profile.device_id.clone();
        let public_key = hex::encode(signing_key.verifying_key().to_bytes());
        let context = protocol::activation_context(learner_id, &device_id, &public_key);
        let sealed = protocol::seal_secret_code(world_key, secret_code.expose(), &context, &mut OsRng)
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
        let view = match activated {
            Ok(view) => view,
            Err(error) => {
                self.vault.delete(&pending_name)?;
                return Err(error.into());
            }
        };
        self.vault
            .set(&signing_key_name(&request.device_id), signing_key.as_bytes())?;
        self.vault.delete(&pending_name)?;
        self.profile.learner_id = Some(learner_id.to_owned());
        self.profile.account_id = Some(learner_id.to_owned());
        self.save_profile()?;
        Ok(view)
    }

    /// Remembers the La Poste account this device enrols, so the app reopens on it.
    pub fn remember_account(&mut self, learner_id: &str) -> Result<(), DeviceError> {
        self.profile.account_id = Some(learner_id.to_owned());
        self.save_profile()
    }

    /// "Supprimer cette identité de l'appareil": the signing key leaves the vault and the
    /// profile forgets the account. The world keeps the learner; this device can no longer
    /// answer for them, and a new activation is needed to use it again.
    pub fn remove_identity(&mut self) -> Result<(), DeviceError> {
        self.vault.delete(&signing_key_name(&self.profile.device_id))?;
        self.profile.learner_id = None;
        self.profile.account_id = None;
        self.save_profile()
    }

    fn save_profile(&self) -> Result<(), DeviceError> {
        write_atomically(
            &self.profile_path,
            &serde_json::to_vec_pretty(&self.profile).expect("profile serialises"),
        )
    }

    /// Requests waiting for this device's answer.
    pub async fn pending_requests(&self) -> Result<Vec<LoginRequestView>, DeviceError> {
        Ok(self.client.pending_login_requests(self.learner_id()?).await?)
    }

    /// Approves a login request with the secret code, typed now and never stored.
    pub async fn approve(
        &self,
        request_id: &str,
        secret_code: &str,
    ) -> Result<LoginRequestView, DeviceError> {
        let learner_id = self.learner_id()?;
        // A malformed code is refused by the world too, where it counts as a failed attempt;
        // it is sent as typed so the device never decides a rule.
        let request = self.client.login_request(request_id).await?;
        let world_key = self.world_key().await?;
        let context = protocol::approval_context(learner_id, request_id, &request.challenge);
        let sealed = protocol::seal_secret_code(world_key, secret_code.trim(), &context, &mut OsRng)
            .map_err(|_| DeviceError::Sealing)?;
        let signing_key = self.signing_key()?;
        let device_id = &self.profile.device_id;
        let terms = self.terms(learner_id, request_id, &request);
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

    async fn world_key(&self) -> Result<&protocol::WorldPublicKey, DeviceError> {
        self.world_key
            .get_or_try_init(|| async {
                let keys = self.client.keys().await?;
                protocol::parse_public_key(&keys.hpke_public_key)
                    .map_err(|_| ClientError::Protocol("world HPKE key unreadable".into()).into())
            })
            .await
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
}
