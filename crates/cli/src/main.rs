//! `idn`: the IDN Sandbox command line for testers and trainers. Every command parses its
//! arguments, calls the device core or the world's API, and prints French text or `--json`.
//!
//! Exit codes: 0 success; 1 the simulated service refused the action (its code and French
//! message are printed); 2 bad usage; 3 the world is unreachable or failed; 4 a demo step failed
//! or a scenario did not land where it promised; 5 a replayed journal diverged from its recording.

mod commands;
mod connection;

use anyhow::Result;
use clap::{Parser, Subcommand};
use commands::capture::CaptureCommand;
use commands::clerk::ClerkCommand;
use commands::clock::ClockCommand;
use commands::demo::DemoArgs;
use commands::device::DeviceArgs;
use commands::journal::JournalCommand;
use commands::learner::LearnerCommand;
use commands::relying_party::RelyingPartyCommand;
use commands::scenario::ScenarioCommand;
use commands::staff::StaffCommand;
use commands::world::WorldCommand;
use commands::{
    capture, clerk, clock, demo, device, journal, learner, login, relying_party, scenario, staff, world,
};
use idn_api::ClientError;
use idn_device::DeviceError;
use std::path::PathBuf;
use std::process::ExitCode;

/// The world's allocator (`idn world serve`): see the workspace's Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_WORLD: &str = "http://127.0.0.1:8787";

