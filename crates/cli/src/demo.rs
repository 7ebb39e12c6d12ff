//! `idn demo`: the whole journey of journey.md played headless against an embedded world, with
//! the same device core the app uses, over HTTP. The clock is manual, so "24 h", "15 days" and
//! "4 weeks" pass in an instant.

use anyhow::{anyhow, bail, Context, Result};
use idn_api::{
    ClerkValidation, ClockMode, DocumentKind, IdentityForm, InboxMessage, LearnerAction, LearnerView,
    MediaKind, MessageChannel, ReviewPolicy, Side, SubmittedPhoto, VerificationMode,
};
use idn_device::{Device, DeviceError, Vault, WorldClient};
use idn_world::{RunningWorld, WorldOptions};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

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

/// Files for the online mode ("Photothèque"). Whatever is not given is recorded as the app does:
/// photos from the synthetic camera through guidance and auto-capture, the video from the
/// synthetic scene and voice saying the digits of the letter, encoded to MP4.
#[derive(Debug, Clone, Default)]
pub struct MediaFiles {
    pub photos: Option<(PathBuf, PathBuf)>,
    pub video: Option<PathBuf>,
}

/// The video ready to upload: bytes, content type and the device's own checks (codes of the
/// failed ones; empty when all passed or for a file).
fn video_bytes(
    file: Option<&PathBuf>,
    digits: Option<&str>,
    faults: &[crate::capture::VideoFaultArg],
    seed: u64,
) -> Result<(Vec<u8>, &'static str, Vec<&'static str>)> {
    if let Some(path) = file {
        let bytes = std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?;
        return Ok((bytes, content_type(path), Vec::new()));
    }
    let digits = digits
        .context("the letter shows no digits to say")?
        .parse::<idn_capture::SpokenDigits>()?;
    let take = crate::capture::record(
        "synthetic",
        Some(digits),
        faults,
        crate::capture::VIDEO_SECONDS,
        seed,
    )?;
    let failed = take.report.hints().into_iter().map(|hint| hint.code()).collect();
    Ok((take.mp4, "video/mp4", failed))
}

/// One photo ready to upload: bytes and content type.
fn photo_bytes(
    file: Option<&PathBuf>,
    page: idn_capture::DocumentPage,
    degradations: &[crate::capture::DegradationArg],
    seed: u64,
) -> Result<(Vec<u8>, &'static str)> {
    match file {
        Some(path) => Ok((
            std::fs::read(path).with_context(|| format!("lecture de {}", path.display()))?,
            content_type(path),
        )),
        None => Ok((
            crate::capture::take(page, None, degradations, seed)?.jpeg,
            "image/jpeg",
        )),
    }
}

pub struct DemoOptions {
    pub data_dir: PathBuf,
    pub mode: DemoMode,
    pub seed: Option<u64>,
    /// Refusal reason code for the first online identification (then redone and accepted).
    pub refuse_first: Option<String>,
    /// Degradations of the first synthetic photos (the person then retakes them cleanly).
    pub degraded_photos: Vec<crate::capture::DegradationArg>,
    /// Faults of the first synthetic video (the person then records it again).
    pub degraded_video: Vec<crate::capture::VideoFaultArg>,
    pub media: MediaFiles,
    pub vault: Arc<dyn Vault>,
}

/// One finished step, as printed and as emitted in JSON.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub index: usize,
    pub step: &'static str,
    pub label: String,
    pub ok: bool,
    pub elapsed_ms: f64,
    pub details: Value,
}

/// Receives the steps as they happen (terminal output, JSON lines, or nothing for benchmarks).
pub trait DemoObserver {
    fn started(&mut self, label: &str);
    fn finished(&mut self, report: &StepReport);
}

pub struct Silent;

impl DemoObserver for Silent {
    fn started(&mut self, _: &str) {}
    fn finished(&mut self, _: &StepReport) {}
}

struct Run<'a> {
    observer: &'a mut dyn DemoObserver,
    index: usize,
    reports: Vec<StepReport>,
}

