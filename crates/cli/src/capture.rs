//! `idn capture document`: takes a document photo exactly as the app will — preview frames,
//! guidance, auto-capture or manual capture, JPEG — from the synthetic source or a file.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use idn_capture::{
    photograph, Degradation, Degradations, DocumentPage, JpegQuality, Photograph, SpecimenIdentity,
    SpecimenSex, StillSource, SyntheticConfig, SyntheticDocumentSource, VideoSource,
};
use serde::Serialize;
use std::path::Path;

/// Preview frames shown before the photo is taken by hand when auto-capture never fires.
pub const MAX_PREVIEW_FRAMES: u32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PageArg {
    CniRecto,
    CniVerso,
    Passeport,
    TitreRecto,
    TitreVerso,
}

impl From<PageArg> for DocumentPage {
    fn from(page: PageArg) -> Self {
        match page {
            PageArg::CniRecto => DocumentPage::CniFront,
            PageArg::CniVerso => DocumentPage::CniBack,
            PageArg::Passeport => DocumentPage::PassportPhotoPage,
            PageArg::TitreRecto => DocumentPage::TitreDeSejourFront,
            PageArg::TitreVerso => DocumentPage::TitreDeSejourBack,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DegradationArg {
    Flou,
    Reflet,
    Sombre,
    HorsCadre,
    Etui,
}

impl From<DegradationArg> for Degradation {
    fn from(degradation: DegradationArg) -> Self {
        match degradation {
            DegradationArg::Flou => Degradation::Blur,
            DegradationArg::Reflet => Degradation::Glare,
            DegradationArg::Sombre => Degradation::TooDark,
            DegradationArg::HorsCadre => Degradation::OutOfFrame,
            DegradationArg::Etui => Degradation::Sleeve,
        }
    }
}

/// One guidance check as printed.
#[derive(Debug, Clone, Serialize)]
pub struct CheckLine {
    pub check: &'static str,
    pub value: f32,
    pub passed: bool,
    pub hint: Option<&'static str>,
    pub hint_fr: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaptureReport {
    pub path: String,
    pub bytes: usize,
    pub width: u32,
    pub height: u32,
    pub trigger: &'static str,
    pub preview_frames: u32,
    pub all_checks_passed: bool,
    pub checks: Vec<CheckLine>,
}

/// The demo persona (`idn_scenario::persona::demo`) as printed on synthetic specimens.
pub fn demo_specimen() -> SpecimenIdentity {
    let form = crate::persona::demo().identity.clone();
    let date = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("the demo identity's dates are valid")
    };
    let birth_place = match (&form.birth_commune, &form.birth_insee_code) {
        (Some(commune), Some(insee)) => format!("{} ({})", commune.to_uppercase(), &insee[..2]),
        _ => String::new(),
    };
    SpecimenIdentity {
        sex: match form.sex {
            Some(idn_api::SexField::Male) => SpecimenSex::Male,
            Some(idn_api::SexField::Female) | None => SpecimenSex::Female,
        },
        given_names: form.given_names,
        birth_name: form.birth_name,
        usage_name: form.usage_name,
        birth_date: date(&form.birth_date),
        birth_place,
        nationality: form.nationality,
        issue_date: date(&form.issue_date),
        expiry_date: date(&form.expiry_date),
        document_number_ending: form.document_number_ending,
    }
}

/// Photographs `page` from the synthetic source (with `degradations`) or from `file`.
pub fn take(
    page: DocumentPage,
    file: Option<&Path>,
    degradations: &[DegradationArg],
    seed: u64,
) -> Result<Photograph> {
    let mut source: Box<dyn VideoSource> = match file {
        Some(path) if path == Path::new("camera") => Box::new(open_camera()?),
        Some(path) => {
            Box::new(StillSource::open(path).with_context(|| format!("lecture de {}", path.display()))?)
        }
        None => {
            let degradations = degradations.iter().fold(Degradations::NONE, |set, degradation| {
                set.with((*degradation).into())
            });
            let config = SyntheticConfig {
                seed,
                degradations,
                ..SyntheticConfig::default()
            };
            Box::new(SyntheticDocumentSource::new(page, &demo_specimen(), config)?)
        }
    };
    Ok(photograph(
        source.as_mut(),
        page.format(),
        MAX_PREVIEW_FRAMES,
        JpegQuality::DOCUMENT,
    )?)
}

pub fn report(photo: &Photograph, path: &Path) -> CaptureReport {
    CaptureReport {
        path: path.display().to_string(),
        bytes: photo.jpeg.len(),
        width: photo.width,
        height: photo.height,
        trigger: match photo.trigger {
            idn_capture::Trigger::Automatic => "automatique",
            idn_capture::Trigger::Manual => "manuelle",
        },
        preview_frames: photo.preview_frames,
        all_checks_passed: photo.guidance.all_passed(),
        checks: photo
            .guidance
            .checks()
            .iter()
            .map(|outcome| {
                let hint = match outcome.verdict {
                    idn_capture::Verdict::Pass => None,
                    idn_capture::Verdict::Fail(hint) => Some(hint),
                };
                CheckLine {
                    check: outcome.kind.code(),
                    value: outcome.value,
                    passed: outcome.passed(),
                    hint: hint.map(|hint| hint.code()),
                    hint_fr: hint.map(|hint| hint.message_fr()),
                }
            })
            .collect(),
    }
}

/// Where the chosen camera and microphone are remembered: `$IDN_DEVICES_FILE`, else
/// `$XDG_CONFIG_HOME/idn-sandbox/devices.json`, else `~/.config/idn-sandbox/devices.json`.
pub fn choice_path() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("IDN_DEVICES_FILE") {
        return path.into();
    }
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".config")))
        .unwrap_or_else(|| ".".into());
    config.join("idn-sandbox").join("devices.json")
}

