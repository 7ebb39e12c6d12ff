//! Frames and samples, and the two source traits every camera, microphone, synthetic scene or
//! file implements, so that guidance, encoders and tests never know where pixels came from.

use crate::CaptureError;
use std::num::NonZeroU32;
use std::time::Duration;

/// One RGB8 picture, rows top to bottom, 3 bytes a pixel, no padding.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
    timestamp: Duration,
}

impl Frame {
    /// Wraps a pixel buffer; refuses one whose length is not `width × height × 3` or that is
    /// empty, so every later stage can index without checking.
    pub fn new(width: u32, height: u32, pixels: Vec<u8>, timestamp: Duration) -> Result<Self, CaptureError> {
        let expected = width as usize * height as usize * 3;
        if expected == 0 {
            return Err(CaptureError::EmptyFrame { width, height });
        }
        if pixels.len() != expected {
            return Err(CaptureError::FrameSizeMismatch {
                width,
                height,
                expected,
                actual: pixels.len(),
            });
        }
        Ok(Self {
            width,
            height,
            pixels,
            timestamp,
        })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// RGB8 bytes, `width × height × 3` of them.
    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Time since the source started.
    pub fn timestamp(&self) -> Duration {
        self.timestamp
    }

    pub fn into_pixels(self) -> Vec<u8> {
        self.pixels
    }

    /// Peak signal-to-noise ratio in dB over the RGB channels against another frame of the same
    /// size (`None` otherwise); infinite for identical pixels. How stills and encoders are judged.
    pub fn psnr(&self, other: &Frame) -> Option<f64> {
        if self.width != other.width || self.height != other.height {
            return None;
        }
        let squared: u64 = self
            .pixels
            .iter()
            .zip(&other.pixels)
            .map(|(&a, &b)| {
                let d = u64::from(a.abs_diff(b));
                d * d
            })
            .sum();
        if squared == 0 {
            return Some(f64::INFINITY);
        }
        let mse = squared as f64 / self.pixels.len() as f64;
        Some(10.0 * (255.0 * 255.0 / mse).log10())
    }
}

impl std::fmt::Debug for Frame {
    // The pixels would flood logs and test failures.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

/// Anything that delivers pictures one after the other: a camera, a synthetic scene, a still.
pub trait VideoSource {
    /// The next picture, or why none could be had (an unplugged camera, say).
    fn next_frame(&mut self) -> Result<Frame, CaptureError>;
}

/// Anything that delivers mono sound: a microphone, a synthetic voice, a recording.
pub trait AudioSource {
    /// Samples per second.
    fn sample_rate(&self) -> NonZeroU32;

    /// Fills the start of `samples` with the next mono samples in `-1.0..=1.0` and says how many
    /// it wrote; `Ok(0)` once a finite source has nothing more, which is not an error.
    fn read(&mut self, samples: &mut [f32]) -> Result<usize, CaptureError>;
}

/// Samples held in memory, played once: a recording to replay, or a test's input.
#[derive(Debug, Clone)]
pub struct AudioClip {
    samples: Vec<f32>,
    sample_rate: NonZeroU32,
    position: usize,
}

impl AudioClip {
    pub fn new(samples: Vec<f32>, sample_rate: NonZeroU32) -> Self {
        Self {
            samples,
            sample_rate,
            position: 0,
        }
    }

    /// How long the whole clip lasts.
    pub fn duration(&self) -> Duration {
        Duration::from_secs_f64(self.samples.len() as f64 / f64::from(self.sample_rate.get()))
    }
}

impl AudioSource for AudioClip {
    fn sample_rate(&self) -> NonZeroU32 {
        self.sample_rate
    }

    fn read(&mut self, samples: &mut [f32]) -> Result<usize, CaptureError> {
        let rest = &self.samples[self.position..];
        let count = rest.len().min(samples.len());
        samples[..count].copy_from_slice(&rest[..count]);
        self.position += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffer_of_the_wrong_length_is_refused() {
        let error = Frame::new(4, 2, vec![0; 4 * 2 * 3 - 1], Duration::ZERO).unwrap_err();
        assert_eq!(error.code(), "frame_size_mismatch");
        let error = Frame::new(0, 2, Vec::new(), Duration::ZERO).unwrap_err();
        assert_eq!(error.code(), "empty_frame");
    }

    #[test]
    fn psnr_is_infinite_for_identical_frames_and_falls_with_the_error() {
        let a = Frame::new(2, 1, vec![10; 6], Duration::ZERO).unwrap();
        let b = Frame::new(2, 1, vec![12; 6], Duration::ZERO).unwrap();
        assert_eq!(a.psnr(&a), Some(f64::INFINITY));
        // MSE 4 → 10·log10(65025 / 4) ≈ 42.1 dB.
        let psnr = a.psnr(&b).unwrap();
        assert!((psnr - 42.11).abs() < 0.01, "psnr {psnr}");
        let other_size = Frame::new(1, 2, vec![10; 6], Duration::ZERO).unwrap();
        assert_eq!(a.psnr(&other_size), None, "sizes differ: no PSNR");
    }

    #[test]
    fn an_audio_clip_is_read_in_pieces_then_ends_without_error() {
        let rate = NonZeroU32::new(8_000).unwrap();
        let mut clip = AudioClip::new(vec![0.5; 10], rate);
        assert_eq!(clip.sample_rate(), rate);
        let mut buf = [0.0; 4];
        let mut total = 0;
        loop {
            let n = clip.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            assert!(buf[..n].iter().all(|&s| s == 0.5));
            total += n;
        }
        assert_eq!(total, 10, "every sample is delivered once");
        assert_eq!(clip.duration(), Duration::from_micros(1_250));
    }
}
