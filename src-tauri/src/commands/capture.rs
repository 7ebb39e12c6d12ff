//! Commands of the visual identification's photos: the live preview (see `preview.rs`), taking
//! the photo, importing one from a file, and uploading it to the world.

use idn_api::{DocumentKind, IdentitySummary, MediaKind, Side};
use idn_capture::{
    decode_still, DocumentPage, Guidance, JpegQuality, SpecimenIdentity, SpecimenSex, StillEncoder,
    SyntheticConfig, SyntheticDocumentSource, VideoSource,
};
use serde::Serialize;
use tauri::ipc::{Channel, InvokeBody, Request};
use tauri::{AppHandle, State};

use super::account::no_account;
use super::CommandError;
use crate::preview::{Frames, Preview, PreviewHint};
use crate::session;

/// A photo now stored by the world, ready to be part of the submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhotoUploaded {
    pub side: Side,
    pub media_id: String,
    /// What the guidance still finds wrong with it (the reviewer will likely refuse it).
    pub hint: Option<PreviewHint>,
}

fn page_of(document: DocumentKind, side: Side) -> Result<DocumentPage, CommandError> {
    match (document, side) {
        (DocumentKind::Cni, Side::Front) => Ok(DocumentPage::CniFront),
        (DocumentKind::Cni, Side::Back) => Ok(DocumentPage::CniBack),
        (DocumentKind::Passeport, Side::PhotoPage) => Ok(DocumentPage::PassportPhotoPage),
        (DocumentKind::TitreDeSejour, Side::Front) => Ok(DocumentPage::TitreDeSejourFront),
        (DocumentKind::TitreDeSejour, Side::Back) => Ok(DocumentPage::TitreDeSejourBack),
        (DocumentKind::Cni | DocumentKind::TitreDeSejour, Side::PhotoPage)
        | (DocumentKind::Passeport, Side::Front | Side::Back) => Err(CommandError {
            code: "side_not_on_document".into(),
            message: "Cette face n'existe pas pour ce type de pièce.".into(),
            attempts_left: None,
        }),
    }
}

/// The specimen shows what the learner typed, so photo and form agree as with a real document.
fn specimen_of(identity: &IdentitySummary) -> SpecimenIdentity {
    let example = SpecimenIdentity::example();
    SpecimenIdentity {
        sex: SpecimenSex::Female,
        given_names: identity.given_names.clone(),
        birth_name: identity.birth_name.clone(),
        usage_name: identity.usage_name.clone(),
        birth_date: identity.birth_date,
        birth_place: identity.birthplace.clone(),
        nationality: identity.nationality.clone(),
        // The summary has no issue date; ten years before expiry is what a CNI shows.
        issue_date: identity
            .expiry_date
            .checked_sub_months(chrono::Months::new(120))
            .unwrap_or(example.issue_date),
        expiry_date: identity.expiry_date,
        document_number_ending: identity.document_number_ending.clone(),
    }
}

fn capture_error(error: idn_capture::CaptureError) -> CommandError {
    tracing::warn!(%error, "capture failed");
    CommandError {
        code: error.code().to_owned(),
        message: error.message_fr(),
        attempts_left: None,
    }
}

/// Starts the live preview of one side of the document. `source` is `synthetic` (the sandbox's
/// specimen camera, `degradation` optionally simulating a classic mistake) or `camera`.
#[tauri::command]
pub async fn start_preview(
    app: AppHandle,
    preview: State<'_, Preview>,
    document: DocumentKind,
    side: Side,
    source: String,
    degradation: Option<String>,
    frames: Channel,
) -> Result<(), CommandError> {
    let page = page_of(document, side)?;
    let identity = session::with_device(&app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        Ok(device.client().learner(&id).await?.identity)
    })
    .await?;
    let degradations = match degradation.as_deref() {
        None | Some("") => idn_capture::Degradations::NONE,
        Some(name) => name
            .parse::<idn_capture::Degradation>()
            .map_err(capture_error)?
            .into(),
    };
    let specimen = identity
        .as_ref()
        .map(specimen_of)
        .unwrap_or_else(SpecimenIdentity::example);
    let use_camera = source == "camera";
    let open = move || -> Result<Frames, idn_capture::CaptureError> {
        if use_camera {
            return open_camera().map(Frames::Source);
        }
        let config = SyntheticConfig {
            seed: rand_seed(),
            degradations,
            ..SyntheticConfig::default()
        };
        Ok(Frames::Rendered(std::sync::Arc::new(
            SyntheticDocumentSource::new(page, &specimen, config)?,
        )))
    };
    preview
        .start(open, Guidance::new(page.format()), frames)
        .map_err(capture_error)?;
    Ok(())
}

