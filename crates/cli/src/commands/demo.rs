//! `idn demo`: the whole journey, headless, played by the scenario engine (the demo's scenario,
//! `scenario::whole_journey`) against an embedded world with a manual clock, or against the
//! world at `--world`. This module translates the flags into that walkthrough and prints each
//! of the engine's moves as a French step with its timing, or one JSON object per step.

use super::{invalid, open_vault, VaultChoice};
use crate::Outcome;
use anyhow::Result;
use clap::Args;
use idn_cli::capture::{spoiled_take, DegradationArg, VideoFaultArg};
use idn_cli::scenario::{
    self, Afterwards, ApplyOptions, Filming, Move, Phones, Progress, Verification, Walkthrough,
};
use idn_journey::Step;
use idn_scenario::ServedWorld;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoMode {
    /// Verification at the post office; the demo plays the clerk.
    FaceAFace,
    /// AR24 registered letter and visual identification: photos and video from the synthetic
    /// camera, microphone and voice, or from files.
    EnLigne,
    /// Paper letter after about 4 weeks, then the postman validates.
    Courrier,
}

impl DemoMode {
    fn verification(self) -> Verification {
        match self {
            Self::FaceAFace => Verification::FaceToFace,
            Self::EnLigne => Verification::Online,
            Self::Courrier => Verification::ByPost,
        }
    }
}

#[derive(Args)]
pub struct DemoArgs {
    /// Keep the world's data and the demo's phone here (`DIR/world`, `DIR/device`); otherwise
    /// everything is temporary and the phone's key leaves the vault when the demo ends.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "face-a-face")]
    mode: DemoMode,
    /// Seed of the embedded world (reproducible codes) and of the synthetic photos and video.
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

/// One line of the demo's output: a step as a tester reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    WorldStarted,
    WorldReached,
    AccountCreated,
    EmailConfirmed,
    PasswordChosen,
    ProfileCompleted,
    MobileConfirmed,
    IdentityEntered,
    IdentityConfirmed,
    FaceToFaceChosen,
    PostChosen,
    LetterDelivered,
    ClerkValidated,
    OnlineChosen,
    LetterOpened,
    IdentificationSubmitted,
    ReviewDone,
    ActivationCodeReceived,
    DeviceActivated,
    LoginRequested,
    LoginApproved,
}

impl Line {
    /// The stable name scripts read (`--json`'s `step`) and the French label people read.
    fn name_and_label(self) -> (&'static str, &'static str) {
        match self {
            Self::WorldStarted => ("world_started", "Démarrage du monde simulé (horloge manuelle)"),
            Self::WorldReached => (
                "world_reached",
                "Monde simulé donné par --world (horloge propre à l'apprenant)",
            ),
            Self::AccountCreated => ("account_created", "Compte La Poste : identifiant (e-mail)"),
            Self::EmailConfirmed => ("email_confirmed", "Code à 6 chiffres reçu par e-mail"),
            Self::PasswordChosen => (
                "password_chosen",
                "Mot de passe (8 caractères, majuscule, minuscule, chiffre)",
            ),
            Self::ProfileCompleted => (
                "profile_completed",
                "Numéro de mobile, civilité, prénom, nom, CGU : « Créer mon compte »",
            ),
            Self::MobileConfirmed => ("mobile_confirmed", "Code SMS à 4 caractères reçu sur le mobile"),
            Self::IdentityEntered => (
                "identity_entered",
                "Vos informations personnelles (pièce d'identité)",
            ),
            Self::IdentityConfirmed => ("identity_confirmed", "Confirmation des informations (définitive)"),
            Self::FaceToFaceChosen => (
                "face_to_face_chosen",
                "Vérification « En face à face » : code d'activation reçu par SMS",
            ),
            Self::PostChosen => ("post_chosen", "Vérification « Par courrier » : lettre envoyée"),
            Self::LetterDelivered => ("letter_delivered", "4 semaines plus tard : la lettre arrive"),
            Self::ClerkValidated => (
                "clerk_validated",
                "Au guichet : code d'activation et pièce d'identité vérifiés",
            ),
            Self::OnlineChosen => (
                "online_chosen",
                "Vérification « En ligne » : conditions d'AR24 acceptées, lettre recommandée AR24 reçue",
            ),
            Self::LetterOpened => (
                "letter_opened",
                "« Lire mon courrier » puis « Confirmer mon identité »",
            ),
            Self::IdentificationSubmitted => (
                "identification_submitted",
                "Identification visuelle : photos recto/verso et vidéo des 3 chiffres",
            ),
            Self::ReviewDone => (
                "review_done",
                "Traitement de l'identification (horloge avancée de 15 minutes)",
            ),
            Self::ActivationCodeReceived => (
                "activation_code_received",
                "Code d'activation en main pour la validation finale",
            ),
            Self::DeviceActivated => (
                "device_activated",
                "Activation dans l'application et choix du code secret",
            ),
            Self::LoginRequested => (
                "login_requested",
                "FranceConnect+ : « S'identifier » avec le numéro de mobile",
            ),
            Self::LoginApproved => (
                "login_approved",
                "Demande approuvée dans l'application avec le code secret (< 1 minute)",
            ),
        }
    }

