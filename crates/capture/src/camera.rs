//! Real cameras through nokhwa (V4L2 on Linux). No camera is a normal situation on a desktop
//! or in CI: listing answers an empty list and opening answers `NoCamera`, never a panic.
//!
//! nokhwa's own decoding is turned off (it builds mozjpeg, which cannot be linked beside the
//! libjpeg-turbo this crate encodes with); frames are converted here: MJPEG through the
//! `image` crate's decoder, YUYV and NV12 with BT.601 integer arithmetic, RGB/BGR/grey as is.

use crate::{CaptureError, Frame, VideoSource};
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
use std::time::Instant;

/// A camera as listed for the person to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraDescription {
    pub index: u32,
    pub name: String,
}

/// The cameras of this machine; an empty list when there is none.
pub fn list_cameras() -> Vec<CameraDescription> {
    match nokhwa::query(ApiBackend::Auto) {
        Ok(cameras) => cameras
            .into_iter()
            .filter_map(|camera| match camera.index() {
                CameraIndex::Index(index) => Some(CameraDescription {
                    index: *index,
                    name: camera.human_name(),
                }),
                CameraIndex::String(_) => None,
            })
            .collect(),
        // No video device node, or no permission to list them: nothing to offer.
        Err(_) => Vec::new(),
    }
}

/// A live camera delivering RGB frames.
pub struct CameraSource {
    camera: nokhwa::Camera,
    started: Instant,
}

impl CameraSource {
    /// Opens the camera at `index` (from [`list_cameras`]) at its highest resolution.
    pub fn open(index: u32) -> Result<Self, CaptureError> {
        if !list_cameras().iter().any(|camera| camera.index == index) {
            return Err(CaptureError::NoCamera(format!(" at index {index}")));
        }
        let format = RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestResolution);
        let mut camera = nokhwa::Camera::new(CameraIndex::Index(index), format)
            .map_err(|error| CaptureError::CameraUnavailable(error.to_string()))?;
        camera
            .open_stream()
            .map_err(|error| CaptureError::CameraUnavailable(error.to_string()))?;
        Ok(Self {
            camera,
            started: Instant::now(),
        })
    }
}

impl VideoSource for CameraSource {
    fn next_frame(&mut self) -> Result<Frame, CaptureError> {
        let buffer = self
            .camera
            .frame()
            .map_err(|error| CaptureError::CameraUnavailable(error.to_string()))?;
        let resolution = buffer.resolution();
        let pixels = to_rgb(
            buffer.source_frame_format(),
            resolution.width(),
            resolution.height(),
            buffer.buffer(),
        )?;
        Frame::new(
            resolution.width(),
            resolution.height(),
            pixels,
            self.started.elapsed(),
        )
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // Releasing the device is best effort: a camera unplugged meanwhile is already stopped.
        let _ = self.camera.stop_stream();
    }
}

