//! The one error type of the capture crate, with a stable code for programs, an English message
//! for logs (`Display`) and a French message for people (from the catalogue in `fr.rs`).

use std::path::PathBuf;
use thiserror::Error;

/// Something a source or an encoder could not do. A failed guidance check is not an error: it is
/// a normal verdict in a [`crate::GuidanceReport`].
#[derive(Debug, Error)]
pub enum CaptureError {
    /// A pixel buffer whose length does not match its declared size.
    #[error("frame of {width}×{height} needs {expected} bytes of RGB8, got {actual}")]
    FrameSizeMismatch {
        width: u32,
        height: u32,
        expected: usize,
        actual: usize,
    },
    /// A frame with no pixel at all.
    #[error("frame of {width}×{height} has no pixel")]
    EmptyFrame { width: u32, height: u32 },
    /// A file could not be read (missing, no permission, I/O error).
    #[error("cannot read {path}: {source}")]
    FileUnreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not a JPEG or PNG image this crate can decode.
    #[error("{path} is not a readable JPEG or PNG image: {reason}")]
    UnsupportedImage { path: PathBuf, reason: String },
    /// A JPEG quality outside 1..=100.
    #[error("JPEG quality {0} is outside 1..=100")]
    InvalidJpegQuality(u8),
    /// libjpeg-turbo refused to encode a still.
    #[error("JPEG encoding failed: {0}")]
    JpegEncoding(String),
    /// A degradation name that is not one of [`crate::Degradation::ALL`].
    #[error("unknown degradation {0:?}")]
    UnknownDegradation(String),
    /// No camera on this machine, or not the one asked for.
    #[error("no camera found{0}")]
    NoCamera(String),
    /// A camera exists but could not be opened or stopped delivering (busy, unplugged, denied).
    #[error("camera unavailable: {0}")]
    CameraUnavailable(String),
    /// The camera delivers a pixel format this crate does not convert.
    #[error("unsupported camera pixel format: {0}")]
    UnsupportedPixelFormat(String),
    /// No microphone that can record: none present, or its configuration cannot be read.
    #[error("no usable microphone: {0}")]
    NoMicrophone(String),
    /// The digits to say are not three digits 0-9.
    #[error("not three digits: {0:?}")]
    InvalidDigits(String),
    /// A video size, frame rate or sample rate the encoder cannot take.
    #[error("invalid video settings: {0}")]
    InvalidVideoSettings(String),
    /// The H.264 or Opus encoder or the MP4 muxer failed.
    #[error("video encoding failed: {0}")]
    VideoEncoding(String),
    /// A video file that is not an MP4 with H.264 video and Opus sound this crate can read.
    #[error("unreadable video: {0}")]
    UnreadableVideo(String),
    /// A text of this many bytes does not fit in any QR code (the synthetic camera's sheet).
    #[error("{0} bytes do not fit in a QR code")]
    QrTextTooLong(usize),
}

impl CaptureError {
    /// Stable machine-readable code: programs and screens decide on this, never on text.
    pub fn code(&self) -> &'static str {
        match self {
            Self::FrameSizeMismatch { .. } => "frame_size_mismatch",
            Self::EmptyFrame { .. } => "empty_frame",
            Self::FileUnreadable { .. } => "file_unreadable",
            Self::UnsupportedImage { .. } => "unsupported_image",
            Self::InvalidJpegQuality(_) => "invalid_jpeg_quality",
            Self::JpegEncoding(_) => "jpeg_encoding_failed",
            Self::UnknownDegradation(_) => "unknown_degradation",
            Self::NoCamera(_) => "no_camera",
            Self::CameraUnavailable(_) => "camera_unavailable",
            Self::UnsupportedPixelFormat(_) => "unsupported_pixel_format",
            Self::NoMicrophone(_) => "no_microphone",
            Self::InvalidDigits(_) => "invalid_digits",
            Self::InvalidVideoSettings(_) => "invalid_video_settings",
            Self::VideoEncoding(_) => "video_encoding_failed",
            Self::UnreadableVideo(_) => "unreadable_video",
            Self::QrTextTooLong(_) => "qr_text_too_long",
        }
    }

    /// The message for people, in French.
    pub fn message_fr(&self) -> String {
        crate::fr::error_message(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_error() -> Vec<CaptureError> {
        let path = PathBuf::from("photo.jpg");
        vec![
            CaptureError::FrameSizeMismatch {
                width: 2,
                height: 2,
                expected: 12,
                actual: 3,
            },
            CaptureError::EmptyFrame { width: 0, height: 0 },
            CaptureError::FileUnreadable {
                path: path.clone(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            CaptureError::UnsupportedImage {
                path,
                reason: "GIF".to_owned(),
            },
            CaptureError::InvalidJpegQuality(0),
            CaptureError::JpegEncoding("no memory".to_owned()),
            CaptureError::UnknownDegradation("fog".to_owned()),
            CaptureError::NoCamera(String::new()),
            CaptureError::CameraUnavailable("busy".to_owned()),
            CaptureError::UnsupportedPixelFormat("NV21".to_owned()),
            CaptureError::NoMicrophone("no default input config".to_owned()),
            CaptureError::InvalidDigits("12".to_owned()),
            CaptureError::InvalidVideoSettings("odd width".to_owned()),
            CaptureError::VideoEncoding("no memory".to_owned()),
            CaptureError::UnreadableVideo("no moov".to_owned()),
        ]
    }

    #[test]
    fn every_error_has_its_own_code_and_a_french_message_without_internals() {
        let errors = every_error();
        let mut codes: Vec<&str> = errors.iter().map(CaptureError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), errors.len(), "codes are distinct");
        for error in &errors {
            let message = error.message_fr();
            assert!(message.ends_with('.'), "{}: {message}", error.code());
            assert!(
                !message.contains("photo.jpg") && !message.contains("no memory"),
                "paths and library details go to logs, not to people: {message}"
            );
        }
    }
}
