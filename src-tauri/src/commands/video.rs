//! Commands of the video of the visual identification: record it (the synthetic person of the
//! sandbox, or the camera and microphone), play it back, redo it, upload it. Encoding and the
//! machine checks are `idn-capture`'s (`record_video`); the recording waits here until the person
//! chooses to send it.

use std::sync::Mutex;
use std::time::Duration;

use idn_api::MediaKind;
use idn_capture::{
    Framing, SceneConfig, Speech, SpokenDigits, SyntheticFaceScene, SyntheticVoice, VideoSettings,
};
use serde::Serialize;
use tauri::ipc::Response;
use tauri::{AppHandle, State};

use super::account::no_account;
use super::CommandError;
use crate::session;

/// The last recording, until uploaded or redone.
#[derive(Default)]
pub struct VideoTake(Mutex<Option<idn_capture::Recording>>);

fn slot(take: &VideoTake) -> std::sync::MutexGuard<'_, Option<idn_capture::Recording>> {
    take.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the machine checked on a recording (wire type).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VideoRecorded {
    pub duration_ms: u64,
    pub size: u64,
    /// All machine checks passed (the reviewer still judges the face and the digits).
    pub passed: bool,
    /// What to fix, in French, when a check failed.
    pub hints: Vec<String>,
}

/// Records the video. `source`: `synthetic` (the sandbox's person; `speech` may simulate a
/// classic mistake: `silent`, `wrong_digits`, `whispered`, `face_out_of_view`) or `camera`.
#[tauri::command]
pub async fn record_video(
    app: AppHandle,
    take: State<'_, VideoTake>,
    source: String,
    mistake: Option<String>,
    seconds: u32,
) -> Result<VideoRecorded, CommandError> {
    let digits = session::with_device(&app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        let learner = device.client().learner(&id).await?;
        Ok(learner.registered_letter.and_then(|letter| letter.spoken_digits))
    })
    .await?
    .ok_or_else(|| CommandError {
        code: "identification_not_started".into(),
        message: "Commencez d'abord l'identification visuelle : les 3 chiffres à dire n'existent pas encore."
            .into(),
        attempts_left: None,
    })?;
    let digits: SpokenDigits = digits.parse().map_err(capture_error)?;
    let length = Duration::from_secs(u64::from(seconds.clamp(3, 30)));
    let recording =
        tauri::async_runtime::spawn_blocking(move || record(&source, mistake.as_deref(), digits, length))
            .await
            .map_err(|error| {
                tracing::error!(%error, "the recording thread failed");
                CommandError {
                    code: "recording_failed".into(),
                    message: "L'enregistrement s'est interrompu ; recommencez.".into(),
                    attempts_left: None,
                }
            })?
            .map_err(capture_error)?;
    let recorded = VideoRecorded {
        duration_ms: recording.clip.duration.as_millis() as u64,
        size: recording.clip.mp4.len() as u64,
        passed: recording.report.passed(),
        hints: recording
            .report
            .hints()
            .into_iter()
            .map(|hint| hint.message_fr())
            .collect(),
    };
    *slot(&take) = Some(recording);
    Ok(recorded)
}

fn record(
    source: &str,
    mistake: Option<&str>,
    digits: SpokenDigits,
    length: Duration,
) -> Result<idn_capture::Recording, idn_capture::CaptureError> {
    if source == "camera" {
        return record_from_devices(length);
    }
    let speech = match mistake {
        Some("silent") => Speech::Silent,
        Some("wrong_digits") => Speech::WrongDigits,
        Some("whispered") => Speech::Whispered,
        _ => Speech::Clear,
    };
    let framing = match mistake {
        Some("face_out_of_view") => Framing::FaceOutOfView,
        _ => Framing::Good,
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(11);
    let mut voice = SyntheticVoice::new(digits, speech, seed);
    let config = SceneConfig {
        seed,
        framing,
        ..SceneConfig::default()
    };
    let mut scene = SyntheticFaceScene::new(
        &idn_capture::SpecimenIdentity::example(),
        config,
        voice.spoken_intervals(),
    )?;
    idn_capture::record_video(&mut scene, &mut voice, length, VideoSettings::default())
}

#[cfg(target_os = "linux")]
fn record_from_devices(length: Duration) -> Result<idn_capture::Recording, idn_capture::CaptureError> {
    let mut camera = idn_capture::CameraSource::open(0)?;
    let mut microphone = idn_capture::MicrophoneSource::open_default()?;
    idn_capture::record_video(&mut camera, &mut microphone, length, VideoSettings::default())
}

/// Elsewhere the camera goes through the webview's getUserMedia (not wired yet; see README).
#[cfg(not(target_os = "linux"))]
fn record_from_devices(_length: Duration) -> Result<idn_capture::Recording, idn_capture::CaptureError> {
    Err(idn_capture::CaptureError::NoCamera(String::new()))
}

fn capture_error(error: idn_capture::CaptureError) -> CommandError {
    tracing::warn!(%error, "video capture failed");
    CommandError {
        code: error.code().to_owned(),
        message: error.message_fr(),
        attempts_left: None,
    }
}

/// The recorded MP4 for "Revoir la vidéo", as raw bytes (an ArrayBuffer on the screen's side).
#[tauri::command]
pub fn video_bytes(take: State<'_, VideoTake>) -> Result<Response, CommandError> {
    slot(&take)
        .as_ref()
        .map(|recording| Response::new(recording.clip.mp4.clone()))
        .ok_or_else(no_video)
}

fn no_video() -> CommandError {
    CommandError {
        code: "no_video".into(),
        message: "Aucune vidéo n'a encore été enregistrée.".into(),
        attempts_left: None,
    }
}

/// Sends the recording to AR24 (the world); the submission then names it.
#[tauri::command]
pub async fn upload_video(
    app: AppHandle,
    take: State<'_, VideoTake>,
) -> Result<super::capture::VideoUploaded, CommandError> {
    let mp4 = slot(&take)
        .as_ref()
        .map(|recording| recording.clip.mp4.clone())
        .ok_or_else(no_video)?;
    session::with_device(&app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        let media = device
            .client()
            .upload_media(&id, MediaKind::Video, "video/mp4", mp4)
            .await?;
        Ok(super::capture::VideoUploaded {
            media_id: media.media_id,
            size: media.size,
        })
    })
    .await
}