/// Cameras and microphones of this machine, as the app lists them, with the remembered choice.
#[derive(Debug, Clone, Serialize)]
pub struct Devices {
    pub cameras: Vec<String>,
    pub microphones: Vec<String>,
    /// The devices capture will use now.
    pub camera_in_use: Option<String>,
    pub microphone_in_use: Option<String>,
    /// What the person is told: empty lists, a remembered device that is gone.
    pub advice: Vec<String>,
}

/// Lists the devices; with `camera` or `microphone`, remembers that choice first (it must be one
/// of the devices present).
pub fn devices(camera: Option<&str>, microphone: Option<&str>) -> Result<Devices> {
    let cameras = idn_capture::list_cameras();
    let microphones = idn_capture::list_microphones();
    let path = choice_path();
    let (mut choice, readable) = idn_capture::DeviceChoice::load(&path);
    if !readable {
        tracing::warn!(path = %path.display(), "device choice file damaged; starting afresh");
    }
    if let Some(wanted) = camera {
        let names = cameras.iter().map(|c| c.name.as_str());
        choice.camera = Some(chosen(wanted, names, ("Aucune caméra", "Caméra inconnue"))?);
    }
    if let Some(wanted) = microphone {
        let names = microphones.iter().map(|m| m.name.as_str());
        choice.microphone = Some(chosen(wanted, names, ("Aucun micro", "Micro inconnu"))?);
    }
    if camera.is_some() || microphone.is_some() {
        choice.save(&path)?;
    }
    let mut advice = Vec::new();
    let camera_in_use = in_use(
        idn_capture::pick(choice.camera.as_deref(), &cameras, |c| c.name.as_str()),
        "La caméra choisie",
        &mut advice,
    )
    .map(|c| c.name.clone());
    let microphone_in_use = in_use(
        idn_capture::pick(choice.microphone.as_deref(), &microphones, |m| m.name.as_str()),
        "Le micro choisi",
        &mut advice,
    )
    .map(|m| m.name.clone());
    if cameras.is_empty() {
        advice.push(idn_capture::CaptureError::NoCamera(String::new()).message_fr());
    }
    if microphones.is_empty() {
        advice.push(idn_capture::CaptureError::NoMicrophone(String::new()).message_fr());
    }
    Ok(Devices {
        cameras: cameras
            .iter()
            .map(|c| format!("{} : {}", c.index, c.name))
            .collect(),
        microphones: microphones
            .iter()
            .map(|m| format!("{} ({} Hz, {} canal/canaux)", m.name, m.sample_rate, m.channels))
            .collect(),
        camera_in_use,
        microphone_in_use,
        advice,
    })
}