    /// The line the engine is working towards when the learner stands on `step`.
    fn working_at(step: Step, mode: DemoMode) -> Self {
        match step {
            Step::NotStarted => Self::AccountCreated,
            Step::EmailCode => Self::EmailConfirmed,
            Step::Password => Self::PasswordChosen,
            Step::Mobile | Step::Profile => Self::ProfileCompleted,
            Step::MobileCode => Self::MobileConfirmed,
            Step::IdentityData => Self::IdentityEntered,
            Step::IdentityConfirmation => Self::IdentityConfirmed,
            Step::VerificationChoice | Step::Locked => Self::chosen(mode),
            Step::FaceToFace => Self::ClerkValidated,
            Step::PostalLetter => Self::LetterDelivered,
            Step::RegisteredLetter => Self::LetterOpened,
            Step::VisualIdentification | Step::IdentificationRefused => Self::IdentificationSubmitted,
            Step::Review => Self::ReviewDone,
            Step::Activation => Self::ActivationCodeReceived,
            Step::Enrolled => Self::LoginRequested,
        }
    }

    fn chosen(mode: DemoMode) -> Self {
        match mode {
            DemoMode::FaceAFace => Self::FaceToFaceChosen,
            DemoMode::EnLigne => Self::OnlineChosen,
            DemoMode::Courrier => Self::PostChosen,
        }
    }
}

/// One finished step, as printed and as emitted in JSON.
#[derive(Debug, Clone, Serialize)]
struct StepReport {
    index: usize,
    step: &'static str,
    label: &'static str,
    ok: bool,
    elapsed_ms: f64,
    details: Value,
}

/// The line and the details a move prints, if it prints one: a move inside a step (the mobile
/// number typed before its code, a resend, the visual identification started) adds its time to
/// the step it leads to.
fn line_of(done: &Move, learner_id: &str) -> Option<(Line, Value)> {
    let landed = |landed: &scenario::Landed| json!({ "learner_id": learner_id, "step": landed.step, "step_label": landed.step_label });
    Some(match done {
        Move::AccountCreated { learner_id, email } => (
            Line::AccountCreated,
            json!({ "learner_id": learner_id, "email": email }),
        ),
        Move::EmailConfirmed { code, step } => {
            (Line::EmailConfirmed, json!({ "email_code": code, "step": step }))
        }
        Move::PasswordChosen { password, step } => (
            Line::PasswordChosen,
            json!({ "password": password, "step": step }),
        ),
        Move::MobileConfirmed { mobile, code, step } => (
            Line::MobileConfirmed,
            json!({ "mobile": mobile, "sms_code": code, "step": step }),
        ),
        Move::ProfileCompleted(after) => (Line::ProfileCompleted, landed(after)),
        Move::IdentityEntered(after) => (Line::IdentityEntered, landed(after)),
        Move::IdentityConfirmed(after) => (Line::IdentityConfirmed, landed(after)),
        Move::VerificationChosen {
            mode,
            face_to_face_code,
            letter_arrives_at,
            registered_letter_id,
            ..
        } => match mode {
            Verification::FaceToFace => (
                Line::FaceToFaceChosen,
                json!({ "face_to_face_code": face_to_face_code }),
            ),
            Verification::ByPost => (Line::PostChosen, json!({ "arrives_at": letter_arrives_at })),
            Verification::Online => (Line::OnlineChosen, json!({ "letter_id": registered_letter_id })),
        },
        Move::LetterDelivered {
            now,
            face_to_face_code,
        } => (
            Line::LetterDelivered,
            json!({ "now": now, "face_to_face_code": face_to_face_code }),
        ),
        Move::ClerkValidated { birth_name, step, .. } => (
            Line::ClerkValidated,
            json!({ "birth_name": birth_name, "step": step }),
        ),
        Move::LetterOpened(after) => (Line::LetterOpened, landed(after)),
        Move::IdentificationSubmitted {
            attempt,
            spoken_digits,
            video_checks,
            step,
        } => (
            Line::IdentificationSubmitted,
            json!({ "attempt": attempt, "spoken_digits": spoken_digits, "video_checks": video_checks, "step": step }),
        ),
        Move::ReviewDone {
            refusal_reason_label,
            step,
            ..
        } => (
            Line::ReviewDone,
            json!({ "step": step, "refusal_reason": refusal_reason_label }),
        ),
        Move::ActivationCodeReceived { code } => {
            (Line::ActivationCodeReceived, json!({ "activation_code": code }))
        }
        Move::DeviceActivated {
            device_id,
            secret_code,
            vault,
            step,
        } => (
            Line::DeviceActivated,
            json!({ "device_id": device_id, "secret_code": secret_code, "vault": vault, "step": step }),
        ),
        Move::LoginRequested { request_id, deadline } => (
            Line::LoginRequested,
            json!({ "request_id": request_id, "deadline": deadline }),
        ),
        Move::LoginApproved { request_id, status } => (
            Line::LoginApproved,
            json!({ "request_id": request_id, "status": status }),
        ),
        Move::EmailCodeResent { .. }
        | Move::MobileRegistered { .. }
        | Move::MobileCodeResent { .. }
        | Move::IdentificationStarted { .. }
        | Move::FaultApplied { .. } => return None,
    })
}

