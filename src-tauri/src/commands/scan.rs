//! « Scanner le QR code » (Réglages → Rejoindre une classe): a worker thread films the camera
//! (or the sandbox's synthetic camera), reads every frame for a QR code with `idn-capture`, and
//! sends the frames to the screen in the live preview's wire format (`preview.rs`: length,
//! JSON [`PreviewFrame`] header whose hint says what was read, JPEG), so the screen draws them
//! with the same code as the document photos. At the first QR code holding a world's address
//! (with the fragment its welcome page adds, `#ca=…&id=…`: `idn_api::join`) the worker stops and
//! the command joins that world exactly as its text pasted does (`world::use_world`: address
//! checked, world reachable under the pinned authority, its identity the code's, then shown as
//! the world in use).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use idn_api::join::JoinAddress;
use idn_capture::{Frame, JpegQuality, QrReading, StillEncoder, SyntheticQrScene, VideoSource};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::{AppHandle, State};

use super::capture::open_camera;
use super::CommandError;
use crate::preview::{PreviewFrame, PreviewHint};
use crate::session::SessionView;
use crate::world_link::{WorldLink, WorldSource};

/// A phone's scanning preview: 640 × 480 is plenty to read a projected code, and cheap to decode.
const SYNTHETIC_SIZE: (u32, u32) = (640, 480);
const FRAME_INTERVAL: Duration = Duration::from_millis(40);
const PREVIEW_QUALITY: u8 = 70;

/// Managed state: the scan running, if any (its stop flag).
#[derive(Default)]
pub struct QrScan {
    running: Mutex<Option<Arc<AtomicBool>>>,
}

impl QrScan {
    fn stop(&self) {
        if let Some(stop) = self.running.lock().unwrap_or_else(|p| p.into_inner()).take() {
            stop.store(true, Ordering::Relaxed);
        }
    }
}

/// What the synthetic camera films: `--synthetic-qr TEXT` (or `--synthetic-qr=TEXT`) on the
/// app's command line puts a sheet with that QR code in front of it (a trainer's demo, the
/// window tests); without it the sheet is blank and the screen says no code is in view.
fn synthetic_qr_text(args: impl IntoIterator<Item = String>) -> Option<String> {
    let mut args = args.into_iter();
    let mut chosen = None;
    while let Some(arg) = args.next() {
        if arg == "--synthetic-qr" {
            chosen = args.next();
        } else if let Some(text) = arg.strip_prefix("--synthetic-qr=") {
            chosen = Some(text.to_owned());
        }
    }
    chosen.filter(|text| !text.is_empty())
}

fn capture_error(error: idn_capture::CaptureError) -> CommandError {
    tracing::warn!(%error, "QR scan could not film");
    let message = match &error {
        // The capture catalogue suggests a photo from the library, which cannot join a class.
        idn_capture::CaptureError::NoCamera(_) => {
            "Aucune caméra n'a été trouvée. Branchez une caméra, ou saisissez l'adresse du serveur."
                .to_owned()
        }
        _ => error.message_fr(),
    };
    CommandError {
        code: error.code().to_owned(),
        message,
        attempts_left: None,
    }
}

fn stopped() -> CommandError {
    CommandError {
        code: "scan_stopped".into(),
        message: "La lecture du QR code a été arrêtée.".into(),
        attempts_left: None,
    }
}

/// Films `source` (`synthetic` or `camera`) until a QR code holds a world's address, then joins
/// that world. Ends with `scan_stopped` when the person stops it (or starts another scan).
#[tauri::command]
pub async fn scan_world_qr(
    app: AppHandle,
    scan: State<'_, QrScan>,
    link: State<'_, WorldLink>,
    source: String,
    frames: Channel,
) -> Result<SessionView, CommandError> {
    scan.stop();
    let stop = Arc::new(AtomicBool::new(false));
    *scan.running.lock().unwrap_or_else(|p| p.into_inner()) = Some(stop.clone());
    let use_camera = source == "camera";
    let shown = synthetic_qr_text(std::env::args().skip(1));
    let (found_tx, found_rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let opened = if use_camera {
            open_camera()
        } else {
            let seed = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|since| since.as_nanos() as u64)
                .unwrap_or(11);
            let (width, height) = SYNTHETIC_SIZE;
            match &shown {
                Some(text) => SyntheticQrScene::showing(text, width, height, seed),
                None => SyntheticQrScene::without_code(width, height, seed),
            }
            .map(|scene| Box::new(scene) as Box<dyn VideoSource>)
        };
        let outcome = opened
            .map_err(capture_error)
            .and_then(|mut source| film(source.as_mut(), &frames, &stop));
        let _ = found_tx.send(outcome);
    });
    let found = found_rx.await.unwrap_or_else(|_| Err(stopped()));
    scan.stop();
    let address = found?;
    tracing::info!(%address, "world address read from a QR code");
    if let WorldSource::External(join) = WorldSource::from_address(&address)? {
        // Joining the world already in use would restart nothing and could stop the embedded one.
        if link.linked().is_ok_and(|linked| linked.is_joined_by(&join)) {
            return Err(CommandError {
                code: "world_already_in_use".into(),
                message: "Ce QR code est celui du monde simulé que vous utilisez déjà.".into(),
                attempts_left: None,
            });
        }
    }
    super::world::use_world(app, Some(address)).await
}

