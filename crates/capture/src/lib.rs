//! Capture for the identity check: where frames and sound come from (synthetic specimen
//! documents, a synthetic person saying the digits in French, a still or a video from disk,
//! cameras through nokhwa, microphones through cpal, behind the same traits), the guidance shown
//! while photographing a document, auto-capture, the JPEG encoding of stills, and the recording of
//! the spoken-digit video (H.264 + Opus in MP4, see `video.rs` for the choice of codecs) with the
//! checks a machine can honestly make on it, also on what browsers record (WebM with Opus, MP4
//! with AAC; `webm.rs`, `aac.rs`).
//!
//! Everything here runs without hardware. Specimen documents are fictitious and marked
//! "SPECIMEN" and "SIMULATION": this is a practice sandbox.
//!
//! # JPEG encoder
//! Stills are encoded with libjpeg-turbo through the `turbojpeg` crate, which builds the bundled
//! libjpeg-turbo 3 with cmake and nasm (Debian ships 2.1, too old for the crate). It encodes a
//! 1920×1080 still at quality 85 in a few milliseconds on one core, about ten times faster than
//! the `image` crate's pure-Rust encoder (see `benches/jpeg.rs` and BENCHMARKS.md). Licences:
//! `turbojpeg` is MIT or Unlicense; libjpeg-turbo is under the IJG, modified-BSD and zlib
//! licences; all fit this MIT project. mozjpeg (which nokhwa's MJPEG decoding pulls in) was the
//! alternative; the two cannot be linked into one binary (duplicate symbols), so camera code
//! must decode MJPEG without mozjpeg.
//!
//! # Text without fonts
//! Specimens are lettered with the public-domain 8×8 bitmap font of `font8x8` (ASCII and
//! Latin-1, so French accents), scaled up: no font file to ship or load.

mod aac;
mod autocapture;
#[cfg(target_os = "linux")]
mod camera;
mod choice;
mod document;
mod error;
mod file;
mod fr;
mod frame;
mod guidance;
mod jpeg;
#[cfg(target_os = "linux")]
mod microphone;
mod mp4file;
mod photograph;
mod qr;
pub mod speech;
pub mod synthetic;
mod video;
mod webm;

pub use autocapture::{AutoCapture, Still, Trigger};
#[cfg(target_os = "linux")]
pub use camera::{list_cameras, to_rgb, CameraDescription, CameraSource};
pub use choice::{pick, DeviceChoice, Pick};
pub use document::{DocumentFormat, DocumentPage};
pub use error::CaptureError;
pub use file::{decode_still, read_still, StillSource};
pub use frame::{AudioClip, AudioSource, Frame, VideoSource};
pub use guidance::{
    CheckKind, CheckOutcome, Guidance, GuidanceReport, GuidanceThresholds, Hint, Quad, Verdict,
};
pub use jpeg::{JpegQuality, StillEncoder};
#[cfg(target_os = "linux")]
pub use microphone::{list_microphones, MicrophoneDescription, MicrophoneSource};
pub use mp4file::{inspect_video, VideoContainer, VideoInspection};
pub use photograph::{photograph, Photograph};
pub use qr::{read_qr_codes, world_address, QrReading};
pub use speech::{analyse_samples, AudioAnalysis, AudioMeter};
pub use synthetic::{
    Degradation, Degradations, Framing, SceneConfig, SpecimenIdentity, SpecimenSex, Speech, SpokenDigits,
    SyntheticConfig, SyntheticDocumentSource, SyntheticFaceScene, SyntheticQrScene, SyntheticVoice,
};
pub use video::{
    record_video, ClipEncoder, EncodedClip, Recording, VideoCheck, VideoCheckKind, VideoHint, VideoReport,
    VideoSettings, AUDIO_SAMPLE_RATE, MAX_RECORDING, MIN_RECORDING,
};
