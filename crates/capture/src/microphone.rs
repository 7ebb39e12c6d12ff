//! Real microphones through cpal (ALSA on Linux). No microphone is a normal situation: with no
//! sound card ALSA still names a "default" device, so a microphone counts as present only once
//! its configuration can be read and a stream built.

use crate::{AudioSource, CaptureError};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Duration;

/// How long `read` waits for the next buffer before calling the microphone gone.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// A microphone as listed for the person to choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MicrophoneDescription {
    pub name: String,
    pub sample_rate: u32,
    pub channels: u16,
}

/// Input devices whose configuration can be read; an empty list when there is none.
pub fn list_microphones() -> Vec<MicrophoneDescription> {
    let host = cpal::default_host();
    let Ok(devices) = host.input_devices() else {
        return Vec::new();
    };
    devices
        .filter_map(|device| {
            let config = device.default_input_config().ok()?;
            let name = device
                .description()
                .map(|description| description.name().to_owned())
                .ok()?;
            // ALSA's "null" PCM answers every query and records silence: not a microphone.
            if name.starts_with("Discard all samples") {
                return None;
            }
            Some(MicrophoneDescription {
                name,
                sample_rate: config.sample_rate(),
                channels: config.channels(),
            })
        })
        .collect()
}

/// The default microphone, delivering mono `f32` samples.
pub struct MicrophoneSource {
    _stream: cpal::Stream,
    buffers: Receiver<Vec<f32>>,
    pending: VecDeque<f32>,
    sample_rate: NonZeroU32,
}

impl MicrophoneSource {
    pub fn open_default() -> Result<Self, CaptureError> {
        let device = cpal::default_host()
            .default_input_device()
            .ok_or_else(|| CaptureError::NoMicrophone("no default input device".into()))?;
        Self::open_device(device)
    }

    /// Opens the microphone listed under `name` by [`list_microphones`].
    pub fn open_named(name: &str) -> Result<Self, CaptureError> {
        let device = cpal::default_host()
            .input_devices()
            .map_err(|error| CaptureError::NoMicrophone(error.to_string()))?
            .find(|device| {
                device
                    .description()
                    .is_ok_and(|description| description.name() == name)
            })
            .ok_or_else(|| CaptureError::NoMicrophone(format!("no microphone named {name:?}")))?;
        Self::open_device(device)
    }

    fn open_device(device: cpal::Device) -> Result<Self, CaptureError> {
        let unusable = |error: &dyn std::fmt::Display| CaptureError::NoMicrophone(error.to_string());
        let supported = device.default_input_config().map_err(|error| unusable(&error))?;
        let channels = usize::from(supported.channels().max(1));
        let sample_rate = NonZeroU32::new(supported.sample_rate())
            .ok_or_else(|| CaptureError::NoMicrophone("sample rate 0".into()))?;
        let (sender, buffers) = mpsc::channel();
        let on_error = |error: cpal::Error| ignore_stream_error(&error);
        let stream = match supported.sample_format() {
            cpal::SampleFormat::F32 => device.build_input_stream(
                supported.config(),
                move |data: &[f32], _: &cpal::InputCallbackInfo| {
                    let _ = sender.send(downmix(data, channels, |sample| sample));
                },
                on_error,
                None,
            ),
            cpal::SampleFormat::I16 => device.build_input_stream(
                supported.config(),
                move |data: &[i16], _: &cpal::InputCallbackInfo| {
                    let _ = sender.send(downmix(data, channels, |sample| f32::from(sample) / 32_768.0));
                },
                on_error,
                None,
            ),
            other => {
                return Err(CaptureError::NoMicrophone(format!(
                    "sample format {other:?} not supported"
                )))
            }
        }
        .map_err(|error| unusable(&error))?;
        stream.play().map_err(|error| unusable(&error))?;
        Ok(Self {
            _stream: stream,
            buffers,
            pending: VecDeque::new(),
            sample_rate,
        })
    }
}

/// A stream error is reported by the next `read` timing out; nothing to do in the callback.
fn ignore_stream_error(_error: &cpal::Error) {}

fn downmix<T: Copy>(data: &[T], channels: usize, to_f32: impl Fn(T) -> f32) -> Vec<f32> {
    data.chunks(channels)
        .map(|frame| frame.iter().map(|&sample| to_f32(sample)).sum::<f32>() / frame.len() as f32)
        .collect()
}

impl AudioSource for MicrophoneSource {
    fn sample_rate(&self) -> NonZeroU32 {
        self.sample_rate
    }

    fn read(&mut self, samples: &mut [f32]) -> Result<usize, CaptureError> {
        while self.pending.len() < samples.len() {
            match self.buffers.recv_timeout(READ_TIMEOUT) {
                Ok(buffer) => self.pending.extend(buffer),
                Err(RecvTimeoutError::Timeout) if !self.pending.is_empty() => break,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    return Err(CaptureError::NoMicrophone(
                        "the microphone stopped sending sound".into(),
                    ))
                }
            }
        }
        let count = samples.len().min(self.pending.len());
        for (slot, sample) in samples.iter_mut().zip(self.pending.drain(..count)) {
            *slot = sample;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_microphone_is_a_clear_error_not_a_panic() {
        if list_microphones().is_empty() {
            let error = MicrophoneSource::open_default()
                .err()
                .expect("nothing to record from");
            assert_eq!(error.code(), "no_microphone");
            assert!(error.message_fr().contains("micro"), "{}", error.message_fr());
        }
    }

    #[test]
    fn stereo_is_averaged_to_mono() {
        assert_eq!(
            downmix(&[1.0f32, 0.0, -1.0, -1.0], 2, |sample| sample),
            vec![0.5, -1.0]
        );
        assert_eq!(
            downmix(&[16_384i16, 16_384], 2, |sample| f32::from(sample) / 32_768.0),
            vec![0.5]
        );
    }
}