/// « Arrêter » (or leaving the screen): the scan ends with `scan_stopped`.
#[tauri::command]
pub fn stop_qr_scan(scan: State<'_, QrScan>) {
    scan.stop();
}

/// Reads frames until one shows a world's address (returned) or `stop` is set.
fn film(source: &mut dyn VideoSource, frames: &Channel, stop: &AtomicBool) -> Result<String, CommandError> {
    let mut encoder = JpegQuality::new(PREVIEW_QUALITY)
        .and_then(StillEncoder::new)
        .map_err(capture_error)?;
    let mut next = Instant::now();
    let mut seq = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let frame = source.next_frame().map_err(capture_error)?;
        let captured_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs_f64() * 1000.0)
            .unwrap_or_default();
        let (reading, join_code) = read_frame(&frame);
        let hint = reading.hint_code().map(|code| PreviewHint {
            code: code.to_owned(),
            message: reading.message_fr(),
        });
        let jpeg = encoder.encode(&frame).map_err(capture_error)?;
        let header = PreviewFrame {
            seq,
            captured_at_ms,
            width: frame.width(),
            height: frame.height(),
            hint,
            steady: 0,
            taken: None,
        };
        let header = serde_json::to_vec(&header).expect("a preview header serialises");
        let mut message = Vec::with_capacity(4 + header.len() + jpeg.len());
        message.extend_from_slice(&(header.len() as u32).to_le_bytes());
        message.extend_from_slice(&header);
        message.extend_from_slice(&jpeg);
        if frames.send(InvokeResponseBody::Raw(message)).is_err() {
            // The screen went away: nobody to scan for.
            return Err(stopped());
        }
        if let Some(text) = join_code {
            return Ok(text);
        }
        seq += 1;
        next += FRAME_INTERVAL;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            // Reading takes longer than a frame on a slow machine: drop the backlog.
            next = now;
        }
    }
    Err(stopped())
}

/// What `frame` shows, for the hint, and the text of the world's join code if one is in view.
/// `QrReading::of_frame` takes only a bare address for a world's: the welcome page's code carries
/// a fragment after the root, so the codes are classified here with `idn_api::join`.
fn read_frame(frame: &Frame) -> (QrReading, Option<String>) {
    let texts = idn_capture::read_qr_codes(frame);
    if let Some((join, text)) = texts
        .iter()
        .find_map(|text| join_code(text).map(|join| (join, text)))
    {
        return (
            QrReading::WorldAddress(join.base_url().to_owned()),
            Some(text.clone()),
        );
    }
    match texts.into_iter().next() {
        Some(text) => (QrReading::NotAWorldAddress(text), None),
        None => (QrReading::NoCode, None),
    }
}

/// A world's join code: its root address, then an optional fragment (`/application` and the
/// other pages of a world are not joined).
fn join_code(text: &str) -> Option<JoinAddress> {
    let join = JoinAddress::parse(text).ok()?;
    idn_capture::world_address(join.base_url())?;
    Some(join)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_synthetic_qr_text_comes_from_the_command_line_in_both_spellings() {
        let of = |args: &[&str]| synthetic_qr_text(args.iter().map(|arg| arg.to_string()));
        assert_eq!(of(&["--synthetic-qr", "http://a:1"]), Some("http://a:1".into()));
        assert_eq!(
            of(&["--data-dir", "/tmp/x", "--synthetic-qr=http://b:2"]),
            Some("http://b:2".into())
        );
        assert_eq!(
            of(&["--synthetic-qr="]),
            None,
            "an empty text films a blank sheet"
        );
        assert_eq!(of(&["--world-url", "http://a:1"]), None);
    }

    #[test]
    fn a_filmed_join_code_keeps_its_fragment_and_other_pages_are_not_joined() {
        let code = "https://192.168.1.20:8787/#ca=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s&id=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s";
        let filmed = |text: &str| {
            let scene = SyntheticQrScene::showing(text, 640, 480, 3).unwrap();
            read_frame(&scene.frame_at(40))
        };
        assert_eq!(
            filmed(code),
            (
                QrReading::WorldAddress("https://192.168.1.20:8787".into()),
                Some(code.to_owned())
            ),
            "the world's address is shown, and its whole code is joined"
        );
        assert_eq!(
            filmed("http://192.168.1.20:8787"),
            (
                QrReading::WorldAddress("http://192.168.1.20:8787".into()),
                Some("http://192.168.1.20:8787".to_owned())
            ),
            "a bare address is joined as before"
        );
        let page = "https://192.168.1.20:8787/application#id=q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s";
        assert_eq!(
            filmed(page),
            (QrReading::NotAWorldAddress(page.into()), None),
            "the smartphone step's code is not joined"
        );
    }
}