/// Prints each step in French with its timing, or one JSON object per step.
struct Printer {
    json: bool,
    mode: DemoMode,
    spinner: Option<ProgressBar>,
    /// Steps printed so far.
    index: usize,
    /// When the step being worked on began (the previous one's end).
    since: Instant,
    /// The step being worked on, for the spinner and for a failure.
    working: Line,
    learner_id: String,
}

impl Printer {
    fn new(json: bool, mode: DemoMode, first: Line) -> Self {
        let mut printer = Self {
            json,
            mode,
            spinner: None,
            index: 0,
            since: Instant::now(),
            working: first,
            learner_id: String::new(),
        };
        printer.spin();
        printer
    }

    fn spin(&mut self) {
        if self.json {
            return;
        }
        let label = self.working.name_and_label().1;
        match &self.spinner {
            Some(spinner) => spinner.set_message(label),
            None => {
                let spinner = ProgressBar::new_spinner();
                spinner.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
                spinner.set_message(label);
                spinner.enable_steady_tick(Duration::from_millis(80));
                self.spinner = Some(spinner);
            }
        }
    }

    fn on(&mut self, progress: Progress) {
        match progress {
            Progress::Acting(step) => {
                self.working = Line::working_at(step, self.mode);
                self.spin();
            }
            Progress::Moved(done) => {
                if let Move::AccountCreated { learner_id, .. } = &done {
                    self.learner_id.clone_from(learner_id);
                }
                if let Some((line, details)) = line_of(&done, &self.learner_id) {
                    self.finished(line, true, details);
                }
            }
        }
    }

    fn finished(&mut self, line: Line, ok: bool, details: Value) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
        self.index += 1;
        let (step, label) = line.name_and_label();
        let report = StepReport {
            index: self.index,
            step,
            label,
            ok,
            elapsed_ms: self.since.elapsed().as_secs_f64() * 1000.0,
            details,
        };
        self.since = Instant::now();
        if self.json {
            println!("{}", serde_json::to_string(&report).expect("report serialises"));
            return;
        }
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

    /// The step being worked on failed: printed as a failed step.
    fn failed(&mut self, message: &str) {
        self.finished(self.working, false, json!({ "error": message }));
    }
}

/// The demo's world: its own, embedded (kept in the data directory), or the one at `--world`.
enum DemoWorld {
    Embedded(Box<ServedWorld>),
    Given(String),
}

impl DemoWorld {
    fn url(&self) -> String {
        match self {
            Self::Embedded(served) => served.world.base_url(),
            Self::Given(url) => url.clone(),
        }
    }
}

