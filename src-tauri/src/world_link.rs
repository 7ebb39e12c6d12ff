//! The app's link to a simulated world: an embedded one started in the app's data directory, or
//! an external one named by `--world-url` / `IDN_WORLD_URL` or chosen in the settings (joining a
//! class). Commands wait for nothing: until the embedded world is up they answer
//! `world_starting`, which the screens show and retry. A class world named by its join code
//! (`https://…/#ca=…&id=…`, scanned, pasted or given at launch) is reached under the authority
//! the code pins, and the device expects the identity key it names (`idn_api::join`).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use idn_api::join::{IdentityFingerprint, JoinAddress, JoinError};
use idn_api::tls::CaFingerprint;
use idn_device::{Device, DeviceError, Vault, WorldClient};
use idn_world::{RunningWorld, WorldOptions};
use serde::Serialize;
use tauri::{AppHandle, Manager};

/// Which world the app talks to, decided at launch and when the person joins a class. An
/// external world keeps what its join code pins (nothing for a typed address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldSource {
    Embedded,
    External(JoinAddress),
}

/// The launch options were wrong: the app says so and stops.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("--world-url attend une adresse http(s), par exemple --world-url http://127.0.0.1:8080")]
    MissingUrl,
    #[error("Adresse de la classe invalide : « {0} ». Recopiez l'adresse donnée par votre formateur, ou scannez son QR code.")]
    NotHttp(String),
    /// An address whose join code (`#ca=…&id=…`) is cut or mistyped.
    #[error("{}", .0.message_fr())]
    JoinCode(JoinError),
}

impl SourceError {
    pub fn code(&self) -> &'static str {
        match self {
            SourceError::MissingUrl => "world_url_missing",
            SourceError::NotHttp(_) => "world_url_invalid",
            SourceError::JoinCode(error) => error.code(),
        }
    }
}

