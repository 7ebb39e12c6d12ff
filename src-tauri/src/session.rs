//! The device as the screens see it: the world in use, this device's profile and the learner it
//! enrols, gathered into one [`SessionView`] snapshot. The same snapshot is pushed as the
//! `session` event whenever the world reports a change (server-sent events), so screens never poll.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use idn_api::{InboxMessage, LearnerView, LoginRequestView};
use idn_device::{ClientError, Device, DeviceError, KeyringVault, MemoryVault, Vault, WorldClient};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};

use crate::commands::CommandError;
use crate::world_link::{Linked, Origin, WorldLink};

/// The event name the screens listen to; its payload is a [`SessionView`].
pub const SESSION_EVENT: &str = "session";

/// Where the world lives (wire type of `world_connection`, and part of every snapshot).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WorldConnection {
    pub base_url: String,
    pub origin: Origin,
}

/// Everything a screen needs to decide what to show: snapshot of `session` and payload of the
/// `session` event.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub world: WorldConnection,
    pub device_id: String,
    /// Where this device's key lives (OS keyring or memory), for the "À propos" section.
    pub vault: String,
    /// The La Poste account enrolled from this device, if one was created.
    pub learner: Option<LearnerView>,
    /// True once this device holds the activated key of `learner`.
    pub activated_here: bool,
    /// Emails, SMS and letters, newest last.
    pub inbox: Vec<InboxMessage>,
    /// Login requests waiting for this device's answer.
    pub pending_requests: Vec<LoginRequestView>,
    /// Set when the world no longer accepts this device's access to the account (the identity
    /// activated on another phone, an access expired or ended): the screens then ask to sign in
    /// again with the account (« Se connecter avec un compte La Poste existant ») and say why.
    pub sign_in_needed: Option<SignInNeeded>,
}

/// Why the device must sign in to its account again (wire type, in [`SessionView`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SignInNeeded {
    /// The world's stable code (`credential_revoked`, `credential_expired`,
    /// `authentication_required`), or `credential_missing` when this device keeps no access
    /// for the account it follows (a throw-away vault after a restart, an older profile).
    pub code: String,
    /// For people, in French: the world's reason (« Votre Identité Numérique a été activée sur
    /// un autre téléphone. »…), or the app's for `credential_missing`.
    pub reason: String,
}

impl SignInNeeded {
    /// The device follows an account but keeps no credential for it: asking the world would
    /// only be refused, so the app says so itself.
    pub fn missing() -> SignInNeeded {
        SignInNeeded {
            code: "credential_missing".into(),
            reason:
                "Cet appareil ne garde plus l'accès à votre compte La Poste : connectez-vous pour continuer."
                    .into(),
        }
    }

    /// The world refused the credential this device presented (HTTP 401, whatever the code):
    /// its reason is what the person reads. Any other failure is not a matter of signing in.
    pub fn from_refusal(error: &ClientError) -> Option<SignInNeeded> {
        match error {
            ClientError::World {
                status: 401,
                code,
                message,
                ..
            } => Some(SignInNeeded {
                code: code.clone(),
                reason: message.clone(),
            }),
            ClientError::World { .. } | ClientError::Unreachable { .. } | ClientError::Protocol(_) => None,
        }
    }
}

struct OpenDevice {
    /// The world linked when the device was opened: joining again, even the same address by
    /// its QR code, reopens it with the new link's trust and expected identity.
    linked: Arc<Linked>,
    device: Device,
}

/// Managed state beside the [`WorldLink`]: the device opened for the world in use.
pub struct Session {
    device: tokio::sync::Mutex<Option<OpenDevice>>,
    vault: Result<Arc<dyn Vault>, String>,
    live: Mutex<Option<tauri::async_runtime::JoinHandle<()>>>,
}

