//! The simulated world behind L'Identité Numérique: the La Poste account, the inbox, AR24's
//! letter and review, the post-office clerk, login requests and the clock, stored in SQLite and
//! served over HTTP. Rules come from `idn-journey`; this crate performs their effects.

use idn_api as api;
mod catalogue;
pub mod clock;
pub mod console;
mod delivery;
mod error;
pub mod federation;
pub mod http;
mod journal_detail;
mod keys;
mod situation;
mod store;
mod views;
mod welcome;
mod world;

pub use error::WorldError;
pub use store::{database_path, StoreError};
pub use world::{Actor, LearnerChanged, World, WorldOptions};

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

/// A world serving HTTP in this process, with its sweeper applying due deadlines.
pub struct RunningWorld {
    world: Arc<World>,
    address: SocketAddr,
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

    /// Serves on a listener already bound, so that a public URL can name its port.
    pub async fn start_on(
        options: WorldOptions,
        listener: tokio::net::TcpListener,
    ) -> Result<RunningWorld, WorldError> {
        let public_url = options.public_url.clone();
        let jwks = if options.allow_private_jwks {
            federation::JwksAddresses::Any
        } else {
            federation::JwksAddresses::PublicOnly
        };
        let world = Arc::new(World::open(options, Arc::new(SystemWallClock)).await?);
        let address = listener.local_addr()?;
        let app = federation::expose(http::app(world.clone()), public_url, jwks);
        let server = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "world server stopped");
            }
        });
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
        tracing::info!(%address, "world listening");
        Ok(RunningWorld {
            world,
            address,
            server,
            sweeper,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
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
    }
}