/// The first camera; with none, `idn-capture` explains what to do (a normal situation here).
#[cfg(target_os = "linux")]
pub(crate) fn open_camera() -> Result<Box<dyn VideoSource>, idn_capture::CaptureError> {
    Ok(Box::new(idn_capture::CameraSource::open(0)?))
}

/// Elsewhere the camera goes through the webview's getUserMedia (not wired yet; see README).
#[cfg(not(target_os = "linux"))]
pub(crate) fn open_camera() -> Result<Box<dyn VideoSource>, idn_capture::CaptureError> {
    Err(idn_capture::CaptureError::NoCamera(String::new()))
}

fn rand_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos() as u64)
        .unwrap_or(7)
}

#[tauri::command]
pub fn stop_preview(preview: State<'_, Preview>) {
    preview.stop();
}

/// "Prendre la photo" by hand: always possible, whatever the guidance says.
#[tauri::command]
pub fn take_photo(preview: State<'_, Preview>) {
    preview.take_now();
}

/// Uploads the photo the preview took for `side`.
#[tauri::command]
pub async fn upload_photo(
    app: AppHandle,
    preview: State<'_, Preview>,
    side: Side,
) -> Result<PhotoUploaded, CommandError> {
    let still = preview.take_still().ok_or_else(|| CommandError {
        code: "no_photo".into(),
        message: "Aucune photo n'a encore été prise.".into(),
        attempts_left: None,
    })?;
    let jpeg = StillEncoder::new(JpegQuality::DOCUMENT)
        .and_then(|mut encoder| encoder.encode(&still.frame))
        .map_err(capture_error)?;
    upload(&app, side, jpeg, PreviewHint::of(&still.guidance)).await
}

/// "Importer une photo": the file's bytes arrive as the raw request body, the side and document
/// in headers. The photo gets the same guidance as a camera frame.
#[tauri::command]
pub async fn import_photo(app: AppHandle, request: Request<'_>) -> Result<PhotoUploaded, CommandError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError {
            code: "not_a_file".into(),
            message: "Le fichier n'a pas été transmis.".into(),
            attempts_left: None,
        });
    };
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let side: Side =
        serde_json::from_value(serde_json::Value::String(header("side"))).map_err(|_| CommandError {
            code: "bad_side".into(),
            message: "Face de la pièce inconnue.".into(),
            attempts_left: None,
        })?;
    let document: DocumentKind = serde_json::from_value(serde_json::Value::String(header("document")))
        .map_err(|_| CommandError {
            code: "bad_document".into(),
            message: "Type de pièce inconnu.".into(),
            attempts_left: None,
        })?;
    let page = page_of(document, side)?;
    let frame = decode_still(bytes).map_err(capture_error)?;
    let report = Guidance::new(page.format()).assess(&frame);
    let jpeg = StillEncoder::new(JpegQuality::DOCUMENT)
        .and_then(|mut encoder| encoder.encode(&frame))
        .map_err(capture_error)?;
    upload(&app, side, jpeg, PreviewHint::of(&report)).await
}

async fn upload(
    app: &AppHandle,
    side: Side,
    jpeg: Vec<u8>,
    hint: Option<PreviewHint>,
) -> Result<PhotoUploaded, CommandError> {
    session::with_device(app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        let media = device
            .client()
            .upload_media(&id, MediaKind::Photo, "image/jpeg", jpeg)
            .await?;
        Ok(PhotoUploaded {
            side,
            media_id: media.media_id,
            hint,
        })
    })
    .await
}

/// A video stored by the world, ready to be part of the submission.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VideoUploaded {
    pub media_id: String,
    pub size: u64,
}

/// "Importer une vidéo": a recording made elsewhere (the file's bytes as the raw body, its type
/// in the `content-type` header), as the CLI's `--video` does.
#[tauri::command]
pub async fn import_video(app: AppHandle, request: Request<'_>) -> Result<VideoUploaded, CommandError> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError {
            code: "not_a_file".into(),
            message: "Le fichier n'a pas été transmis.".into(),
            attempts_left: None,
        });
    };
    let content_type = request
        .headers()
        .get("x-media-type")
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.starts_with("video/"))
        .unwrap_or("video/mp4")
        .to_owned();
    let bytes = bytes.clone();
    session::with_device(&app, async |_, device| {
        let id = device.profile().account_id.clone().ok_or_else(no_account)?;
        let media = device
            .client()
            .upload_media(&id, MediaKind::Video, &content_type, bytes)
            .await?;
        Ok(VideoUploaded {
            media_id: media.media_id,
            size: media.size,
        })
    })
    .await
}