impl Run<'_> {
    /// Runs one step; a failure is reported as a failed step and ends the demo.
    async fn step<T>(
        &mut self,
        step: &'static str,
        label: &str,
        work: impl std::future::Future<Output = Result<(T, Value)>>,
    ) -> Result<T> {
        self.index += 1;
        self.observer.started(label);
        let started = Instant::now();
        let outcome = work.await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let (value, details, ok) = match outcome {
            Ok((value, details)) => (Some(value), details, true),
            Err(error) => (None, json!({ "error": french(&error) }), false),
        };
        let report = StepReport {
            index: self.index,
            step,
            label: label.to_owned(),
            ok,
            elapsed_ms,
            details,
        };
        self.observer.finished(&report);
        self.reports.push(report);
        value.ok_or_else(|| anyhow!("étape « {label} » en échec"))
    }
}

/// The French message of an error, whatever layer it comes from.
pub fn french(error: &anyhow::Error) -> String {
    if let Some(device) = error.downcast_ref::<DeviceError>() {
        return device.message_fr();
    }
    if let Some(capture) = error.downcast_ref::<idn_capture::CaptureError>() {
        return capture.message_fr();
    }
    format!("{error:#}")
}

/// A fictitious person. Mobile numbers are in ARCEP's range reserved for fiction (06 39 98).
struct Persona {
    email: String,
    mobile: String,
    password: String,
    identity: IdentityForm,
    secret_code: String,
}

fn persona(rng: &mut ChaCha8Rng) -> Persona {
    let suffix: u16 = rng.gen_range(0..10_000);
    let mut digits: Vec<u8> = (0..10).collect();
    let mut secret = String::new();
    for _ in 0..4 {
        let picked = digits.remove(rng.gen_range(0..digits.len()));
        secret.push(char::from(b'0' + picked));
    }
    Persona {
        email: format!("camille.martin.{suffix:04}@simulation.example"),
        mobile: format!("+336399800{:02}", suffix % 100),
        password: "Simulation2026".into(),
        identity: demo_identity(),
        secret_code: secret,
    }
}

/// The demo persona's identity document, as typed in "Vos informations personnelles"; the
/// synthetic camera prints the same data on the specimen. It is the catalogue's
/// `camille-daubigne` (`scenarios/personas.toml`).
pub fn demo_identity() -> IdentityForm {
    crate::persona::demo().identity.clone()
}

fn last_code(inbox: &[InboxMessage], channel: MessageChannel) -> Result<String> {
    inbox
        .iter()
        .rev()
        .filter(|message| message.channel == channel)
        .find_map(|message| message.code.clone())
        .ok_or_else(|| anyhow!("aucun code reçu ({channel:?})"))
}

fn learner_json(view: &LearnerView) -> Value {
    json!({ "learner_id": view.id, "step": view.step, "step_label": view.step_label })
}

/// What a finished demo hands back.
#[derive(Debug, Clone, Serialize)]
pub struct DemoSummary {
    pub learner_id: String,
    pub secret_code: String,
    pub steps: Vec<StepReport>,
    pub total_ms: f64,
}