impl Session {
    /// The OS keyring, or memory when `IDN_VAULT=memoire` asks for a throw-away device (as the
    /// CLI's `--vault memoire`). A keyring that cannot open is reported when the device is used.
    pub fn new() -> Session {
        let vault: Result<Arc<dyn Vault>, String> = match std::env::var("IDN_VAULT").as_deref() {
            Ok("memoire") => Ok(Arc::new(MemoryVault::default())),
            _ => KeyringVault::open()
                .map(|vault| Arc::new(vault) as Arc<dyn Vault>)
                .map_err(|error| error.to_string()),
        };
        if let Err(error) = &vault {
            tracing::warn!(%error, "no OS keyring: activation will be refused until one is available");
        }
        Session {
            device: tokio::sync::Mutex::new(None),
            vault,
            live: Mutex::new(None),
        }
    }
}

/// Runs `work` with the device of the world in use, opening it on first use.
pub async fn with_device<T>(
    app: &AppHandle,
    work: impl AsyncFnOnce(&Linked, &mut Device) -> Result<T, CommandError>,
) -> Result<T, CommandError> {
    let linked = app.state::<WorldLink>().linked()?;
    let session = app.state::<Session>();
    let mut slot = session.device.lock().await;
    let reuse = slot
        .as_ref()
        .is_some_and(|open| Arc::ptr_eq(&open.linked, &linked));
    if !reuse {
        let vault = session
            .vault
            .clone()
            .map_err(|error| CommandError::from(DeviceError::VaultUnavailable(error)))?;
        let dir = device_dir(app)?.join(linked.device_folder());
        let device = linked.open_device(&dir, vault)?;
        *slot = Some(OpenDevice {
            linked: linked.clone(),
            device,
        });
    }
    let open = slot.as_mut().expect("opened just above");
    work(&linked, &mut open.device).await
}

pub(crate) fn device_dir(app: &AppHandle) -> Result<PathBuf, CommandError> {
    crate::world_link::data_root(app)
        .map(|dir| dir.join("device"))
        .ok_or_else(|| CommandError::from(DeviceError::Io(std::io::Error::other("no app data directory"))))
}

/// The snapshot of everything the screens show.
pub async fn snapshot(app: &AppHandle) -> Result<SessionView, CommandError> {
    let vault = app
        .state::<Session>()
        .vault
        .as_ref()
        .map(|vault| vault.describe())
        .unwrap_or_else(|_| "indisponible".into());
    with_device(app, async |linked, device| {
        let profile = device.profile().clone();
        // Every read for the learner carries the learner's own credential (the device's).
        let client = device.client();
        let mut sign_in_needed = None;
        let learner = match &profile.account_id {
            None => None,
            Some(_) if client.credential().is_none() => {
                sign_in_needed = Some(SignInNeeded::missing());
                None
            }
            Some(id) => match client.learner(id).await {
                Ok(view) => Some(view),
                // The world was reset or is another one: the account no longer exists there.
                Err(ClientError::World { status: 404, .. }) => None,
                Err(error) => match SignInNeeded::from_refusal(&error) {
                    // Not an error to show: the screens offer to sign in again, with the reason.
                    Some(needed) => {
                        tracing::info!(code = %needed.code, "the world refused this device's credential");
                        sign_in_needed = Some(needed);
                        None
                    }
                    None => return Err(error.into()),
                },
            },
        };
        let inbox = match &learner {
            Some(view) => client.inbox(&view.id).await?,
            None => Vec::new(),
        };
        // The world names the enrolled device: a phone whose identity was activated elsewhere
        // since keeps its profile's learner but is no longer the one that answers.
        let activated_here = learner.as_ref().is_some_and(|view| {
            profile.learner_id.as_deref() == Some(view.id.as_str())
                && view.device_id.as_deref() == Some(profile.device_id.as_str())
        });
        let pending_requests = if activated_here {
            match device.pending_requests().await {
                Ok(pending) => pending,
                // Signed in again with the account after the device's own access ended: only
                // the device's credential reads login requests, so none can be shown here.
                Err(DeviceError::Client(error)) if error.is_refusal("device_credential_required") => {
                    tracing::warn!("this device's credential is the account's: login requests unreadable");
                    Vec::new()
                }
                Err(error) => return Err(error.into()),
            }
        } else {
            Vec::new()
        };
        Ok(SessionView {
            world: WorldConnection {
                base_url: linked.base_url().to_owned(),
                origin: linked.origin(),
            },
            device_id: profile.device_id,
            vault,
            learner,
            activated_here,
            inbox,
            pending_requests,
            sign_in_needed,
        })
    })
    .await
}

