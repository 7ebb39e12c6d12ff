//! The live preview of the document photo: a worker thread films the source (the synthetic
//! specimen camera, or a real camera when there is one), runs the guidance and auto-capture of
//! `idn-capture` on every frame, and sends each frame as JPEG bytes through a Tauri channel
//! (raw bytes, never JSON arrays), which the screen draws on a canvas.
//!
//! One message = 4 bytes (little-endian length of the header) + the JSON [`PreviewFrame`] header
//! + the JPEG picture.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use idn_capture::{AutoCapture, Guidance, JpegQuality, Still, StillEncoder, Trigger, VideoSource};
use serde::Serialize;
use tauri::ipc::{Channel, InvokeResponseBody};

/// Synthetic frames are drawn by this many threads at once: one frame of the specimen camera
/// takes longer to draw than the 40 ms a frame may take on a slow machine (or a debug build).
const RENDERERS: u64 = 2;

/// Where preview frames come from.
pub enum Frames {
    /// A camera (or any source that must be read in order on one thread).
    Source(Box<dyn VideoSource>),
    /// The sandbox's specimen camera: each frame is a pure function of its index, so frames are
    /// drawn ahead on [`RENDERERS`] threads and handed over in order.
    Rendered(Arc<idn_capture::SyntheticDocumentSource>),
}