pub async fn run(options: DemoOptions, observer: &mut dyn DemoObserver) -> Result<DemoSummary> {
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed.unwrap_or_else(rand::random));
    let person = persona(&mut rng);
    let mut run = Run {
        observer,
        index: 0,
        reports: Vec::new(),
    };

    let mut world_options = WorldOptions::new(options.data_dir.join("world"));
    world_options.seed = options.seed;
    world_options.initial_clock = Some(ClockMode::Manual);
    let world = run
        .step(
            "world_started",
            "Démarrage du monde simulé (horloge manuelle)",
            async {
                let world =
                    RunningWorld::start_with(world_options, "127.0.0.1:0".parse().expect("loopback address"))
                        .await?;
                let url = world.base_url();
                Ok((world, json!({ "world_url": url })))
            },
        )
        .await?;
    let client = WorldClient::new(world.base_url());
    let outcome = journey(&mut run, &client, &person, &options).await;
    world.stop().await;
    let learner_id = outcome?;
    Ok(DemoSummary {
        learner_id,
        secret_code: person.secret_code,
        steps: run.reports,
        total_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

async fn journey(
    run: &mut Run<'_>,
    client: &WorldClient,
    person: &Persona,
    options: &DemoOptions,
) -> Result<String> {
    let learner = run
        .step(
            "account_created",
            "Compte La Poste : identifiant (e-mail)",
            async {
                let view = client.create_learner(&person.email).await?;
                Ok((
                    view.clone(),
                    json!({ "learner_id": view.id, "email": person.email }),
                ))
            },
        )
        .await?;
    let id = learner.id.clone();
    let id = id.as_str();

    run.step("email_confirmed", "Code à 6 chiffres reçu par e-mail", async {
        let code = last_code(&client.inbox(id).await?, MessageChannel::Email)?;
        let view = client
            .act(id, &LearnerAction::ConfirmEmail { code: code.clone() })
            .await?;
        Ok(((), json!({ "email_code": code, "step": view.step })))
    })
    .await?;
    run.step(
        "password_chosen",
        "Mot de passe (8 caractères, majuscule, minuscule, chiffre)",
        async {
            let view = client
                .act(
                    id,
                    &LearnerAction::ChoosePassword {
                        password: person.password.clone(),
                    },
                )
                .await?;
            Ok(((), json!({ "password": person.password, "step": view.step })))
        },
    )
    .await?;
    run.step(
        "mobile_confirmed",
        "Numéro de mobile et code SMS à 4 caractères",
        async {
            client
                .act(
                    id,
                    &LearnerAction::RegisterMobile {
                        mobile: person.mobile.clone(),
                    },
                )
                .await?;
            let code = last_code(&client.inbox(id).await?, MessageChannel::Sms)?;
            let view = client
                .act(id, &LearnerAction::ConfirmMobile { code: code.clone() })
                .await?;
            Ok((
                (),
                json!({ "mobile": person.mobile, "sms_code": code, "step": view.step }),
            ))
        },
    )
    .await?;
    run.step(
        "profile_completed",
        "Civilité, prénom, nom et acceptation des CGU",
        async {
            let view = client
                .act(
                    id,
                    &LearnerAction::CompleteProfile {
                        civility: idn_api::Civility::Madame,
                        first_name: "Camille".into(),
                        last_name: "Martin".into(),
                        terms_accepted: true,
                        marketing_opt_in: false,
                    },
                )
                .await?;
            Ok(((), learner_json(&view)))
        },
    )
    .await?;
    run.step(
        "identity_entered",
        "Vos informations personnelles (pièce d'identité)",
        async {
            let view = client
                .act(
                    id,
                    &LearnerAction::EnterIdentity(Box::new(person.identity.clone())),
                )
                .await?;
            Ok(((), learner_json(&view)))
        },
    )
    .await?;
    run.step(
        "identity_confirmed",
        "Confirmation des informations (définitive)",
        async {
            let view = client.act(id, &LearnerAction::ConfirmIdentity).await?;
            Ok(((), learner_json(&view)))
        },
    )
    .await?;

    match options.mode {
        DemoMode::FaceAFace => {
            let code = run
                .step(
                    "face_to_face_chosen",
                    "Vérification « En face à face » : code reçu par SMS",
                    async {
                        client
                            .act(
                                id,
                                &LearnerAction::ChooseVerification {
                                    mode: VerificationMode::FaceToFace,
                                },
                            )
                            .await?;
                        let code = last_code(&client.inbox(id).await?, MessageChannel::Sms)?;
                        Ok((code.clone(), json!({ "face_to_face_code": code })))
                    },
                )
                .await?;
            clerk(run, client, person, &code).await?;
        }
        DemoMode::Courrier => {
            run.step(
                "post_chosen",
                "Vérification « Par courrier » : lettre envoyée",
                async {
                    let view = client
                        .act(
                            id,
                            &LearnerAction::ChooseVerification {
                                mode: VerificationMode::ByPost,
                            },
                        )
                        .await?;
                    let arrives = view.postal_letter.as_ref().map(|letter| letter.arrives_at);
                    Ok(((), json!({ "arrives_at": arrives })))
                },
            )
            .await?;
            let code = run
                .step(
                    "letter_delivered",
                    "4 semaines plus tard : la lettre arrive",
                    async {
                        let clock = client
                            .advance_clock(idn_journey::rules::POSTAL_LETTER_DELAY.num_seconds())
                            .await?;
                        let code = last_code(&client.inbox(id).await?, MessageChannel::Post)?;
                        Ok((
                            code.clone(),
                            json!({ "now": clock.now, "face_to_face_code": code }),
                        ))
                    },
                )
                .await?;
            clerk(run, client, person, &code).await?;
        }
        DemoMode::EnLigne => online(run, client, id, options).await?,
    }

    run.step(
        "activation_code_received",
        "Code d'activation reçu par e-mail et SMS",
        async {
            let inbox = client.inbox(id).await?;
            let by_email = last_code(&inbox, MessageChannel::Email)?;
            let by_sms = last_code(&inbox, MessageChannel::Sms)?;
            if by_email != by_sms {
                bail!("les codes d'activation reçus par e-mail et SMS diffèrent");
            }
            Ok(((), json!({ "activation_code": by_email })))
        },
    )
    .await?;
    let mut device = Device::open(
        &options.data_dir.join("device"),
        client.clone(),
        options.vault.clone(),
    )?;
    run.step("device_activated", "Activation dans l'application et choix du code secret", async {
        let code = last_code(&client.inbox(id).await?, MessageChannel::Sms)?;
        let view = device.activate(id, &code, &person.secret_code).await?;
        Ok((
            (),
            json!({ "device_id": device.profile().device_id, "secret_code": person.secret_code, "vault": device.vault_description(), "step": view.step }),
        ))
    })
    .await?;
    let request = run
        .step(
            "login_requested",
            "FranceConnect+ : « S'identifier » avec le numéro de mobile",
            async {
                let request = client
                    .open_login_request(&person.mobile, "Mon Compte Formation")
                    .await?;
                Ok((
                    request.clone(),
                    json!({ "request_id": request.request_id, "deadline": request.deadline }),
                ))
            },
        )
        .await?;
    run.step(
        "login_approved",
        "Demande approuvée dans l'application avec le code secret (< 1 minute)",
        async {
            let pending = device.pending_requests().await?;
            if !pending
                .iter()
                .any(|pending| pending.request_id == request.request_id)
            {
                bail!("la demande de connexion n'apparaît pas sur l'appareil");
            }
            let answered = device.approve(&request.request_id, &person.secret_code).await?;
            if answered.status != "approved" {
                bail!("la demande est « {} » au lieu d'être approuvée", answered.status);
            }
            Ok((
                (),
                json!({ "request_id": answered.request_id, "status": answered.status }),
            ))
        },
    )
    .await?;
    Ok(id.to_owned())
}

async fn clerk(run: &mut Run<'_>, client: &WorldClient, person: &Persona, code: &str) -> Result<()> {
    run.step(
        "clerk_validated",
        "Au guichet : code et pièce d'identité vérifiés",
        async {
            let lookup = client.clerk_lookup(code).await?;
            let view = client
                .clerk_validate(&ClerkValidation {
                    code: code.to_owned(),
                    document_type: person.identity.document_type.unwrap_or(DocumentKind::Cni),
                    birth_name: person.identity.birth_name.clone(),
                    birth_date: person.identity.birth_date.parse().context("birth date")?,
                    document_number_ending: person.identity.document_number_ending.clone(),
                })
                .await?;
            Ok(((), json!({ "birth_name": lookup.birth_name, "step": view.step })))
        },
    )
    .await
}

async fn online(run: &mut Run<'_>, client: &WorldClient, id: &str, options: &DemoOptions) -> Result<()> {
    let media = options.media.clone();
    if let Some(reason) = &options.refuse_first {
        client
            .set_review_policy(
                id,
                ReviewPolicy::RefuseNext {
                    reason: reason.clone(),
                },
            )
            .await?;
    }
    run.step(
        "online_chosen",
        "Vérification « En ligne » : lettre recommandée AR24 reçue",
        async {
            let view = client
                .act(
                    id,
                    &LearnerAction::ChooseVerification {
                        mode: VerificationMode::Online,
                    },
                )
                .await?;
            let letter = view
                .registered_letter
                .as_ref()
                .map(|letter| letter.letter_id.clone());
            Ok(((), json!({ "letter_id": letter })))
        },
    )
    .await?;
    run.step(
        "letter_opened",
        "« Lire mon courrier » puis « Confirmer mon identité »",
        async {
            client.act(id, &LearnerAction::ReadLetter).await?;
            let view = client.act(id, &LearnerAction::ConfirmLetterIdentity).await?;
            Ok(((), learner_json(&view)))
        },
    )
    .await?;
    let attempts = if options.refuse_first.is_some()
        || !options.degraded_photos.is_empty()
        || !options.degraded_video.is_empty()
    {
        2
    } else {
        1
    };
    for attempt in 1..=attempts {
        run.step(
            "identification_submitted",
            "Identification visuelle : photos recto/verso et vidéo des 3 chiffres",
            async {
                let view = client.act(id, &LearnerAction::StartVisualIdentification).await?;
                let digits = view.registered_letter.and_then(|letter| letter.spoken_digits);
                let seed = options.seed.unwrap_or(1);
                let photos = media.photos.as_ref();
                let degraded: &[crate::capture::DegradationArg] = if attempt == 1 {
                    &options.degraded_photos
                } else {
                    &[]
                };
                let (front_bytes, front_type) = photo_bytes(
                    photos.map(|(front, _)| front),
                    idn_capture::DocumentPage::CniFront,
                    degraded,
                    seed,
                )?;
                let (back_bytes, back_type) = photo_bytes(
                    photos.map(|(_, back)| back),
                    idn_capture::DocumentPage::CniBack,
                    &[],
                    seed,
                )?;
                let front = client
                    .upload_media(id, MediaKind::Photo, front_type, front_bytes)
                    .await?;
                let back = client
                    .upload_media(id, MediaKind::Photo, back_type, back_bytes)
                    .await?;
                let faults: &[crate::capture::VideoFaultArg] = if attempt == 1 {
                    &options.degraded_video
                } else {
                    &[]
                };
                let (video_bytes, video_type, video_checks) =
                    video_bytes(media.video.as_ref(), digits.as_deref(), faults, seed)?;
                let video = client
                    .upload_media(id, MediaKind::Video, video_type, video_bytes)
                    .await?;
                let view = client
                    .act(
                        id,
                        &LearnerAction::SubmitVisualIdentification {
                            document_type: DocumentKind::Cni,
                            photos: vec![
                                SubmittedPhoto {
                                    side: Side::Front,
                                    media_id: front.media_id,
                                },
                                SubmittedPhoto {
                                    side: Side::Back,
                                    media_id: back.media_id,
                                },
                            ],
                            video_media_id: video.media_id,
                        },
                    )
                    .await?;
                Ok((
                    (),
                    json!({
                        "attempt": attempt,
                        "spoken_digits": digits,
                        "video_checks": video_checks,
                        "step": view.step,
                    }),
                ))
            },
        )
        .await?;
        let refused = run
            .step(
                "review_done",
                "Traitement de l'identification (horloge avancée de 15 minutes)",
                async {
                    client
                        .advance_clock(idn_journey::rules::DEFAULT_AUTOMATIC_REVIEW_DELAY.num_seconds())
                        .await?;
                    let view = client.learner(id).await?;
                    let reason = view
                        .registered_letter
                        .as_ref()
                        .and_then(|letter| letter.refusal_reason_label.clone());
                    Ok((
                        view.step == "identification_refused",
                        json!({ "step": view.step, "refusal_reason": reason }),
                    ))
                },
            )
            .await?;
        if !refused {
            return Ok(());
        }
    }
    bail!("l'identification visuelle n'a pas été acceptée")
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path
        .extension()
        .and_then(|ext| ext.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webm") => "video/webm",
        Some("mp4" | "m4v") => "video/mp4",
        _ => "application/octet-stream",
    }
}