fn in_use<'a, T>(pick: idn_capture::Pick<'a, T>, what: &str, advice: &mut Vec<String>) -> Option<&'a T> {
    match pick {
        idn_capture::Pick::Remembered(device) => Some(device),
        idn_capture::Pick::First { device, missing } => {
            if let Some(name) = missing {
                advice.push(format!(
                    "{what} « {name} » n'est plus branché(e) : le premier appareil disponible est utilisé."
                ));
            }
            Some(device)
        }
        idn_capture::Pick::Nothing => None,
    }
}

/// `wanted` when it names a device present, else why it cannot be chosen; `(none, unknown)` are
/// the French phrases for "no such device here" and "unknown device".
fn chosen<'a>(
    wanted: &str,
    present: impl Iterator<Item = &'a str>,
    (none, unknown): (&str, &str),
) -> Result<String> {
    let present: Vec<&str> = present.collect();
    if present.contains(&wanted) {
        Ok(wanted.to_owned())
    } else if present.is_empty() {
        anyhow::bail!("{none} sur cet appareil : « {wanted} » ne peut pas être choisi.")
    } else {
        anyhow::bail!(
            "{unknown} « {wanted} » : choisissez parmi {}.",
            present.join(", ")
        )
    }
}

/// The camera the person chose (or the first one), as capture opens it.
pub fn open_camera() -> Result<idn_capture::CameraSource> {
    let cameras = idn_capture::list_cameras();
    let (choice, _) = idn_capture::DeviceChoice::load(&choice_path());
    match idn_capture::pick(choice.camera.as_deref(), &cameras, |c| c.name.as_str()) {
        idn_capture::Pick::Remembered(camera) | idn_capture::Pick::First { device: camera, .. } => {
            Ok(idn_capture::CameraSource::open(camera.index)?)
        }
        idn_capture::Pick::Nothing => Err(idn_capture::CaptureError::NoCamera(String::new()).into()),
    }
}

/// The microphone the person chose (or the system's default one).
pub fn open_microphone() -> Result<idn_capture::MicrophoneSource> {
    let (choice, _) = idn_capture::DeviceChoice::load(&choice_path());
    let microphones = idn_capture::list_microphones();
    match idn_capture::pick(choice.microphone.as_deref(), &microphones, |m| m.name.as_str()) {
        idn_capture::Pick::Remembered(microphone) => {
            Ok(idn_capture::MicrophoneSource::open_named(&microphone.name)?)
        }
        _ => Ok(idn_capture::MicrophoneSource::open_default()?),
    }
}

/// What goes wrong in a synthetic video, as typed on the command line (French, like the UI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VideoFaultArg {
    /// Nothing said: the microphone hears only the room.
    Silence,
    /// Three other digits said.
    MauvaisChiffres,
    /// Digits whispered.
    Chuchote,
    /// Stopped after 1.5 s.
    TropCourt,
    /// The person stands outside the picture.
    VisageAbsent,
    /// Too little light.
    Sombre,
}

/// How a person spoils a take, as typed on the command line: photo degradations and video
/// faults (the first of each kind wins when several say how the digits are spoken or framed).
pub fn spoiled_take(photo: &[DegradationArg], video: &[VideoFaultArg]) -> idn_scenario::scenario::FirstTake {
    use idn_capture::{Framing, Speech};
    let has = |fault| video.contains(&fault);
    let speech = if has(VideoFaultArg::Silence) {
        Speech::Silent
    } else if has(VideoFaultArg::MauvaisChiffres) {
        Speech::WrongDigits
    } else if has(VideoFaultArg::Chuchote) {
        Speech::Whispered
    } else {
        Speech::Clear
    };
    let framing = if has(VideoFaultArg::VisageAbsent) {
        Framing::FaceOutOfView
    } else if has(VideoFaultArg::Sombre) {
        Framing::TooDark
    } else {
        Framing::Good
    };
    idn_scenario::scenario::FirstTake {
        photo: photo.iter().fold(Degradations::NONE, |set, degradation| {
            set.with((*degradation).into())
        }),
        speech,
        framing,
        stopped_after: has(VideoFaultArg::TropCourt).then_some(std::time::Duration::from_millis(1500)),
    }
}