/// Why a running preview stopped; logged (English), never shown: the screen sees the frames
/// stop and offers to start again.
#[derive(Debug, thiserror::Error)]
pub enum PreviewError {
    /// The source failed to give a frame, or a frame failed to encode.
    #[error("capture failed: {0}")]
    Capture(#[from] idn_capture::CaptureError),
    /// A renderer thread of the specimen camera ended (it panicked).
    #[error("a renderer thread of the specimen camera ended")]
    RendererEnded,
    /// A frame's header could not be written as JSON.
    #[error("frame header not serialisable: {0}")]
    Header(#[from] serde_json::Error),
    /// The screen went away (window closed, page reloaded): nobody to film for.
    #[error("the screen no longer listens: {0}")]
    ScreenGone(#[source] tauri::Error),
}

/// Frames in order, from one source or from the renderer threads.
enum Feed {
    Source(Box<dyn VideoSource>),
    Rendered(Vec<std::sync::mpsc::Receiver<idn_capture::Frame>>, u64),
}

impl Feed {
    fn start(frames: Frames) -> Feed {
        match frames {
            Frames::Source(source) => Feed::Source(source),
            Frames::Rendered(source) => {
                let receivers = (0..RENDERERS)
                    .map(|lane| {
                        let (sender, receiver) = std::sync::mpsc::sync_channel(1);
                        let source = source.clone();
                        std::thread::spawn(move || {
                            let mut index = lane;
                            // Ends when the preview stops: the receiver is gone and send fails.
                            while sender.send(source.frame_at(index)).is_ok() {
                                index += RENDERERS;
                            }
                        });
                        receiver
                    })
                    .collect();
                Feed::Rendered(receivers, 0)
            }
        }
    }

    fn next(&mut self) -> Result<idn_capture::Frame, PreviewError> {
        match self {
            Feed::Source(source) => Ok(source.next_frame()?),
            Feed::Rendered(receivers, index) => {
                let lane = (*index % RENDERERS) as usize;
                *index += 1;
                receivers[lane].recv().map_err(|_| PreviewError::RendererEnded)
            }
        }
    }
}

/// The preview's pace: 25 frames per second, as the guidance's steady run assumes.
const FRAME_INTERVAL: Duration = Duration::from_millis(40);
/// Preview pictures only need to be recognisable: a lower quality keeps each frame small.
const PREVIEW_QUALITY: u8 = 70;

/// The header of one preview frame (wire type, see the module's layout).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewFrame {
    pub seq: u64,
    /// When the frame was taken, in milliseconds since the Unix epoch: the screen measures the
    /// capture-to-screen delay with it.
    pub captured_at_ms: f64,
    pub width: u32,
    pub height: u32,
    /// What the person should change, first failing check first (`None`: all good).
    pub hint: Option<PreviewHint>,
    /// Consecutive frames passing every check (auto-capture fires at 5).
    pub steady: u8,
    /// Set on the last frame: the photo was taken, automatically or by hand.
    pub taken: Option<TakenBy>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreviewHint {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TakenBy {
    Automatic,
    Manual,
}

impl PreviewHint {
    pub fn of(report: &idn_capture::GuidanceReport) -> Option<PreviewHint> {
        report.first_hint().map(|hint| PreviewHint {
            code: hint.code().to_owned(),
            message: hint.message_fr().to_owned(),
        })
    }
}

struct Run {
    stop: Arc<AtomicBool>,
    take_now: Arc<AtomicBool>,
}

/// Managed state: the running preview, and the last photo it took (until uploaded).
#[derive(Default)]
pub struct Preview {
    run: Mutex<Option<Run>>,
    still: Arc<Mutex<Option<Still>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Preview {
    /// Starts filming the source that `open` makes (stopping any earlier preview); frames go to
    /// `frames`. The source is opened on the worker thread (a camera handle cannot move between
    /// threads) and its failure to open is returned here.
    pub fn start(
        &self,
        open: impl FnOnce() -> Result<Frames, idn_capture::CaptureError> + Send + 'static,
        guidance: Guidance,
        frames: Channel,
    ) -> Result<(), idn_capture::CaptureError> {
        self.stop();
        *lock(&self.still) = None;
        let run = Run {
            stop: Arc::new(AtomicBool::new(false)),
            take_now: Arc::new(AtomicBool::new(false)),
        };
        let stop = run.stop.clone();
        let take_now = run.take_now.clone();
        let still_slot = self.still.clone();
        *lock(&self.run) = Some(run);
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut feed = match open() {
                Ok(frames) => {
                    let _ = opened_tx.send(Ok(()));
                    Feed::start(frames)
                }
                Err(error) => {
                    let _ = opened_tx.send(Err(error));
                    return;
                }
            };
            let mut guidance = guidance;
            if let Err(error) = film(&mut feed, &mut guidance, &frames, &stop, &take_now, &still_slot) {
                tracing::warn!(%error, "preview stopped");
            }
        });
        opened_rx.recv().unwrap_or_else(|_| {
            Err(idn_capture::CaptureError::CameraUnavailable(
                "preview thread ended".into(),
            ))
        })
    }

    pub fn stop(&self) {
        if let Some(run) = lock(&self.run).take() {
            run.stop.store(true, Ordering::Relaxed);
        }
    }

    /// "Prendre la photo": the next frame is taken, whatever the guidance says.
    pub fn take_now(&self) {
        if let Some(run) = lock(&self.run).as_ref() {
            run.take_now.store(true, Ordering::Relaxed);
        }
    }

    /// The photo taken, if any, leaving the slot empty.
    pub fn take_still(&self) -> Option<Still> {
        lock(&self.still).take()
    }
}

fn film(
    feed: &mut Feed,
    guidance: &mut Guidance,
    frames: &Channel,
    stop: &AtomicBool,
    take_now: &AtomicBool,
    still_slot: &Mutex<Option<Still>>,
) -> Result<(), PreviewError> {
    let quality = JpegQuality::new(PREVIEW_QUALITY)?;
    let mut encoder = StillEncoder::new(quality)?;
    let mut auto = AutoCapture::new(AutoCapture::DEFAULT_STEADY_FRAMES);
    let mut next = Instant::now();
    let mut seq = 0u64;
    let mut busy = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let frame = feed.next()?;
        let captured_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs_f64() * 1000.0)
            .unwrap_or_default();
        let report = guidance.assess(&frame);
        let hint = PreviewHint::of(&report);
        let still = if take_now.swap(false, Ordering::Relaxed) {
            Some(auto.capture_now(frame.clone(), report))
        } else {
            auto.observe(&frame, &report)
        };
        let taken = still.as_ref().map(|still| match still.trigger {
            Trigger::Automatic => TakenBy::Automatic,
            Trigger::Manual => TakenBy::Manual,
        });
        let jpeg = encoder.encode(&frame)?;
        let header = PreviewFrame {
            seq,
            captured_at_ms,
            width: frame.width(),
            height: frame.height(),
            hint,
            steady: auto.streak(),
            taken,
        };
        let header = serde_json::to_vec(&header)?;
        let mut message = Vec::with_capacity(4 + header.len() + jpeg.len());
        message.extend_from_slice(&(header.len() as u32).to_le_bytes());
        message.extend_from_slice(&header);
        message.extend_from_slice(&jpeg);
        frames
            .send(InvokeResponseBody::Raw(message))
            .map_err(PreviewError::ScreenGone)?;
        if let Some(still) = still {
            *lock(still_slot) = Some(still);
            return Ok(());
        }
        busy += started.elapsed();
        seq += 1;
        if seq.is_multiple_of(100) {
            tracing::debug!(
                mean_ms = busy.as_secs_f64() * 10.0,
                "preview: mean time to make a frame over 100 frames"
            );
            busy = Duration::ZERO;
        }
        next += FRAME_INTERVAL;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            // Behind schedule (a slow machine): drop the backlog rather than burst.
            next = now;
        }
    }
    Ok(())
}
