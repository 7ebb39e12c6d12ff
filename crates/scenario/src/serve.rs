//! The one way a process starts a world with the scenario engine installed: `idn world serve`,
//! the app's embedded world, `idn scenario apply --data-dir`, `idn replay` and the test support
//! all start theirs here, so the console of every world applies scenarios the same way.

use crate::{Result, WorldScenarios};
use idn_world::console::{scenario_engine_account, EngineAccount};
use idn_world::{RunningWorld, Transport, WorldOptions};
use std::path::Path;
use std::sync::Arc;

/// A world serving in this process, its console able to apply scenarios.
pub struct ServedWorld {
    pub world: RunningWorld,
    /// The engine's own console account, with which it decides at the review and clerk desks.
    pub engine: EngineAccount,
}

/// Starts the world of `options` on `listener` over plain HTTP, then installs the scenario
/// engine, which reaches it through its own address and decides at the desks under its own
/// console account.
pub async fn serve(options: WorldOptions, listener: tokio::net::TcpListener) -> Result<ServedWorld> {
    serve_over(options, listener, Transport::Plain).await
}

/// As `serve`, over `transport` (HTTPS for a class world on the network). The engine reaches
/// the world at `engine_url`, on this machine.
pub async fn serve_over(
    options: WorldOptions,
    listener: tokio::net::TcpListener,
    transport: Transport,
) -> Result<ServedWorld> {
    let world = RunningWorld::start_serving(options, listener, transport).await?;
    let engine = scenario_engine_account(world.world()).await?;
    world.world().install_scenario_runner(Arc::new(
        WorldScenarios::new(world.engine_url()).with_engine_account(engine.clone()),
    ));
    Ok(ServedWorld { world, engine })
}

/// A world in `data_dir` on a loopback port, engine installed. A new one takes `seed` and a
/// manual clock, so that expiries happen only when a scenario moves time; an existing one keeps
/// its own.
pub async fn embedded_world(data_dir: &Path, seed: u64) -> Result<ServedWorld> {
    let mut options = WorldOptions::new(data_dir);
    options.seed = Some(seed);
    options.initial_clock = Some(idn_api::ClockMode::Manual);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(idn_world::WorldError::from)?;
    serve(options, listener).await
}