pub async fn run(
    args: DemoArgs,
    world: Option<String>,
    connection: &crate::connection::Connection,
    json: bool,
) -> Result<Outcome> {
    let photos = match (args.photo_recto, args.photo_verso) {
        (Some(front), Some(back)) => Some(vec![front, back]),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "media_incomplete",
                "Indiquez les deux photos (--photo-recto et --photo-verso), ou aucune pour la caméra synthétique.",
            )
            .into())
        }
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
    let scenario = scenario::whole_journey(
        args.mode.verification(),
        args.seed.unwrap_or(1),
        args.refus_au_premier_essai,
    );
    // A demo the engine would refuse (an unknown refusal reason) stops before a world starts.
    if let Err(error) = scenario.check() {
        return Ok(stopped(json, &error.to_string()));
    }
    let started = Instant::now();
    let first = match world {
        Some(_) => Line::WorldReached,
        None => Line::WorldStarted,
    };
    let printer = Mutex::new(Printer::new(json, args.mode, first));
    let printing = || printer.lock().expect("printer lock");
    let world = match world {
        Some(url) => {
            // A class's world: it must answer before the demo plays there (else exit 3).
            connection.client(&url)?.status().await?;
            DemoWorld::Given(url)
        }
        None => {
            let seed = args.seed.unwrap_or_else(rand::random);
            match idn_scenario::embedded_world(&data_dir.join("world"), seed).await {
                Ok(served) => DemoWorld::Embedded(Box::new(served)),
                Err(error) => {
                    let message = error.to_string();
                    printing().failed(&message);
                    return Ok(stopped(json, &message));
                }
            }
        }
    };
    let world_url = world.url();
    {
        let mut printer = printing();
        printer.finished(first, true, json!({ "world_url": world_url }));
        printer.working = Line::AccountCreated;
    }
    // With --data-dir the demo's phone is kept in DIR/device, to go on with `idn device` (a
    // FranceConnect+ login approved later, the browser suite); otherwise it is thrown away.
    let keep_phone = args.data_dir.is_some();
    let options = ApplyOptions {
        devices_dir: data_dir.join("telephones"),
        vault,
        identity_phone: keep_phone.then(|| data_dir.join("device")),
    };
    let mut report = |progress: Progress| printing().on(progress);
    let walkthrough = Walkthrough {
        filming: Filming {
            photos,
            video: args.video,
            first_take: spoiled_take(&args.photo_degradee, &args.video_degradee),
        },
        afterwards: Afterwards::ApprovedLogin,
        phones: if keep_phone {
            Phones::Kept
        } else {
            Phones::Discarded
        },
        progress: &mut report,
    };
    // A class's world gets the connection's trust and credential; the embedded one is plain
    // loopback and knows no credential from outside.
    let client = match &world {
        DemoWorld::Embedded(_) => idn_api::WorldClient::new(&world_url),
        DemoWorld::Given(url) => connection.client(url)?,
    };
    let staff = match &world {
        DemoWorld::Embedded(served) => Some(&served.engine),
        DemoWorld::Given(_) => None,
    };
    let outcome = scenario::apply_walkthrough(&client, &scenario, &options, staff, walkthrough).await;
    if let DemoWorld::Embedded(served) = world {
        served.world.stop().await;
    }
    let applied = match outcome {
        Ok(applied) => applied,
        Err(error) => {
            let message = error.to_string();
            printing().failed(&message);
            return Ok(stopped(json, &message));
        }
    };
    let steps = printing().index;
    let secret_code = scenario.persona()?.secret_code.clone();
    let total_ms = started.elapsed().as_secs_f64() * 1000.0;
    if json {
        println!(
            "{}",
            json!({ "ok": true, "learner_id": applied.learner_id, "secret_code": secret_code, "steps": steps, "total_ms": total_ms })
        );
    } else {
        println!(
            "\nParcours terminé : {steps} étapes réussies en {total_ms:.0} ms. Apprenant {} — code secret choisi : {secret_code}",
            applied.learner_id
        );
    }
    Ok(Outcome::Done)
}

/// The demo stopped at a step: said once, exit 4.
fn stopped(json: bool, message: &str) -> Outcome {
    if json {
        println!("{}", json!({ "ok": false, "message": message }));
    } else {
        eprintln!("\nLe parcours s'est arrêté : {message}");
    }
    Outcome::StepFailed
}