impl WorldSource {
    /// `--world-url URL` (or `--world-url=URL`) wins over `IDN_WORLD_URL`; neither means embedded.
    pub fn from_args_and_env(
        args: impl IntoIterator<Item = String>,
        env_url: Option<String>,
    ) -> Result<WorldSource, SourceError> {
        let mut from_args = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--world-url" {
                from_args = Some(args.next().ok_or(SourceError::MissingUrl)?);
            } else if let Some(url) = arg.strip_prefix("--world-url=") {
                from_args = Some(url.to_owned());
            }
        }
        // An empty IDN_WORLD_URL is how a shell unsets it for one command: treat it as absent.
        let chosen = from_args.or(env_url.filter(|url| !url.trim().is_empty()));
        match chosen {
            None => Ok(WorldSource::Embedded),
            Some(url) => WorldSource::from_address(&url),
        }
    }

    /// A class server's address as typed in the settings, or the text of its QR code (scanned
    /// or pasted), which may pin its authority and identity key after `#`.
    pub fn from_address(url: &str) -> Result<WorldSource, SourceError> {
        match JoinAddress::parse(url) {
            Ok(join) => Ok(WorldSource::External(join)),
            Err(JoinError::NotHttp(text)) => Err(SourceError::NotHttp(text)),
            Err(error) => Err(SourceError::JoinCode(error)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    Embedded,
    External,
}

/// A world the app can reach.
pub struct Linked {
    base_url: String,
    origin: Origin,
    client: WorldClient,
    /// What the world's join code pinned: the authority the client trusts, the identity key
    /// the device expects.
    ca: Option<CaFingerprint>,
    identity: Option<IdentityFingerprint>,
}

impl Linked {
    /// The embedded world, on this machine's loopback in plain HTTP.
    fn embedded(base_url: String) -> Linked {
        Linked {
            client: WorldClient::new(base_url.clone()),
            base_url,
            origin: Origin::Embedded,
            ca: None,
            identity: None,
        }
    }

    /// A class world, trusted as its join code says (the OS store, and the pinned authority).
    fn external(join: &JoinAddress) -> Linked {
        Linked {
            base_url: join.base_url().to_owned(),
            origin: Origin::External,
            client: join.client(),
            ca: join.ca(),
            identity: join.identity(),
        }
    }

    /// Whether joining `join` would change nothing: the same world, pinned alike. The embedded
    /// world's own code counts too: joining it as a class would stop it.
    pub fn is_joined_by(&self, join: &JoinAddress) -> bool {
        self.base_url == join.base_url()
            && (self.origin == Origin::Embedded || (self.ca, self.identity) == (join.ca(), join.identity()))
    }

    /// This device in this world, stored in `dir`: it pins the identity key the join code
    /// named, if any, and no other.
    pub fn open_device(&self, dir: &std::path::Path, vault: Arc<dyn Vault>) -> Result<Device, DeviceError> {
        let device = Device::open(dir, self.client.clone(), vault)?;
        Ok(match self.identity {
            Some(identity) => device.expecting_world_identity(identity),
            None => device,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The world without a credential: for what anyone may do (its status, opening an account,
    /// the password of a sign-in). Everything done for the learner goes through the device's
    /// client, which carries the learner's credential (`Device::client`).
    pub fn client(&self) -> &WorldClient {
        &self.client
    }

    /// The device folder of this world: learners of one world mean nothing in another, so each
    /// world the app joins gets its own device profile.
    pub fn device_folder(&self) -> String {
        device_folder(self.origin, &self.base_url)
    }
}

fn device_folder(origin: Origin, base_url: &str) -> String {
    match origin {
        Origin::Embedded => "embedded".into(),
        Origin::External => base_url
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect(),
    }
}

impl WorldSource {
    /// The device folder of the world this source links to (see [`Linked::device_folder`]),
    /// known before that world is up.
    pub fn device_folder(&self) -> String {
        match self {
            WorldSource::Embedded => device_folder(Origin::Embedded, ""),
            WorldSource::External(join) => device_folder(Origin::External, join.base_url()),
        }
    }
}

/// Why no world can be reached (yet). Details of a failed start are logged, not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("Le monde simulé démarre, patientez un instant.")]
    Starting,
    #[error("Le monde simulé n'a pas pu démarrer.")]
    StartFailed,
}

impl LinkError {
    pub fn code(&self) -> &'static str {
        match self {
            LinkError::Starting => "world_starting",
            LinkError::StartFailed => "world_start_failed",
        }
    }
}

/// Managed state: the world in use. It changes when the person joins a class (Réglages) and
/// is `Starting` while the embedded world opens its database.
#[derive(Default)]
pub struct WorldLink {
    linked: Mutex<Option<Result<Arc<Linked>, LinkError>>>,
    /// Kept while in use; stopped on exit or when the person switches to a class server.
    embedded: Mutex<Option<RunningWorld>>,
    /// The scenario engine's console account in the embedded world (desk decisions).
    engine_account: Mutex<Option<idn_world::console::EngineAccount>>,
    /// The world being linked while `linked` is not settled: the first screen reads this
    /// device's profile for it before that world is up.
    awaited: Mutex<Option<WorldSource>>,
}

impl WorldLink {
    pub fn linked(&self) -> Result<Arc<Linked>, LinkError> {
        match &*lock(&self.linked) {
            None => Err(LinkError::Starting),
            Some(Ok(linked)) => Ok(linked.clone()),
            Some(Err(error)) => Err(*error),
        }
    }

    /// Names the world that the app is about to link (before [`connect`] runs).
    pub fn awaiting(&self, source: WorldSource) {
        *lock(&self.awaited) = Some(source);
    }

    fn settle(&self, outcome: Result<Linked, LinkError>) {
        *lock(&self.linked) = Some(outcome.map(Arc::new));
    }

    /// The scenario engine's staff account, while the embedded world is the one running.
    pub fn engine_account(&self) -> Option<idn_world::console::EngineAccount> {
        lock(&self.embedded)
            .as_ref()
            .and(lock(&self.engine_account).clone())
    }

    pub fn shut_down(&self) {
        let world = lock(&self.embedded).take();
        if let Some(world) = world {
            tracing::info!(base_url = %world.base_url(), "stopping the embedded world");
            tauri::async_runtime::block_on(world.stop());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A poisoned lock only means an earlier panic while holding it; the value is still whole.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Links the app to its world: at once for an external one, in the background for an embedded
/// one. Switching away from the embedded world stops it (its data stays on disk).
pub async fn connect(app: AppHandle, source: WorldSource) {
    let link = app.state::<WorldLink>();
    link.awaiting(source.clone());
    match source {
        WorldSource::External(join) => {
            tracing::info!(
                base_url = join.base_url(),
                pinned_ca = join.ca().is_some(),
                expected_identity = join.identity().is_some(),
                "using an external simulated world"
            );
            let previous = lock(&link.embedded).take();
            if let Some(world) = previous {
                world.stop().await;
            }
            link.settle(Ok(Linked::external(&join)));
        }
        WorldSource::Embedded => {
            let running = lock(&link.embedded).as_ref().map(|world| world.base_url());
            let outcome = match running {
                Some(base_url) => Ok(Linked::embedded(base_url)),
                None => {
                    *lock(&link.linked) = None;
                    start_embedded(&app).await
                }
            };
            link.settle(outcome);
        }
    }
}

/// Where the app keeps its data: `--data-dir DIR` (a fresh practice, or a test), else the
/// platform's app data directory.
pub struct DataRoot(pub Option<std::path::PathBuf>);

impl DataRoot {
    pub fn from_args(args: impl IntoIterator<Item = String>) -> DataRoot {
        let mut args = args.into_iter();
        let mut chosen = None;
        while let Some(arg) = args.next() {
            if arg == "--data-dir" {
                chosen = args.next().map(std::path::PathBuf::from);
            } else if let Some(dir) = arg.strip_prefix("--data-dir=") {
                chosen = Some(std::path::PathBuf::from(dir));
            }
        }
        DataRoot(chosen)
    }
}

pub fn data_root(app: &AppHandle) -> Option<std::path::PathBuf> {
    if let Some(dir) = &app.state::<DataRoot>().0 {
        return Some(dir.clone());
    }
    match app.path().app_data_dir() {
        Ok(dir) => Some(dir),
        Err(error) => {
            tracing::error!(%error, "no app data directory");
            None
        }
    }
}

/// Whether this device has begun an enrolment (an account, or an identity) in the world that
/// `source` links to, read from its profile on disk: no world is needed to know it.
pub fn enrolment_begun_in(app: &AppHandle, source: &WorldSource) -> bool {
    enrolment_begun_in_folder(app, &source.device_folder())
}

fn enrolment_begun_in_folder(app: &AppHandle, folder: &str) -> bool {
    let Ok(dir) = crate::session::device_dir(app) else {
        return false;
    };
    match idn_device::DeviceProfile::read(&dir.join(folder)) {
        Ok(profile) => {
            profile.is_some_and(|profile| profile.account_id.is_some() || profile.learner_id.is_some())
        }
        Err(error) => {
            // The device opens it again with the world and reports it then.
            tracing::warn!(%error, "unreadable device profile");
            true
        }
    }
}

/// [`enrolment_begun_in`] for the world in use, or the one being linked.
pub fn enrolment_begun(app: &AppHandle) -> Result<bool, LinkError> {
    let link = app.state::<WorldLink>();
    let folder = match link.linked() {
        Ok(linked) => linked.device_folder(),
        Err(LinkError::Starting) => lock(&link.awaited)
            .clone()
            .unwrap_or(WorldSource::Embedded)
            .device_folder(),
        Err(error) => return Err(error),
    };
    Ok(enrolment_begun_in_folder(app, &folder))
}

async fn start_embedded(app: &AppHandle) -> Result<Linked, LinkError> {
    // A folder of its own: WebKit keeps its caches and storage in the app data directory too.
    let data_dir = data_root(app).ok_or(LinkError::StartFailed)?.join("world");
    if let Err(error) = std::fs::create_dir_all(&data_dir) {
        tracing::error!(%error, dir = %data_dir.display(), "cannot create the world's data directory");
        return Err(LinkError::StartFailed);
    }
    let started = async {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .map_err(idn_world::WorldError::from)?;
        // The console of the embedded world applies scenarios through its own address, deciding
        // at the desks (review, clerk) under the engine's own staff account.
        idn_scenario::serve(WorldOptions::new(&data_dir), listener).await
    };
    let idn_scenario::ServedWorld { world, engine } = started.await.map_err(|error| {
        tracing::error!(%error, dir = %data_dir.display(), "the embedded world failed to start");
        LinkError::StartFailed
    })?;
    let base_url = world.base_url();
    *lock(&app.state::<WorldLink>().engine_account) = Some(engine);
    tracing::info!(%base_url, dir = %data_dir.display(), "embedded simulated world started");
    *lock(&app.state::<WorldLink>().embedded) = Some(world);
    Ok(Linked::embedded(base_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(args: &[&str], env: Option<&str>) -> Result<WorldSource, SourceError> {
        WorldSource::from_args_and_env(args.iter().map(|arg| arg.to_string()), env.map(str::to_owned))
    }

    fn external(base_url: &str) -> WorldSource {
        WorldSource::External(JoinAddress::new(base_url, None, None).unwrap())
    }

    /// A join code as the welcome page writes it.
    fn join_code() -> JoinAddress {
        JoinAddress::new(
            "https://192.168.1.20:8787",
            Some(idn_api::tls::CaFingerprint::from_bytes([0xAB; 32])),
            Some(IdentityFingerprint::of(&[7; 32])),
        )
        .unwrap()
    }

    #[test]
    fn no_flag_and_no_env_starts_an_embedded_world() {
        assert_eq!(source(&[], None), Ok(WorldSource::Embedded));
    }

    #[test]
    fn env_url_selects_an_external_world_without_trailing_slash() {
        assert_eq!(
            source(&[], Some("http://127.0.0.1:8080/")),
            Ok(external("http://127.0.0.1:8080"))
        );
    }

    #[test]
    fn flag_wins_over_env() {
        assert_eq!(
            source(&["--world-url", "http://a:1"], Some("http://b:2")),
            Ok(external("http://a:1"))
        );
        assert_eq!(
            source(&["--world-url=http://a:1"], Some("http://b:2")),
            Ok(external("http://a:1"))
        );
    }

    #[test]
    fn empty_env_url_means_embedded() {
        assert_eq!(source(&[], Some("  ")), Ok(WorldSource::Embedded));
    }

    #[test]
    fn data_dir_flag_names_the_folder_in_both_spellings() {
        let of = |args: &[&str]| DataRoot::from_args(args.iter().map(|arg| arg.to_string())).0;
        assert_eq!(of(&["--data-dir", "/tmp/a"]), Some("/tmp/a".into()));
        assert_eq!(of(&["--data-dir=/tmp/b"]), Some("/tmp/b".into()));
        assert_eq!(of(&["--world-url", "http://a:1"]), None);
    }

    #[test]
    fn a_source_names_the_same_device_folder_as_its_linked_world() {
        let address = JoinAddress::new("http://192.168.1.20:8787", None, None).unwrap();
        assert_eq!(
            WorldSource::External(address.clone()).device_folder(),
            Linked::external(&address).device_folder(),
            "the first screen must read the profile the device will open"
        );
        let scanned = WorldSource::from_address(&join_code().to_string()).unwrap();
        assert_eq!(
            scanned.device_folder(),
            external("https://192.168.1.20:8787").device_folder(),
            "a world joined by its code or by its typed address keeps one device profile"
        );
        assert_eq!(
            WorldSource::Embedded.device_folder(),
            Linked::embedded("http://127.0.0.1:40000".into()).device_folder(),
            "the embedded world's profile does not depend on its port"
        );
    }

    #[test]
    fn flag_without_value_is_refused() {
        assert_eq!(source(&["--world-url"], None), Err(SourceError::MissingUrl));
    }

    #[test]
    fn non_http_url_is_refused() {
        assert_eq!(
            source(&["--world-url", "127.0.0.1:8080"], None),
            Err(SourceError::NotHttp("127.0.0.1:8080".into()))
        );
    }

    #[test]
    fn a_scanned_or_pasted_join_code_names_the_world_and_keeps_what_it_pins() {
        let code = join_code().to_string();
        assert!(code.contains("/#ca=") && code.contains("&id="), "{code}");
        let joined = WorldSource::from_address(&format!("  {code} ")).unwrap();
        assert_eq!(joined, WorldSource::External(join_code()));
        let WorldSource::External(join) = &joined else {
            unreachable!("checked above")
        };
        let linked = Linked::external(join);
        assert_eq!(
            linked.base_url(),
            "https://192.168.1.20:8787",
            "the fragment is not part of the address called"
        );
        assert_eq!(linked.client().base_url(), "https://192.168.1.20:8787");
        assert_eq!(
            linked.identity,
            join_code().identity(),
            "the device will expect the identity the code names"
        );
        assert_eq!(
            source(&["--world-url", &code], None),
            Ok(WorldSource::External(join_code())),
            "the code's text works at launch too"
        );
    }

    #[test]
    fn a_typed_address_pins_nothing() {
        let WorldSource::External(join) = WorldSource::from_address("http://192.168.1.20:8787/").unwrap()
        else {
            panic!("an http address is an external world")
        };
        let linked = Linked::external(&join);
        assert_eq!(linked.base_url(), "http://192.168.1.20:8787");
        assert_eq!((join.ca(), linked.identity), (None, None));
        assert!(linked.is_joined_by(&join));
        let WorldSource::External(code) =
            WorldSource::from_address(&format!("http://192.168.1.20:8787/{}", join_code().fragment()))
                .unwrap()
        else {
            panic!("an http address is an external world")
        };
        assert!(
            !linked.is_joined_by(&code),
            "scanning the code of the world in use, joined by its typed address, adds its pins"
        );
        assert!(Linked::external(&code).is_joined_by(&code));
        assert!(
            Linked::embedded("http://127.0.0.1:40000".into()).is_joined_by(
                &JoinAddress::new("http://127.0.0.1:40000", None, join_code().identity()).unwrap()
            ),
            "the embedded world's own code is the world in use"
        );
    }

    #[test]
    fn a_damaged_join_code_is_refused_with_its_reason() {
        let damaged = WorldSource::from_address("https://192.168.1.20:8787/#ca=q6ur&id=abc").unwrap_err();
        assert_eq!(damaged.code(), "join_code_invalid");
        assert!(
            damaged.to_string().contains("Scannez à nouveau"),
            "the person reads what to do: {damaged}"
        );
    }
}