/// (Re)starts the forwarding of the world's learner events to the screens, for the account of
/// the world in use. Called when the world or the account changes.
pub fn follow_learner(app: &AppHandle) {
    let task_app = app.clone();
    let task = tauri::async_runtime::spawn(async move {
        // The stream is the learner's: it opens with the device's credential, as every read.
        let followed = with_device(&task_app, async |_, device| {
            Ok(device
                .profile()
                .account_id
                .clone()
                .map(|id| (id, device.client().clone())))
        })
        .await;
        let Ok(Some((learner_id, client))) = followed else {
            return;
        };
        follow_events(&task_app, &learner_id, &client).await;
    });
    let previous = app
        .state::<Session>()
        .live
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .replace(task);
    if let Some(previous) = previous {
        previous.abort();
    }
}

/// Forwards the learner's events until the world refuses the credential: the stream ends when
/// the credential is revoked or expires, the reconnection is refused, and the snapshot pushed
/// then tells the screens to sign in again. A world that restarts is reconnected to.
async fn follow_events(app: &AppHandle, learner_id: &str, client: &WorldClient) {
    loop {
        match client.learner_events(learner_id).await {
            Ok(mut events) => loop {
                match events.next().await {
                    Ok(Some(_view)) => push_snapshot(app).await,
                    Ok(None) => break,
                    Err(error) => {
                        tracing::warn!(%error, "learner events interrupted; reconnecting");
                        break;
                    }
                }
            },
            Err(error) if SignInNeeded::from_refusal(&error).is_some() => {
                push_snapshot(app).await;
                return;
            }
            Err(error) => tracing::warn!(%error, "learner events unavailable; retrying"),
        }
        // The stream ends when the world restarts: reconnect after a pause, not in a tight loop.
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

/// Sends the current snapshot to the screens; a failure is logged (the next event retries).
pub async fn push_snapshot(app: &AppHandle) {
    match snapshot(app).await {
        Ok(view) => {
            if let Err(error) = app.emit(SESSION_EVENT, &view) {
                tracing::warn!(%error, "cannot send the session event to the screens");
            }
        }
        Err(error) => tracing::warn!(code = %error.code, "snapshot for the session event failed"),
    }
}

/// Closes the device of the world in use, so that its next use reopens it from disk, and gives
/// its profile folder and vault: a scenario at start (`scenario_start`) enrols this device
/// through a `Device` of the scenario engine's own.
pub async fn release_device(app: &AppHandle) -> Result<(Arc<Linked>, PathBuf, Arc<dyn Vault>), CommandError> {
    let linked = app.state::<WorldLink>().linked()?;
    let session = app.state::<Session>();
    *session.device.lock().await = None;
    let vault = session
        .vault
        .clone()
        .map_err(|error| CommandError::from(DeviceError::VaultUnavailable(error)))?;
    let folder = device_dir(app)?.join(linked.device_folder());
    Ok((linked, folder, vault))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(status: u16, code: &str, message: &str) -> ClientError {
        ClientError::World {
            status,
            code: code.into(),
            message: message.into(),
            attempts_left: None,
        }
    }

    #[test]
    fn a_refused_credential_asks_to_sign_in_with_the_worlds_reason() {
        let reason = "Votre Identité Numérique a été activée sur un autre téléphone.";
        assert_eq!(
            SignInNeeded::from_refusal(&refusal(401, "credential_revoked", reason)),
            Some(SignInNeeded {
                code: "credential_revoked".into(),
                reason: reason.into(),
            }),
            "the person reads the world's own reason"
        );
        assert!(
            SignInNeeded::from_refusal(&refusal(401, "credential_expired", "…")).is_some(),
            "an expired access is signed into again too"
        );
    }

    #[test]
    fn other_refusals_are_errors_not_a_sign_in() {
        assert_eq!(
            SignInNeeded::from_refusal(&refusal(403, "device_credential_required", "…")),
            None,
            "signing in again would not give the device's credential"
        );
        assert_eq!(
            SignInNeeded::from_refusal(&ClientError::Protocol("x".into())),
            None
        );
    }
}