/// Converts one camera buffer to packed RGB8.
pub fn to_rgb(format: FrameFormat, width: u32, height: u32, data: &[u8]) -> Result<Vec<u8>, CaptureError> {
    let pixels = width as usize * height as usize;
    let short = |needed: usize| {
        CaptureError::CameraUnavailable(format!(
            "{format} buffer of {} bytes, expected {needed}",
            data.len()
        ))
    };
    match format {
        FrameFormat::MJPEG => {
            let picture = image::load_from_memory_with_format(data, image::ImageFormat::Jpeg)
                .map_err(|error| CaptureError::CameraUnavailable(format!("MJPEG frame: {error}")))?;
            Ok(picture.into_rgb8().into_raw())
        }
        FrameFormat::YUYV => {
            if data.len() < pixels * 2 {
                return Err(short(pixels * 2));
            }
            let mut rgb = Vec::with_capacity(pixels * 3);
            for chunk in data[..pixels * 2].chunks_exact(4) {
                let (y0, u, y1, v) = (chunk[0], chunk[1], chunk[2], chunk[3]);
                rgb.extend_from_slice(&yuv_to_rgb(y0, u, v));
                rgb.extend_from_slice(&yuv_to_rgb(y1, u, v));
            }
            Ok(rgb)
        }
        FrameFormat::NV12 => {
            let needed = pixels + pixels / 2;
            if data.len() < needed {
                return Err(short(needed));
            }
            let (luma, chroma) = data.split_at(pixels);
            let (width, height) = (width as usize, height as usize);
            let mut rgb = Vec::with_capacity(pixels * 3);
            for row in 0..height {
                for column in 0..width {
                    let uv = (row / 2) * width + (column / 2) * 2;
                    rgb.extend_from_slice(&yuv_to_rgb(
                        luma[row * width + column],
                        chroma[uv],
                        chroma[uv + 1],
                    ));
                }
            }
            Ok(rgb)
        }
        FrameFormat::GRAY => {
            if data.len() < pixels {
                return Err(short(pixels));
            }
            Ok(data[..pixels]
                .iter()
                .flat_map(|&value| [value, value, value])
                .collect())
        }
        FrameFormat::RAWRGB => {
            if data.len() < pixels * 3 {
                return Err(short(pixels * 3));
            }
            Ok(data[..pixels * 3].to_vec())
        }
        FrameFormat::RAWBGR => {
            if data.len() < pixels * 3 {
                return Err(short(pixels * 3));
            }
            Ok(data[..pixels * 3]
                .chunks_exact(3)
                .flat_map(|bgr| [bgr[2], bgr[1], bgr[0]])
                .collect())
        }
    }
}

/// BT.601 limited-range YUV to RGB in 16.16 fixed point.
fn yuv_to_rgb(y: u8, u: u8, v: u8) -> [u8; 3] {
    let c = (i32::from(y) - 16).max(0) * 76_309;
    let d = i32::from(u) - 128;
    let e = i32::from(v) - 128;
    let clamp = |value: i32| ((value + 32_768) >> 16).clamp(0, 255) as u8;
    [
        clamp(c + 104_597 * e),
        clamp(c - 25_674 * d - 53_278 * e),
        clamp(c + 132_201 * d),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_camera_is_an_empty_list_and_a_clear_error() {
        let cameras = list_cameras();
        if cameras.is_empty() {
            let error = CameraSource::open(0).err().expect("no camera to open");
            assert_eq!(error.code(), "no_camera");
            assert!(
                error.message_fr().contains("Photothèque"),
                "the person is told what to do instead"
            );
        }
    }

    #[test]
    fn yuyv_greys_and_colours_convert_as_bt601() {
        // Two pixels: limited-range white and black, no chroma.
        let rgb = to_rgb(FrameFormat::YUYV, 2, 1, &[235, 128, 16, 128]).unwrap();
        assert_eq!(rgb, [255, 255, 255, 0, 0, 0]);
        let red = yuv_to_rgb(81, 90, 240);
        assert!(red[0] > 240 && red[1] < 20 && red[2] < 20, "BT.601 red: {red:?}");
    }

    #[test]
    fn mjpeg_frames_decode_to_the_right_size() {
        let frame = Frame::new(64, 32, vec![128; 64 * 32 * 3], std::time::Duration::ZERO).unwrap();
        let jpeg = crate::StillEncoder::new(crate::JpegQuality::DOCUMENT)
            .unwrap()
            .encode(&frame)
            .unwrap();
        assert_eq!(
            to_rgb(FrameFormat::MJPEG, 64, 32, &jpeg).unwrap().len(),
            64 * 32 * 3
        );
    }

    #[test]
    fn short_buffers_are_refused_not_read_past() {
        for format in [
            FrameFormat::YUYV,
            FrameFormat::NV12,
            FrameFormat::GRAY,
            FrameFormat::RAWRGB,
            FrameFormat::RAWBGR,
        ] {
            let error = to_rgb(format, 4, 4, &[0; 3]).unwrap_err();
            assert_eq!(error.code(), "camera_unavailable", "{format}");
        }
    }
}