/// Default length of a recording: enough for the lead-in and three digits with pauses.
pub const VIDEO_SECONDS: f64 = 6.0;

/// A recorded (or imported) video and its checks.
pub struct VideoTake {
    pub mp4: Vec<u8>,
    pub report: idn_capture::VideoReport,
    pub digits: Option<idn_capture::SpokenDigits>,
}

/// Records the spoken-digit video from the synthetic scene and voice, from the first camera and
/// microphone (`camera`), or reads an MP4 from disk (the "Photothèque").
pub fn record(
    source: &str,
    digits: Option<idn_capture::SpokenDigits>,
    faults: &[VideoFaultArg],
    seconds: f64,
    seed: u64,
) -> Result<VideoTake> {
    use idn_capture::{SceneConfig, SyntheticFaceScene, SyntheticVoice, VideoSettings};
    if !(seconds.is_finite() && seconds > 0.0) {
        anyhow::bail!("La durée de la vidéo doit être un nombre de secondes positif.");
    }
    let length = std::time::Duration::from_secs_f64(seconds.min(idn_capture::MAX_RECORDING.as_secs_f64()));
    match source {
        "synthetic" => {
            let digits = digits.ok_or_else(|| {
                anyhow::anyhow!(
                    "Indiquez les 3 chiffres à dire avec --chiffres (ils sont dans le courrier AR24)."
                )
            })?;
            let take = spoiled_take(&[], faults);
            let length = take.stopped_after.unwrap_or(length);
            let (speech, framing) = (take.speech, take.framing);
            let mut voice = SyntheticVoice::new(digits, speech, seed);
            let config = SceneConfig {
                seed,
                framing,
                ..SceneConfig::default()
            };
            let mut scene = SyntheticFaceScene::new(&demo_specimen(), config, voice.spoken_intervals())?;
            let recording =
                idn_capture::record_video(&mut scene, &mut voice, length, VideoSettings::default())?;
            Ok(VideoTake {
                mp4: recording.clip.mp4,
                report: recording.report,
                digits: Some(digits),
            })
        }
        "camera" => {
            let mut camera = open_camera()?;
            let mut microphone = open_microphone()?;
            let recording =
                idn_capture::record_video(&mut camera, &mut microphone, length, VideoSettings::default())?;
            Ok(VideoTake {
                mp4: recording.clip.mp4,
                report: recording.report,
                digits,
            })
        }
        path => {
            let mp4 = std::fs::read(path).with_context(|| format!("lecture de {path}"))?;
            let inspection = idn_capture::inspect_video(&mp4)?;
            Ok(VideoTake {
                mp4,
                report: inspection.report,
                digits,
            })
        }
    }
}

/// One machine check of the video as printed.
#[derive(Debug, Clone, Serialize)]
pub struct VideoCheckLine {
    pub check: &'static str,
    pub measured: String,
    pub passed: bool,
    pub hint: Option<&'static str>,
    pub hint_fr: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VideoCaptureReport {
    pub path: String,
    pub bytes: usize,
    pub digits: Option<String>,
    pub duration_s: f64,
    pub frames: u64,
    pub frame_rate: f64,
    pub utterances: usize,
    pub all_checks_passed: bool,
    pub checks: Vec<VideoCheckLine>,
    /// What only the reviewer can judge.
    pub left_to_review: Vec<&'static str>,
}

pub fn video_report(take: &VideoTake, path: &Path) -> VideoCaptureReport {
    let report = &take.report;
    VideoCaptureReport {
        path: path.display().to_string(),
        bytes: take.mp4.len(),
        digits: take.digits.map(|digits| digits.to_string()),
        duration_s: report.duration.as_secs_f64(),
        frames: report.frames,
        frame_rate: report.frame_rate,
        utterances: report.audio.utterances.len(),
        all_checks_passed: report.passed(),
        checks: report
            .checks
            .iter()
            .map(|check| VideoCheckLine {
                check: check.kind.code(),
                measured: check.measured.clone(),
                passed: check.passed,
                hint: check.hint.map(|hint| hint.code()),
                hint_fr: check.hint.map(|hint| hint.message_fr()),
            })
            .collect(),
        left_to_review: idn_capture::VideoReport::LEFT_TO_REVIEW.to_vec(),
    }
}
