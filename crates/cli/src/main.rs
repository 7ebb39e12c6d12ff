//! `idn`: the IDN Sandbox command line for testers and trainers. Every command parses its
//! arguments, calls the device core or the world's API, and prints French text or `--json`.
//!
//! Exit codes: 0 success; 1 the simulated service refused the action (its code and French
//! message are printed); 2 bad usage; 3 the world is unreachable or failed; 4 a demo step failed
//! or a scenario did not land where it promised; 5 a replayed journal diverged from its recording.

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use idn_api::{ClerkValidation, ClockMode, DocumentKind, LearnerAction, ReviewPolicy};
use idn_cli::capture::{self, DegradationArg, PageArg, VideoFaultArg};
use idn_cli::demo::{self, DemoMode, DemoObserver, DemoOptions, MediaFiles, StepReport};
use idn_cli::{journal, scenario};
use idn_device::{ClientError, Device, DeviceError, KeyringVault, MemoryVault, Vault, WorldClient};
use idn_world::federation::PublicUrl;
use idn_world::WorldOptions;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

/// The world's allocator (`idn world serve`): see the workspace's Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::sync::Arc;
use std::time::Duration;

const DEFAULT_WORLD: &str = "http://127.0.0.1:8787";

#[derive(Parser)]
#[command(
    name = "idn",
    version,
    about = "IDN Sandbox — simulation du parcours L'Identité Numérique La Poste (aucun service réel n'est contacté)"
)]
struct Cli {
    /// Address of the world (server or embedded).
    #[arg(long, global = true, env = "IDN_WORLD_URL", default_value = DEFAULT_WORLD)]
    world: String,
    /// Machine-readable output: one JSON document (or one JSON object per demo step).
    #[arg(long, global = true)]
    json: bool,
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
    /// Play the whole journey headless against an embedded world; exits 0 only if every step succeeded.
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
        command: idn_cli::relying_party::RelyingPartyCommand,
    },
    /// Staff accounts of the trainers' console (run where the world's data directory is).
    Staff {
        #[command(subcommand)]
        command: idn_cli::staff::StaffCommand,
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

#[derive(Subcommand)]
enum CaptureCommand {
    /// List the cameras and microphones, as the app offers them, and remember a choice.
    Devices {
        /// Remember this camera (its name as listed) for the next captures.
        #[arg(long)]
        camera: Option<String>,
        /// Remember this microphone (its name as listed).
        #[arg(long)]
        micro: Option<String>,
    },
    /// Photograph one page of the document and print what the guidance said.
    Document {
        #[arg(long, value_enum, default_value = "cni-recto")]
        page: PageArg,
        /// `synthetic` (a fictitious specimen), `camera` (the first camera), or the path of a
        /// JPEG/PNG photo ("Photothèque").
        #[arg(long, default_value = "synthetic")]
        source: String,
        /// Degrade the synthetic picture: flou, reflet, sombre, hors-cadre, etui (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',')]
        degrade: Vec<DegradationArg>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the JPEG.
        #[arg(long)]
        out: PathBuf,
    },
    /// Record the video where the person says the 3 digits (MP4: H.264 + Opus) and print the
    /// machine checks (duration, frame rate, sound, loudness, utterances).
    Video {
        /// `synthetic` (a drawn person and a French synthetic voice), `camera` (first camera and
        /// default microphone), or the path of an MP4 video to check.
        #[arg(long, default_value = "synthetic")]
        source: String,
        /// The 3 digits to say, as shown in the AR24 letter (required for `synthetic`).
        #[arg(long)]
        chiffres: Option<String>,
        /// Degrade the synthetic video: silence, mauvais-chiffres, chuchote, trop-court,
        /// visage-absent, sombre (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',')]
        degrade: Vec<VideoFaultArg>,
        /// Length of the recording in seconds (30 at most).
        #[arg(long, default_value_t = capture::VIDEO_SECONDS)]
        secondes: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the MP4.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum WorldCommand {
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

fn parse_public_url(text: &str) -> Result<PublicUrl, String> {
    PublicUrl::parse(text).map_err(|error| error.message_fr())
}

#[derive(Args)]
struct DemoArgs {
    /// Keep the world and device data here (a temporary directory otherwise, removed at the end).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "face-a-face")]
    mode: DemoMode,
    #[arg(long)]
    seed: Option<u64>,
    /// Refuse the first online identification with this reason (e.g. reflet, lunettes, flou), then redo it.
    #[arg(long)]
    refus_au_premier_essai: Option<String>,
    /// Degrade the first synthetic photo of the front (flou, reflet, sombre, hors-cadre, etui):
    /// the automatic review refuses it with the matching reason, then the photo is retaken.
    #[arg(long, value_enum, value_delimiter = ',')]
    photo_degradee: Vec<DegradationArg>,
    #[arg(long)]
    photo_recto: Option<PathBuf>,
    #[arg(long)]
    photo_verso: Option<PathBuf>,
    /// An MP4 video to send instead of the synthetic one.
    #[arg(long)]
    video: Option<PathBuf>,
    /// Degrade the first synthetic video (silence, mauvais-chiffres, chuchote, trop-court,
    /// visage-absent, sombre): the automatic review refuses what a machine can hear, then the
    /// video is redone.
    #[arg(long, value_enum, value_delimiter = ',')]
    video_degradee: Vec<VideoFaultArg>,
    #[arg(long, value_enum, default_value = "keyring")]
    vault: VaultChoice,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum VaultChoice {
    /// The OS keyring (Secret Service or kernel keyutils on Linux).
    Keyring,
    /// In memory, gone at exit.
    Memoire,
}

#[derive(Subcommand)]
enum LearnerCommand {
    Create {
        #[arg(long)]
        email: String,
    },
    Show {
        learner: String,
    },
    List,
    /// One action as JSON, e.g. '{"action":"confirm_email","code":"123456"}' (see /api/openapi.json).
    Act {
        learner: String,
        action: String,
    },
    /// How the next online identification is reviewed: automatique, or a refusal reason code (the review desk comes with the trainers' console).
    Review {
        learner: String,
        policy: String,
    },
}

#[derive(Subcommand)]
enum JournalCommand {
    /// Write the journal in a stable text form (one line per entry, relative times) with the
    /// scenario that re-creates the learner.
    Export {
        learner: String,
        /// The scenario (catalogue name or file) that created the learner; derived from the
        /// learner's situation (`idn scenario export`) when absent.
        #[arg(long)]
        scenario: Option<String>,
        /// Write here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ScenarioCommand {
    /// The catalogue: names, titles, the step reached, the explanation for the user.
    List,
    /// Print a scenario file (catalogue name or path).
    Show { scenario: String },
    /// Create the scenario's learner and bring them to its situation, as a person would.
    Apply {
        /// A catalogue name (`idn scenario list`) or a scenario file.
        scenario: String,
        /// Use an embedded world kept in this directory (created with the scenario's seed and a
        /// manual clock) instead of the world at --world.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Where the simulated phones keep their profile (a temporary directory otherwise).
        #[arg(long)]
        device_dir: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "memoire")]
        vault: VaultChoice,
    },
    /// Write a learner's current situation as a scenario file to apply on another machine.
    Export {
        learner: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ClockCommand {
    Show,
    /// Advance by a duration: 90s, 15m, 24h, 15j (days), 4sem (weeks).
    Advance {
        duration: String,
    },
    /// real, manual, or xN (accelerated N times, e.g. x60).
    Set {
        mode: String,
    },
}

#[derive(Args)]
struct DeviceArgs {
    /// Where the device keeps its (non-secret) profile.
    #[arg(long, env = "IDN_DEVICE_DIR", default_value = "idn-device-data")]
    device_dir: PathBuf,
    #[arg(long, value_enum, default_value = "keyring")]
    vault: VaultChoice,
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Type the activation code and choose the 4-digit secret code.
    Activate {
        #[arg(long)]
        learner: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        secret: String,
    },
    /// Login requests waiting for approval.
    Pending,
    /// Approve a login request with the secret code.
    Approve {
        request_id: String,
        #[arg(long)]
        secret: String,
    },
    Decline {
        request_id: String,
    },
    Show,
}

#[derive(Subcommand)]
enum ClerkCommand {
    Lookup {
        code: String,
    },
    Validate {
        #[arg(long)]
        code: String,
        #[arg(long, value_enum, default_value = "cni")]
        document: DocumentArg,
        #[arg(long)]
        birth_name: String,
        /// YYYY-MM-DD
        #[arg(long)]
        birth_date: chrono::NaiveDate,
        #[arg(long)]
        number_ending: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum DocumentArg {
    Cni,
    Passeport,
    TitreDeSejour,
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
        Ok(code) => code,
        Err(error) => {
            // The world's or the phone's error, also when a scenario carries it.
            let scenario = error.downcast_ref::<idn_scenario::ScenarioError>();
            let device = error
                .downcast_ref::<DeviceError>()
                .or_else(|| scenario.and_then(|scenario| scenario.device()));
            let capture = error
                .downcast_ref::<idn_capture::CaptureError>()
                .or_else(|| scenario.and_then(|scenario| scenario.capture()));
            let (code, exit) = match device {
                Some(DeviceError::Client(ClientError::World { code, status, .. })) if *status < 500 => {
                    (code.clone(), 1)
                }
                Some(DeviceError::Invalid { code, .. }) => (code.to_string(), 1),
                Some(other) => (other.code().to_owned(), 3),
                None => match capture {
                    Some(capture) => (capture.code().to_owned(), 1),
                    None => ("failure".to_owned(), 3),
                },
            };
            let message = demo::french(&error);
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": false, "code": code, "message": message })
                );
            } else {
                eprintln!("Erreur : {message} [{code}]");
            }
            tracing::debug!(error = ?error, "command failed");
            ExitCode::from(exit)
        }
    }
}

fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("plain data serialises")
        );
    } else {
        println!("{}", human(value));
    }
}

fn open_vault(choice: VaultChoice) -> Result<Arc<dyn Vault>, DeviceError> {
    Ok(match choice {
        VaultChoice::Keyring => Arc::new(KeyringVault::open()?),
        VaultChoice::Memoire => Arc::new(MemoryVault::default()),
    })
}

/// Reads 90s, 15m, 24h, 15j, 4sem.
fn parse_duration(text: &str) -> Result<i64, DeviceError> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| invalid_duration(text))?;
    let unit_seconds = match unit {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "j" | "d" => 86_400,
        "sem" | "w" => 604_800,
        _ => return Err(invalid_duration(text)),
    };
    number
        .checked_mul(unit_seconds)
        .ok_or_else(|| invalid_duration(text))
}