#[derive(Parser)]
#[command(
    name = "idn",
    version,
    about = "IDN Sandbox — simulation du parcours L'Identité Numérique La Poste (aucun service réel n'est contacté)"
)]
struct Cli {
    /// Address of the world (server or embedded; http://127.0.0.1:8787 when not given). `idn
    /// demo` plays against it when given, and against a world of its own otherwise.
    #[arg(long, global = true, env = "IDN_WORLD_URL")]
    world: Option<String>,
    /// Machine-readable output: one JSON document (or one JSON object per demo step).
    #[arg(long, global = true)]
    json: bool,
    #[command(flatten)]
    connection: connection::Connection,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the simulated world.
    World {
        #[command(subcommand)]
        command: WorldCommand,
    },
    /// Play the whole journey headless against an embedded world (or the one at --world); exits 0
    /// only if every step succeeded.
    Demo(DemoArgs),
    /// Learners: create, show, list, act, settings.
    Learner {
        #[command(subcommand)]
        command: LearnerCommand,
    },
    /// Emails, SMS and letters a learner received.
    Inbox { learner: String },
    /// A learner's journal: every action, refused ones included (`journal export` writes it in
    /// the stable text form that `idn replay` re-runs).
    #[command(args_conflicts_with_subcommands = true)]
    Journal {
        learner: Option<String>,
        #[command(subcommand)]
        command: Option<JournalCommand>,
    },
    /// Where a learner is stuck: the code awaited (attempts and resends left) and the blockers.
    Situation { learner: String },
    /// Scenarios: put a persona in any situation of the journey in one command.
    Scenario {
        #[command(subcommand)]
        command: ScenarioCommand,
    },
    /// Re-run an exported journal against a fresh world with the same seed and show where it diverges.
    Replay {
        /// A file written by `idn journal export`.
        journal: PathBuf,
        /// Keep the fresh world here (a temporary directory otherwise).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// The world's clock.
    Clock {
        #[command(subcommand)]
        command: ClockCommand,
    },
    /// Play the relying party: open a FranceConnect+ login request for a mobile number.
    LoginRequest {
        #[arg(long)]
        mobile: String,
        #[arg(long, default_value = "Mon Compte Formation")]
        service: String,
    },
    /// Status of a login request (as the relying party sees it).
    LoginStatus { request_id: String },
    /// The device (the smartphone app's core).
    Device(DeviceArgs),
    /// Relying parties of the sandbox's FranceConnect+: register your own service, list them.
    Rp {
        #[command(subcommand)]
        command: RelyingPartyCommand,
    },
    /// Staff accounts of the trainers' console (run where the world's data directory is).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Play the post-office clerk.
    Clerk {
        #[command(subcommand)]
        command: ClerkCommand,
    },
    /// Take a document photo as the app does (preview, guidance, auto-capture, JPEG).
    Capture {
        #[command(subcommand)]
        command: CaptureCommand,
    },
}

/// How a command ended when it did not fail with an error (failures: `failure`).
pub enum Outcome {
    /// 0: done.
    Done,
    /// 2: the arguments do not say what to do (clap's own usage errors exit 2 as well).
    Usage,
    /// 4: a demo step failed, or a scenario did not land where it promised.
    StepFailed,
    /// 5: a replayed journal diverged from its recording.
    Diverged,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("IDN_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let json = cli.json;
    match runtime.block_on(dispatch(cli)) {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Usage) => ExitCode::from(2),
        Ok(Outcome::StepFailed) => ExitCode::from(4),
        Ok(Outcome::Diverged) => ExitCode::from(5),
        Err(error) => {
            let (code, message, exit) = failure(&error);
            commands::print_failure(json, &code, &message, &format!("Erreur : {message} [{code}]"));
            tracing::debug!(error = ?error, "command failed");
            ExitCode::from(exit)
        }
    }
}

/// The stable code, the French message and the exit code of a failed command: 1 when the world,
/// the phone or the capture refused (the person can act on it), 3 when something broke.
fn failure(error: &anyhow::Error) -> (String, String, u8) {
    if let Some(usage) = usage_failure(error) {
        return usage;
    }
    // The world's or the phone's error, also when a scenario carries it.
    let scenario = error.downcast_ref::<idn_scenario::ScenarioError>();
    let device = error
        .downcast_ref::<DeviceError>()
        .or_else(|| scenario.and_then(|scenario| scenario.device()));
    let capture = error
        .downcast_ref::<idn_capture::CaptureError>()
        .or_else(|| scenario.and_then(|scenario| scenario.capture()));
    // Commands that call the world's API directly carry its error bare.
    let bare = error.downcast_ref::<ClientError>();
    let client = bare.or(match device {
        Some(DeviceError::Client(client)) => Some(client),
        _ => None,
    });
    if client.is_some_and(untrusted_certificate) {
        return (
            "tls_untrusted".to_owned(),
            idn_api::tls::UNTRUSTED_FR.to_owned(),
            3,
        );
    }
    let (code, exit) = match (client, device) {
        (Some(ClientError::World { code, status, .. }), _) if *status < 500 => (code.clone(), 1),
        (Some(client), _) => (client.code().to_owned(), 3),
        (None, Some(DeviceError::Invalid { code, .. })) => (code.to_string(), 1),
        (None, Some(other)) => (other.code().to_owned(), 3),
        (None, None) => match capture {
            Some(capture) => (capture.code().to_owned(), 1),
            None => ("failure".to_owned(), 3),
        },
    };
    let message = match bare {
        Some(client) => client.message_fr(),
        None => french(error),
    };
    (code, message, exit)
}

/// Connection options and TLS files that cannot be used as given: bad usage (2), with what to
/// fix in French.
fn usage_failure(error: &anyhow::Error) -> Option<(String, String, u8)> {
    if let Some(connection) = error.downcast_ref::<connection::ConnectionError>() {
        return Some((connection.code().to_owned(), connection.message_fr(), 2));
    }
    let tls = error.downcast_ref::<idn_world::tls::TlsError>()?;
    let exit = match tls {
        idn_world::tls::TlsError::Generation(_) => 3,
        _ => 2,
    };
    Some((tls.code().to_owned(), tls.message_fr(), exit))
}

/// The world answered with a certificate this command does not trust (another authority, another
/// host name): not a world that is down, and the person can fix it (`--ca-cert`, the QR code).
fn untrusted_certificate(error: &ClientError) -> bool {
    match error {
        ClientError::Unreachable { source, .. } => idn_api::tls::is_certificate_refusal(source),
        ClientError::World { .. } | ClientError::Protocol(_) => false,
    }
}

/// The French message of an error, whatever layer it comes from.
fn french(error: &anyhow::Error) -> String {
    if let Some(device) = error.downcast_ref::<DeviceError>() {
        return device.message_fr();
    }
    if let Some(capture) = error.downcast_ref::<idn_capture::CaptureError>() {
        return capture.message_fr();
    }
    format!("{error:#}")
}

/// Routes each command to its module.
async fn dispatch(cli: Cli) -> Result<Outcome> {
    let json = cli.json;
    // An empty IDN_WORLD_URL is how a shell unsets it for one command: no world given.
    let world = cli.world.filter(|url| !url.is_empty());
    let connection = cli.connection;
    // Built only for commands that talk to a world: `idn world serve` must start even when
    // IDN_CA_CERT names the authority it is about to create.
    let client = || connection.client(world.as_deref().unwrap_or(DEFAULT_WORLD));
    match cli.command {
        Command::World { command } => world::run(command).await,
        Command::Demo(args) => demo::run(args, world, &connection, json).await,
        Command::Learner { command } => learner::run(command, &client()?, json).await,
        Command::Inbox { learner } => learner::inbox(&learner, &client()?, json).await,
        Command::Journal { learner, command } => journal::run(learner, command, &client()?, json).await,
        Command::Situation { learner } => scenario::situation(&learner, &client()?, json).await,
        Command::Scenario { command } => scenario::run(command, &client()?, json).await,
        Command::Replay { journal, data_dir } => journal::replay(&journal, data_dir, json).await,
        Command::Clock { command } => clock::run(command, &client()?, json).await,
        Command::LoginRequest { mobile, service } => login::open(&mobile, &service, &client()?, json).await,
        Command::LoginStatus { request_id } => login::status(&request_id, &client()?, json).await,
        Command::Device(args) => {
            let identity = world.as_deref().and_then(connection::join_identity);
            device::run(args, client()?, identity, json).await
        }
        Command::Rp { command } => relying_party::run(command, &client()?, json).await,
        Command::Staff { command } => staff::run(command, json).await,
        Command::Clerk { command } => clerk::run(command, &client()?, json).await,
        Command::Capture { command } => capture::run(command, json),
    }
}
