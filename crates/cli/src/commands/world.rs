//! `idn world serve`: the simulated world over HTTP for a class or a test team, with the
//! scenario engine installed for its console.

use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_world::federation::PublicUrl;
use idn_world::{WorldError, WorldOptions};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum WorldCommand {
    /// Serve the world over HTTP for a class or a test team.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: std::net::SocketAddr,
        #[arg(long, default_value = "idn-world-data")]
        data_dir: PathBuf,
        /// Makes codes, digits and identifiers reproducible (taken when the data directory is new).
        #[arg(long)]
        seed: Option<u64>,
        /// The address the class reaches the world by (e.g. https://salle-12.example:8443):
        /// issuers and redirect addresses name it whatever Host a request carries.
        #[arg(long, env = "IDN_PUBLIC_URL", value_parser = parse_public_url)]
        public_url: Option<PublicUrl>,
        /// Let relying parties publish their keys (jwks_uri) on loopback or private addresses,
        /// for a developer's own application on this machine or the LAN.
        #[arg(long)]
        allow_private_jwks: bool,
    },
}

/// `--public-url` refused by the world's own rule: clap prints it, in French, as the argument's
/// error (bad usage, exit 2); the world's error is kept whole.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.message_fr())]
pub struct PublicUrlRefused(WorldError);

fn parse_public_url(text: &str) -> Result<PublicUrl, PublicUrlRefused> {
    PublicUrl::parse(text).map_err(PublicUrlRefused)
}

pub async fn run(command: WorldCommand) -> Result<Outcome> {
    match command {
        WorldCommand::Serve {
            listen,
            data_dir,
            seed,
            public_url,
            allow_private_jwks,
        } => {
            let mut options = WorldOptions::new(&data_dir);
            options.seed = seed;
            // A served world is reachable by others: it fetches relying parties' keys from public
            // addresses only unless told otherwise.
            options.allow_private_jwks = allow_private_jwks;
            if let Some(public_url) = &public_url {
                eprintln!("Adresse publique : {}", public_url.as_base());
            }
            options.public_url = public_url;
            let listener = tokio::net::TcpListener::bind(listen).await?;
            // The console applies scenarios through this world's own address, and the engine
            // decides at the desks under its own console account (never a person's).
            let world = idn_scenario::serve(options, listener).await?.world;
            eprintln!(
                "Monde simulé IDN Sandbox (simulation) à l'écoute sur {} — données dans {}",
                world.base_url(),
                data_dir.display()
            );
            eprintln!(
                "Description OpenAPI : {}/api/openapi.json — Ctrl+C pour arrêter.",
                world.base_url()
            );
            tokio::signal::ctrl_c().await?;
            world.stop().await;
            Ok(Outcome::Done)
        }
    }
}