fn invalid_duration(text: &str) -> DeviceError {
    DeviceError::Invalid {
        code: "invalid_duration",
        message: format!("Durée invalide « {text} » : exemples 90s, 15m, 24h, 15j, 4sem."),
    }
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let json = cli.json;
    let client = WorldClient::new(&cli.world);
    match cli.command {
        Command::World {
            command:
                WorldCommand::Serve {
                    listen,
                    data_dir,
                    seed,
                    public_url,
                    allow_private_jwks,
                },
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
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => run_demo(args, json).await,
        Command::Learner { command } => {
            match command {
                LearnerCommand::Create { email } => {
                    let view = client.create_learner(&email).await?;
                    print(json, &view, |view| {
                        format!("Apprenant créé : {}\nÉtape : {}", view.id, view.step_label)
                    });
                }
                LearnerCommand::Show { learner } => {
                    let view = client.learner(&learner).await?;
                    print(json, &view, |view| {
                        format!("{} — étape : {} ({})", view.id, view.step_label, view.step)
                    });
                }
                LearnerCommand::List => {
                    let views = client.learners().await?;
                    print(json, &views, |views| {
                        views
                            .iter()
                            .map(|view| {
                                format!(
                                    "{}  {:<24} {}",
                                    view.id,
                                    view.step,
                                    view.email.clone().unwrap_or_default()
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    });
                }
                LearnerCommand::Act { learner, action } => {
                    let action: LearnerAction =
                        serde_json::from_str(&action).map_err(|error| DeviceError::Invalid {
                            code: "invalid_action",
                            message: format!("Action JSON invalide : {error}"),
                        })?;
                    let view = client.act(&learner, &action).await?;
                    print(json, &view, |view| {
                        format!("Étape : {} ({})", view.step_label, view.step)
                    });
                }
                LearnerCommand::Review { learner, policy } => {
                    let policy = match policy.as_str() {
                        "automatique" => ReviewPolicy::Automatic,
                        reason => ReviewPolicy::RefuseNext {
                            reason: reason.to_owned(),
                        },
                    };
                    let view = client.set_review_policy(&learner, policy).await?;
                    print(json, &view, |view| format!("Revue : {:?}", view.review_policy));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Inbox { learner } => {
            let messages = client.inbox(&learner).await?;
            print(json, &messages, |messages| {
                messages
                    .iter()
                    .map(|m| {
                        format!(
                            "[{}] {:?} de {}\n  Objet : {}\n  {}\n",
                            m.at.format("%d/%m/%Y %H:%M"),
                            m.channel,
                            m.sender,
                            m.subject,
                            m.body.replace('\n', "\n  ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Journal {
            command:
                Some(JournalCommand::Export {
                    learner,
                    scenario,
                    out,
                }),
            ..
        } => {
            let scenario = match scenario {
                Some(name_or_path) => scenario::load(&name_or_path)?,
                None => scenario::export(&client, &learner).await?,
            };
            let entries = client.journal(&learner).await?;
            write_out(out.as_deref(), &journal::render(&entries, &scenario))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Journal { learner: None, .. } => {
            eprintln!("Indiquez un apprenant : idn journal APPRENANT, ou idn journal export APPRENANT.");
            Ok(ExitCode::from(2))
        }
        Command::Scenario { command } => run_scenario(command, &client, json).await,
        Command::Situation { learner } => {
            let situation = scenario::situation(&client, &learner).await?;
            print(json, &situation, |s| {
                let mut lines = vec![format!("Étape : {} ({})", s.step_label, s.step)];
                if let Some(code) = &s.pending_code {
                    lines.push(format!(
                        "Code attendu ({}) : valable jusqu'au {}{}, {} essai(s) et {} nouvel(s) envoi(s) restant(s)",
                        code.kind,
                        code.valid_until.format("%d/%m/%Y %H:%M UTC"),
                        if code.expired { " — expiré" } else { "" },
                        code.attempts_left,
                        code.resends_left
                    ));
                }
                if let Some(left) = s.secret_code_attempts_left {
                    lines.push(format!("Code secret : {left} essai(s) restant(s)"));
                }
                for blocker in &s.blockers {
                    lines.push(format!("Blocage : {} [{}]", blocker.label, blocker.code));
                }
                if s.withheld_messages > 0 {
                    lines.push(format!("Messages jamais remis : {}", s.withheld_messages));
                }
                lines.join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Replay { journal, data_dir } => run_replay(&journal, data_dir, json).await,
        Command::Journal {
            learner: Some(learner),
            command: None,
        } => {
            let entries = client.journal(&learner).await?;
            print(json, &entries, |entries| {
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{:>4} {} {:<22} {:<30} {:<26} {} → {}",
                            e.seq,
                            e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                            e.actor,
                            e.action,
                            e.outcome,
                            e.step_before,
                            e.step_after
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Clock { command } => {
            let view = match command {
                ClockCommand::Show => client.clock().await?,
                ClockCommand::Advance { duration } => {
                    client.advance_clock(parse_duration(&duration)?).await?
                }
                ClockCommand::Set { mode } => {
                    let mode = match mode.as_str() {
                        "real" | "reel" => ClockMode::Real,
                        "manual" | "manuel" => ClockMode::Manual,
                        other => match other
                            .strip_prefix('x')
                            .and_then(|factor| factor.parse::<f64>().ok())
                        {
                            Some(factor) => ClockMode::Accelerated { factor },
                            None => {
                                return Err(DeviceError::Invalid {
                                    code: "invalid_clock_mode",
                                    message: "Mode d'horloge invalide : real, manual ou xN (ex. x60).".into(),
                                }
                                .into())
                            }
                        },
                    };
                    client.set_clock(mode, None).await?
                }
            };
            print(json, &view, |view| {
                format!(
                    "Heure du monde simulé : {} ({:?})",
                    view.now.format("%d/%m/%Y %H:%M:%S UTC"),
                    view.mode
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::LoginRequest { mobile, service } => {
            let request = client.open_login_request(&mobile, &service).await?;
            print(json, &request, |r| {
                format!(
                    "Demande de connexion {} pour « {} » : à approuver dans l'application avant {}",
                    r.request_id,
                    r.relying_party,
                    r.deadline.format("%H:%M:%S UTC")
                )
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::LoginStatus { request_id } => {
            let request = client.login_request(&request_id).await?;
            print(json, &request, |r| {
                format!("Demande {} : {}", r.request_id, r.status)
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Device(args) => {
            let vault = open_vault(args.vault)?;
            let mut device = Device::open(&args.device_dir, client, vault)?;
            match args.command {
                DeviceCommand::Activate {
                    learner,
                    code,
                    secret,
                } => {
                    let view = device.activate(&learner, &code, &secret).await?;
                    print(json, &view, |view| {
                        format!(
                            "Identité Numérique activée sur cet appareil ({}).",
                            view.step_label
                        )
                    });
                }
                DeviceCommand::Pending => {
                    let pending = device.pending_requests().await?;
                    print(json, &pending, |pending| {
                        if pending.is_empty() {
                            "Aucune demande de connexion en attente.".into()
                        } else {
                            pending
                                .iter()
                                .map(|r| {
                                    format!(
                                        "{}  {}  {} s restantes",
                                        r.request_id, r.relying_party, r.seconds_left
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("\n")
                        }
                    });
                }
                DeviceCommand::Approve { request_id, secret } => {
                    let request = device.approve(&request_id, &secret).await?;
                    print(json, &request, |r| {
                        format!("Demande {} : {}", r.request_id, r.status)
                    });
                }
                DeviceCommand::Decline { request_id } => {
                    let request = device.decline(&request_id).await?;
                    print(json, &request, |r| {
                        format!("Demande {} : {}", r.request_id, r.status)
                    });
                }
                DeviceCommand::Show => {
                    let profile = device.profile().clone();
                    print(json, &profile, |p| {
                        format!(
                            "Appareil {} — identité : {}",
                            p.device_id,
                            p.learner_id.clone().unwrap_or_else(|| "non activée".into())
                        )
                    });
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Capture {
            command: CaptureCommand::Devices { camera, micro },
        } => {
            let devices = capture::devices(camera.as_deref(), micro.as_deref())?;
            print(json, &devices, |d| {
                let none = |list: &[String], word: &str| {
                    if list.is_empty() {
                        word.to_owned()
                    } else {
                        list.join(", ")
                    }
                };
                let mut lines = vec![
                    format!("Caméras : {}", none(&d.cameras, "aucune")),
                    format!("Micros : {}", none(&d.microphones, "aucun")),
                ];
                if let Some(camera) = &d.camera_in_use {
                    lines.push(format!("Caméra utilisée : {camera}"));
                }
                if let Some(microphone) = &d.microphone_in_use {
                    lines.push(format!("Micro utilisé : {microphone}"));
                }
                lines.extend(d.advice.iter().cloned());
                lines.join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Capture {
            command:
                CaptureCommand::Document {
                    page,
                    source,
                    degrade,
                    seed,
                    out,
                },
        } => {
            let file = (source != "synthetic").then(|| PathBuf::from(&source));
            let photo = capture::take(page.into(), file.as_deref(), &degrade, seed)?;
            std::fs::write(&out, &photo.jpeg)?;
            let report = capture::report(&photo, &out);
            print(json, &report, |r| {
                let mut lines = vec![format!(
                    "Photo enregistrée : {} ({} octets, {}×{}), prise {} après {} images d'aperçu",
                    r.path, r.bytes, r.width, r.height, r.trigger, r.preview_frames
                )];
                for check in &r.checks {
                    let verdict = if check.passed {
                        "✓".to_owned()
                    } else {
                        format!("✗ {}", check.hint_fr.unwrap_or_default())
                    };
                    lines.push(format!("  {:<10} {:>10.3}  {verdict}", check.check, check.value));
                }
                lines.join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Capture {
            command:
                CaptureCommand::Video {
                    source,
                    chiffres,
                    degrade,
                    secondes,
                    seed,
                    out,
                },
        } => {
            let digits = chiffres
                .as_deref()
                .map(str::parse::<idn_capture::SpokenDigits>)
                .transpose()?;
            let take = capture::record(&source, digits, &degrade, secondes, seed)?;
            std::fs::write(&out, &take.mp4)?;
            let report = capture::video_report(&take, &out);
            print(json, &report, |r| {
                let decimal = |value: f64| format!("{value:.1}").replace('.', ",");
                let mut lines = vec![format!(
                    "Vidéo enregistrée : {} ({} octets, {} s, {} images, {} i/s, {} prise(s) de parole)",
                    r.path,
                    r.bytes,
                    decimal(r.duration_s),
                    r.frames,
                    decimal(r.frame_rate),
                    r.utterances
                )];
                for check in &r.checks {
                    let verdict = if check.passed {
                        "✓".to_owned()
                    } else {
                        format!("✗ {}", check.hint_fr.clone().unwrap_or_default())
                    };
                    lines.push(format!("  {:<11} {:>22}  {verdict}", check.check, check.measured));
                }
                lines.push(format!(
                    "À vérifier par l'examinateur : {}.",
                    r.left_to_review.join(" ; ")
                ));
                lines.join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        Command::Rp { command } => {
            idn_cli::relying_party::run(client.base_url(), command, json).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Staff { command } => {
            idn_cli::staff::run(command, json).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Clerk { command } => {
            match command {
                ClerkCommand::Lookup { code } => {
                    let found = client.clerk_lookup(&code).await?;
                    print(json, &found, |f| {
                        format!(
                            "{} {} — {} — code valable jusqu'au {}",
                            f.given_names.join(" "),
                            f.birth_name,
                            f.document_type,
                            f.valid_until.format("%d/%m/%Y")
                        )
                    });
                }
                ClerkCommand::Validate {
                    code,
                    document,
                    birth_name,
                    birth_date,
                    number_ending,
                } => {
                    let view = client
                        .clerk_validate(&ClerkValidation {
                            code,
                            document_type: match document {
                                DocumentArg::Cni => DocumentKind::Cni,
                                DocumentArg::Passeport => DocumentKind::Passeport,
                                DocumentArg::TitreDeSejour => DocumentKind::TitreDeSejour,
                            },
                            birth_name,
                            birth_date,
                            document_number_ending: number_ending,
                        })
                        .await?;
                    print(json, &view, |view| {
                        format!("Identité vérifiée au guichet. Étape : {}", view.step_label)
                    });
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints each step in French with its timing, or one JSON object per step.
struct Printer {
    json: bool,
    spinner: Option<ProgressBar>,
}

impl DemoObserver for Printer {
    fn started(&mut self, label: &str) {
        if !self.json {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
            spinner.set_message(label.to_owned());
            spinner.enable_steady_tick(Duration::from_millis(80));
            self.spinner = Some(spinner);
        }
    }

    fn finished(&mut self, report: &StepReport) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
        if self.json {
            println!("{}", serde_json::to_string(report).expect("report serialises"));
        } else {
            let mark = if report.ok { "✓" } else { "✗" };
            let details = report.details.as_object().map(|object| {
                object
                    .iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(key, value)| {
                        format!(
                            "{key}={}",
                            value
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| value.to_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
            });
            println!(
                "{mark} {:>2}. {:<72} {:>8.1} ms",
                report.index, report.label, report.elapsed_ms
            );
            if let Some(details) = details.filter(|details| !details.is_empty()) {
                println!("       {details}");
            }
        }
    }
}

async fn run_demo(args: DemoArgs, json: bool) -> Result<ExitCode> {
    let photos = match (args.photo_recto, args.photo_verso) {
        (Some(front), Some(back)) => Some((front, back)),
        (None, None) => None,
        _ => {
            return Err(DeviceError::Invalid {
                code: "media_incomplete",
                message: "Indiquez les deux photos (--photo-recto et --photo-verso), ou aucune pour la caméra synthétique."
                    .into(),
            }
            .into())
        }
    };
    let media = MediaFiles {
        photos,
        video: args.video,
    };
    let vault = open_vault(args.vault)?;
    let temporary = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temporary.path().to_owned());
    if !json {
        println!("IDN Sandbox — démonstration du parcours complet (SIMULATION : aucun service réel n'est contacté)");
        println!(
            "Données : {}{}\n",
            data_dir.display(),
            if args.data_dir.is_some() {
                " (conservées)"
            } else {
                " (temporaires)"
            }
        );
    }
    let options = DemoOptions {
        data_dir,
        mode: args.mode,
        seed: args.seed,
        refuse_first: args.refus_au_premier_essai,
        degraded_photos: args.photo_degradee,
        degraded_video: args.video_degradee,
        media,
        vault,
    };
    let mut printer = Printer { json, spinner: None };
    match demo::run(options, &mut printer).await {
        Ok(summary) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": true, "learner_id": summary.learner_id, "secret_code": summary.secret_code, "steps": summary.steps.len(), "total_ms": summary.total_ms })
                );
            } else {
                println!("\nParcours terminé : {} étapes réussies en {:.0} ms. Apprenant {} — code secret choisi : {}", summary.steps.len(), summary.total_ms, summary.learner_id, summary.secret_code);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let message = demo::french(&error);
            if json {
                println!("{}", serde_json::json!({ "ok": false, "message": message }));
            } else {
                eprintln!("\nLe parcours s'est arrêté : {message}");
            }
            Ok(ExitCode::from(4))
        }
    }
}

/// Writes `text` to `out`, or to the standard output.
fn write_out(out: Option<&std::path::Path>, text: &str) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text)?,
        None => print!("{text}"),
    }
    Ok(())
}

async fn run_scenario(command: ScenarioCommand, client: &WorldClient, json: bool) -> Result<ExitCode> {
    match command {
        ScenarioCommand::List => {
            let listed = scenario::list();
            print(json, &listed, |listed| {
                listed
                    .iter()
                    .map(|s| format!("{:<45} {:<28} {}", s.name, s.reach_label, s.title))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
        ScenarioCommand::Show { scenario } => {
            print!("{}", scenario::load(&scenario)?.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        ScenarioCommand::Export { learner, out } => {
            let exported = scenario::export(client, &learner).await?;
            write_out(out.as_deref(), &exported.to_toml())?;
            Ok(ExitCode::SUCCESS)
        }
        ScenarioCommand::Apply {
            scenario: name,
            data_dir,
            device_dir,
            vault,
        } => {
            let scenario = scenario::load(&name)?;
            let temporary = tempfile::tempdir()?;
            let devices_dir = device_dir
                .or_else(|| data_dir.as_ref().map(|dir| dir.join("devices")))
                .unwrap_or_else(|| temporary.path().join("devices"));
            let options = scenario::ApplyOptions {
                devices_dir,
                vault: open_vault(vault)?,
                identity_phone: None,
            };
            let embedded = match &data_dir {
                Some(dir) => Some(idn_scenario::embedded_world(&dir.join("world"), scenario.seed).await?),
                None => None,
            };
            let client = match &embedded {
                Some(served) => WorldClient::new(served.world.base_url()),
                None => client.clone(),
            };
            // The embedded world is this process's: the engine decides at its desks under its
            // own account. A remote world's desks are not the command line's to play.
            let staff = embedded.as_ref().map(|served| &served.engine);
            let outcome = scenario::apply_as(&client, &scenario, &options, staff).await;
            if let Some(served) = embedded {
                served.world.stop().await;
            }
            let applied = match outcome {
                Ok(applied) => applied,
                Err(error) => {
                    let message = error.to_string();
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({ "ok": false, "code": "scenario_failed", "message": message })
                        );
                    } else {
                        eprintln!("Le scénario n'a pas abouti : {message}");
                    }
                    return Ok(ExitCode::from(4));
                }
            };
            print(json, &applied, |a| {
                let mut lines = vec![
                    format!("Scénario « {} » — {}", a.scenario, a.title),
                    format!("Apprenant {} ({}, {})", a.learner_id, a.email, a.mobile),
                    format!("Étape atteinte : {} ({})", a.step_label, a.step),
                ];
                for refusal in &a.refusals {
                    lines.push(format!(
                        "Refus ({}) : {} [{}]",
                        refusal.action, refusal.message, refusal.code
                    ));
                }
                for failure in &a.device_failures {
                    lines.push(format!("Appareil : {} [{}]", failure.message, failure.code));
                }
                for blocker in &a.blockers {
                    lines.push(format!("Blocage : {} [{}]", blocker.label, blocker.code));
                }
                if let Some(request) = &a.login_request {
                    lines.push(format!("Demande de connexion : {request}"));
                }
                lines.push(String::new());
                lines.push(format!("À dire à l'utilisateur : {}", a.explanation.trim()));
                lines.join("\n")
            });
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `idn replay`: the journal's scenario in a fresh world with its seed, then line by line.
async fn run_replay(path: &std::path::Path, data_dir: Option<PathBuf>, json: bool) -> Result<ExitCode> {
    let recorded = journal::parse(&std::fs::read_to_string(path)?)?;
    let temporary = tempfile::tempdir()?;
    let dir = data_dir.unwrap_or_else(|| temporary.path().to_owned());
    let served = idn_scenario::embedded_world(&dir.join("world"), recorded.scenario.seed).await?;
    let client = WorldClient::new(served.world.base_url());
    let options = scenario::ApplyOptions::in_memory(dir.join("devices"));
    let replayed = match scenario::apply_as(&client, &recorded.scenario, &options, Some(&served.engine)).await
    {
        Ok(applied) => client
            .journal(&applied.learner_id)
            .await
            .map_err(anyhow::Error::from),
        Err(error) => Err(error.into()),
    };
    served.world.stop().await;
    let replayed = journal::entry_lines(&replayed?);
    let divergence = journal::first_divergence(&recorded.lines, &replayed);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "ok": divergence.is_none(),
                "scenario": recorded.scenario.name,
                "recorded_entries": recorded.lines.len(),
                "replayed_entries": replayed.len(),
                "divergence": divergence,
            })
        );
    } else {
        match &divergence {
            None => println!(
                "Rejeu identique : les {} événements du journal se reproduisent à l'octet près (scénario « {} », graine {}).",
                replayed.len(),
                recorded.scenario.name,
                recorded.scenario.seed
            ),
            Some(divergence) => {
                let show = |line: &Option<String>| line.clone().unwrap_or_else(|| "(fin du journal)".into());
                println!("Le rejeu diverge à l'événement {} :", divergence.entry);
                println!("  enregistré : {}", show(&divergence.recorded));
                println!("  rejoué     : {}", show(&divergence.replayed));
            }
        }
    }
    Ok(if divergence.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(5)
    })
}
