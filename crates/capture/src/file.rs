//! A still from disk, as the real flow's "Photothèque" allows: a JPEG or PNG photo, turned
//! upright according to its EXIF orientation, offered as a source like a camera aimed at it.

use crate::{CaptureError, Frame, VideoSource};
use image::{DynamicImage, ImageDecoder, ImageReader};
use std::path::Path;
use std::time::Duration;

/// One picture, delivered again on every call with timestamps advancing by `frame_interval`,
/// so the same preview, guidance and auto-capture code runs on it as on a camera.
#[derive(Debug, Clone)]
pub struct StillSource {
    still: Frame,
    frame_interval: Duration,
    delivered: u32,
}

impl StillSource {
    /// Delivers `still` at 25 fps.
    pub fn new(still: Frame) -> Self {
        Self {
            still,
            frame_interval: Duration::from_millis(40),
            delivered: 0,
        }
    }

    /// Reads a JPEG or PNG photo (the format is recognised from its bytes, not its name).
    pub fn open(path: &Path) -> Result<Self, CaptureError> {
        Ok(Self::new(read_still(path)?))
    }

    /// The picture itself, timestamp zero.
    pub fn still(&self) -> &Frame {
        &self.still
    }
}

impl VideoSource for StillSource {
    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let timestamp = self.frame_interval * self.delivered;
        self.delivered = self.delivered.saturating_add(1);
        Frame::new(
            self.still.width(),
            self.still.height(),
            self.still.pixels().to_vec(),
            timestamp,
        )
    }
}

/// Decodes a photo into an upright RGB8 frame.
pub fn read_still(path: &Path) -> Result<Frame, CaptureError> {
    let reader = ImageReader::open(path)
        .map_err(|source| CaptureError::FileUnreadable {
            path: path.to_owned(),
            source,
        })?
        .with_guessed_format()
        .map_err(|source| CaptureError::FileUnreadable {
            path: path.to_owned(),
            source,
        })?;
    decode(reader, path)
}

/// Decodes an uploaded photo held in memory (the world's automatic review reads uploads this way).
pub fn decode_still(bytes: &[u8]) -> Result<Frame, CaptureError> {
    let name = Path::new("<envoi>");
    let reader = ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|source| CaptureError::FileUnreadable {
            path: name.to_owned(),
            source,
        })?;
    decode(reader, name)
}

fn decode<R: std::io::BufRead + std::io::Seek>(
    reader: ImageReader<R>,
    path: &Path,
) -> Result<Frame, CaptureError> {
    let unsupported = |reason: String| CaptureError::UnsupportedImage {
        path: path.to_owned(),
        reason,
    };
    match reader.format() {
        Some(image::ImageFormat::Jpeg | image::ImageFormat::Png) => {}
        Some(other) => return Err(unsupported(format!("{other:?} is not JPEG or PNG"))),
        None => return Err(unsupported("unknown format".to_owned())),
    }
    let mut decoder = reader.into_decoder().map_err(|e| unsupported(e.to_string()))?;
    // A missing or unreadable EXIF orientation is common (PNG, edited photos): keep as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| unsupported(e.to_string()))?;
    picture.apply_orientation(orientation);
    let rgb = picture.into_rgb8();
    let (width, height) = rgb.dimensions();
    Frame::new(width, height, rgb.into_raw(), Duration::ZERO)
}
