//! The simulated world behind L'Identité Numérique: the La Poste account, the inbox, AR24's
//! letter and review, the post-office clerk, login requests and the clock, stored in SQLite and
//! served over HTTP. Rules come from `idn-journey`; this crate performs their effects.

use idn_api as api;
pub mod access;
mod catalogue;
pub mod clock;
pub mod console;
mod delivery;
mod error;
pub mod federation;
pub mod guidance_route;
pub mod http;
mod journal_detail;
mod keys;
mod situation;
mod store;
pub mod throttle;
pub mod tls;
mod views;
mod web_app;
mod website;
mod welcome;
mod world;

pub use error::WorldError;
pub use store::{database_path, StoreError};
pub use world::{
    Actor, ClassName, ClockPreset, HelpDone, HelpGroup, HelpOffer, HelpSituation, LearnerChanged, StaffHelp,
    World, WorldOptions,
};

use clock::SystemWallClock;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// How an embedded or standalone world starts.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub seed: Option<u64>,
}

/// How a world is reached. Plain HTTP is for loopback (tests, the app's embedded world); a
/// world on the class's network serves HTTPS (`tls`), so that nobody on the Wi-Fi reads or
/// alters its traffic.
#[derive(Debug, Clone)]
pub enum Transport {
    Plain,
    Tls(tls::ServerTls),
}

/// A world serving HTTP(S) in this process, with its sweeper applying due deadlines.
pub struct RunningWorld {
    world: Arc<World>,
    address: SocketAddr,
    tls: Option<tls::ServerTls>,
    /// The plain loopback listener of in-process clients under HTTPS (see `engine_url`).
    engine: Option<(SocketAddr, JoinHandle<()>)>,
    server: JoinHandle<()>,
    sweeper: JoinHandle<()>,
}

impl RunningWorld {
    pub async fn start(config: WorldConfig) -> Result<RunningWorld, WorldError> {
        let mut options = WorldOptions::new(config.data_dir);
        options.seed = config.seed;
        Self::start_with(options, config.listen).await
    }

    pub async fn start_with(options: WorldOptions, listen: SocketAddr) -> Result<RunningWorld, WorldError> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        Self::start_on(options, listener).await
    }

    /// Serves plain HTTP on a listener already bound, so that a public URL can name its port.
    pub async fn start_on(
        options: WorldOptions,
        listener: tokio::net::TcpListener,
    ) -> Result<RunningWorld, WorldError> {
        Self::start_serving(options, listener, Transport::Plain).await
    }

    /// Serves on a listener already bound, over `transport`.
    pub async fn start_serving(
        options: WorldOptions,
        listener: tokio::net::TcpListener,
        transport: Transport,
    ) -> Result<RunningWorld, WorldError> {
        let public_url = options.public_url.clone();
        let jwks = if options.allow_private_jwks {
            federation::JwksAddresses::Any
        } else {
            federation::JwksAddresses::PublicOnly
        };
        let world = Arc::new(World::open(options, Arc::new(SystemWallClock)).await?);
        let address = listener.local_addr()?;
        let routes = http::app(world.clone());
        let (server, tls, engine) = match transport {
            Transport::Plain => {
                let exposure = welcome::Exposure::plain(address);
                let app =
                    federation::expose(routes, public_url, jwks, false).layer(axum::Extension(exposure));
                (serve(listener, app), None, None)
            }
            Transport::Tls(served) => {
                let exposure = welcome::Exposure::https(served.authority().cloned());
                let app = federation::expose(routes.clone(), public_url.clone(), jwks, true)
                    .layer(axum::Extension(exposure));
                // `tap_io` only so that axum hands handlers the client's `SocketAddr`
                // (`ConnectInfo`), which it does for its own listener types.
                let listener = axum::serve::ListenerExt::tap_io(served.listener(listener)?, |_| ());
                let server = serve(listener, app);
                // The scenario engine in this process reaches the world over plain loopback
                // until its client carries the world's trust: nobody else can listen there.
                let engine_listener =
                    tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
                let engine_address = engine_listener.local_addr()?;
                let engine_app = federation::expose(routes, public_url, jwks, false)
                    .layer(axum::Extension(welcome::Exposure::plain(engine_address)));
                let engine = serve(engine_listener, engine_app);
                (server, Some(served), Some((engine_address, engine)))
            }
        };
        let sweeping = world.clone();
        let sweeper = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                if let Err(error) = sweeping.sweep().await {
                    tracing::warn!(%error, "sweep failed; retrying at next tick");
                }
            }
        });
        tracing::info!(%address, https = tls.is_some(), "world listening");
        Ok(RunningWorld {
            world,
            address,
            tls,
            engine,
            server,
            sweeper,
        })
    }

    fn scheme(&self) -> &'static str {
        match self.tls {
            Some(_) => "https",
            None => "http",
        }
    }

    /// The address the world listens on, with its scheme (`https://0.0.0.0:8787` when it
    /// listens on every interface: see `local_url` for one this machine can connect to).
    pub fn base_url(&self) -> String {
        format!("{}://{}", self.scheme(), self.address)
    }

    /// An address of the world that this machine reaches: loopback when the world listens on
    /// every interface (`127.0.0.1` is in the certificate of a local authority).
    pub fn local_url(&self) -> String {
        let ip = self.address.ip();
        let address = match ip {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => {
                SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, self.address.port()))
            }
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => {
                SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, self.address.port()))
            }
            _ => self.address,
        };
        format!("{}://{address}", self.scheme())
    }

    /// Where clients in this process that do not carry the world's trust (the scenario engine
    /// and its desk sessions) reach it: a plain loopback listener under HTTPS, else `local_url`.
    pub fn engine_url(&self) -> String {
        match &self.engine {
            Some((address, _)) => format!("http://{address}"),
            None => self.local_url(),
        }
    }

    /// The world's HTTPS, when it has some: its local authority's certificate and fingerprint.
    pub fn tls(&self) -> Option<&tls::ServerTls> {
        self.tls.as_ref()
    }

    /// Whom a client of this world should trust: the operating system, plus the world's local
    /// authority when it serves under one (`WorldClient::configured(url, |b| trust.configure(b))`).
    pub fn client_trust(&self) -> idn_api::tls::Trust {
        match &self.tls {
            Some(served) => served.client_trust(),
            None => idn_api::tls::Trust::platform(),
        }
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// Stops serving. Every committed change is already on disk.
    pub async fn stop(self) {
        self.server.abort();
        self.sweeper.abort();
        let _ = self.server.await;
        let _ = self.sweeper.await;
        if let Some((_, engine)) = self.engine {
            engine.abort();
            let _ = engine.await;
        }
    }
}

/// Serves `app` on `listener` with the client's address available to handlers
/// (`ConnectInfo<SocketAddr>`: per-client throttles).
fn serve<L>(listener: L, app: axum::Router) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
    for<'a> SocketAddr: axum::extract::connect_info::Connected<axum::serve::IncomingStream<'a, L>>,
{
    tokio::spawn(async move {
        if let Err(error) =
            axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
        {
            tracing::error!(%error, "world server stopped");
        }
    })
}
