//! JPEG stills with libjpeg-turbo (through the `turbojpeg` crate, which builds the bundled
//! libjpeg-turbo 3 from source with cmake and nasm): about 10× faster than the pure-Rust
//! encoder of the `image` crate at the same quality. Licences: the crate is MIT or Unlicense,
//! libjpeg-turbo is BSD-style (IJG, modified BSD and zlib), all compatible with this MIT project.
//! Quality 85 with 4:2:0 chroma keeps the printed text and the MRZ readable.

use crate::{CaptureError, Frame};
use turbojpeg::{Compressor, Image, PixelFormat, Subsamp};

/// A JPEG quality factor, 1..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegQuality(u8);

impl JpegQuality {
    /// What document photos are stored at: readable text, a few hundred kB at 1280×720.
    pub const DOCUMENT: JpegQuality = JpegQuality(85);

    pub fn new(quality: u8) -> Result<Self, CaptureError> {
        if (1..=100).contains(&quality) {
            Ok(Self(quality))
        } else {
            Err(CaptureError::InvalidJpegQuality(quality))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// Encodes stills; keeps one libjpeg-turbo compressor for all of them.
pub struct StillEncoder {
    compressor: Compressor,
}

impl StillEncoder {
    pub fn new(quality: JpegQuality) -> Result<Self, CaptureError> {
        let failed = |e: turbojpeg::Error| CaptureError::JpegEncoding(e.to_string());
        let mut compressor = Compressor::new().map_err(failed)?;
        compressor.set_quality(i32::from(quality.get())).map_err(failed)?;
        compressor.set_subsamp(Subsamp::Sub2x2).map_err(failed)?;
        Ok(Self { compressor })
    }

    /// The JPEG file's bytes.
    pub fn encode(&mut self, frame: &Frame) -> Result<Vec<u8>, CaptureError> {
        let image = Image {
            pixels: frame.pixels(),
            width: frame.width() as usize,
            pitch: frame.width() as usize * 3,
            height: frame.height() as usize,
            format: PixelFormat::RGB,
        };
        self.compressor
            .compress_to_vec(image)
            .map_err(|e| CaptureError::JpegEncoding(e.to_string()))
    }
}
