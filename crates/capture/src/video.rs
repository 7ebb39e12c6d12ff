//! Recording the spoken-digit video: frames and sound from any sources, encoded as it goes into
//! an MP4 file with H.264 video and Opus audio, with the checks a machine can honestly make.
//!
//! # Codecs and container
//! - **H.264 through `openh264`** (Cisco's encoder, built from the bundled source with cc and
//!   nasm; BSD-2-Clause). H.264 is the one video codec that Chromium, Safari, Firefox and the
//!   app's WebKitGTK webview (through GStreamer's `gstreamer1.0-libav`) all play. About 5 ms a
//!   1280×720 frame on one core, so a 10 s clip encodes several times faster than real time.
//!   x264 compresses better but is GPL and not a crate; VP8/VP9/AV1 encoders in Rust are either
//!   bindings to system libraries of other versions or far slower.
//! - **Opus through `opus`** (libopus built with cmake; BSD-3-Clause): the speech codec of the
//!   web, 24 kbit/s is plenty for a voice saying three digits; 10 s encode in well under 0.1 s.
//! - **MP4 through `muxide`** (pure Rust, MIT or Apache-2.0): takes openh264's Annex B output and
//!   raw Opus packets directly and writes a fast-start file (index before data), so playback
//!   starts before the whole upload is read. `ffprobe` and Chromium accept it (tests).
//!
//! Memory stays flat: frames are encoded as they come and dropped; only the compressed file
//! (a few MB) and a few frames of encoder state are held.

use crate::speech::{AudioAnalysis, AudioMeter};
use crate::{AudioSource, CaptureError, Frame, VideoSource};
use muxide::api::{AudioCodec, Muxer, MuxerBuilder, VideoCodec};
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, FrameType, IntraFramePeriod, RateControlMode, UsageType,
    VuiConfig,
};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use openh264::OpenH264API;
use std::time::Duration;

/// Opus encodes at 48 kHz; sources at other rates are resampled to it.
pub const AUDIO_SAMPLE_RATE: u32 = 48_000;
/// 20 ms of sound per Opus packet, the usual choice for speech.
const OPUS_FRAME: usize = 960;
/// The shortest video worth sending: three digits cannot be said in less.
pub const MIN_RECORDING: Duration = Duration::from_secs(3);
/// The longest video the app records; it stops by itself there.
pub const MAX_RECORDING: Duration = Duration::from_secs(30);

/// How the video is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoSettings {
    /// Nominal frame rate written in the file; each frame keeps its own timestamp.
    pub frame_rate: u32,
    /// H.264 target, bits per second.
    pub video_bitrate: u32,
    /// Opus target, bits per second.
    pub audio_bitrate: u32,
    /// A key frame every so many frames, so that the reviewer can seek.
    pub keyframe_interval: u32,
}

impl Default for VideoSettings {
    /// 30 fps at 2.5 Mbit/s and 24 kbit/s: a 10 s 1280×720 clip stays near 3 MB with the document
    /// still readable.
    fn default() -> Self {
        Self {
            frame_rate: 30,
            video_bitrate: 2_500_000,
            audio_bitrate: 24_000,
            keyframe_interval: 60,
        }
    }
}

/// Encodes frames and sound into an MP4 as they arrive.
pub struct ClipEncoder {
    width: u32,
    height: u32,
    h264: Encoder,
    yuv: YUVBuffer,
    opus: opus::Encoder,
    muxer: Muxer<Vec<u8>>,
    resampler: Resampler,
    pending_audio: Vec<f32>,
    opus_packet: Vec<u8>,
    audio_packets: u64,
    video_frames: u64,
    first_timestamp: Option<Duration>,
    last_pts: Option<Duration>,
}

impl ClipEncoder {
    /// An encoder for frames of `width × height` (both even) and sound at `audio_rate`.
    pub fn new(
        width: u32,
        height: u32,
        audio_rate: u32,
        settings: VideoSettings,
    ) -> Result<Self, CaptureError> {
        if width == 0
            || height == 0
            || !width.is_multiple_of(2)
            || !height.is_multiple_of(2)
            || audio_rate == 0
        {
            return Err(CaptureError::InvalidVideoSettings(format!(
                "{width}×{height} with sound at {audio_rate} Hz"
            )));
        }
        let config = EncoderConfig::new()
            .bitrate(BitRate::from_bps(settings.video_bitrate))
            .max_frame_rate(FrameRate::from_hz(settings.frame_rate as f32))
            .rate_control_mode(RateControlMode::Bitrate)
            .usage_type(UsageType::CameraVideoRealTime)
            .skip_frames(true)
            // One thread: the preview and the sound run beside it on a phone's other cores.
            .num_threads(1)
            .intra_frame_period(IntraFramePeriod::from_num_frames(settings.keyframe_interval))
            .vui(VuiConfig::bt601());
        let h264 = Encoder::with_api_config(OpenH264API::from_source(), config).map_err(encoding)?;
        let mut opus = opus::Encoder::new(AUDIO_SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip)
            .map_err(encoding)?;
        opus.set_bitrate(opus::Bitrate::Bits(settings.audio_bitrate as i32))
            .map_err(encoding)?;
        let muxer = MuxerBuilder::new(Vec::with_capacity(4 << 20))
            .video(VideoCodec::H264, width, height, f64::from(settings.frame_rate))
            .audio(AudioCodec::Opus, AUDIO_SAMPLE_RATE, 1)
            .with_fast_start(true)
            .build()
            .map_err(encoding)?;
        Ok(Self {
            width,
            height,
            h264,
            yuv: YUVBuffer::new(width as usize, height as usize),
            opus,
            muxer,
            resampler: Resampler::new(audio_rate, AUDIO_SAMPLE_RATE),
            pending_audio: Vec::with_capacity(OPUS_FRAME * 4),
            opus_packet: vec![0; 4000],
            audio_packets: 0,
            video_frames: 0,
            first_timestamp: None,
            last_pts: None,
        })
    }

    /// Adds a frame; its timestamp (relative to the first frame) is its time in the video.
    pub fn push_frame(&mut self, frame: &Frame) -> Result<(), CaptureError> {
        if (frame.width(), frame.height()) != (self.width, self.height) {
            return Err(CaptureError::InvalidVideoSettings(format!(
                "frame of {}×{} in a {}×{} video",
                frame.width(),
                frame.height(),
                self.width,
                self.height
            )));
        }
        let first = *self.first_timestamp.get_or_insert(frame.timestamp());
        let pts = frame.timestamp().saturating_sub(first);
        if self.last_pts.is_some_and(|last| pts <= last) {
            // A camera that repeats a timestamp: keep the earlier frame, as players would.
            return Ok(());
        }
        self.yuv.read_rgb8(RgbSliceU8::new(
            frame.pixels(),
            (self.width as usize, self.height as usize),
        ));
        let bitstream = self.h264.encode(&self.yuv).map_err(encoding)?;
        let keyframe = matches!(bitstream.frame_type(), FrameType::IDR | FrameType::I);
        let data = bitstream.to_vec();
        if data.is_empty() {
            return Ok(());
        }
        self.muxer
            .write_video(pts.as_secs_f64(), &data, keyframe)
            .map_err(encoding)?;
        self.video_frames += 1;
        self.last_pts = Some(pts);
        Ok(())
    }

    /// Adds mono samples in `-1.0..=1.0` at the rate given to [`ClipEncoder::new`].
    pub fn push_audio(&mut self, samples: &[f32]) -> Result<(), CaptureError> {
        self.resampler.push(samples, &mut self.pending_audio);
        self.drain_audio(false)
    }

    fn drain_audio(&mut self, flush: bool) -> Result<(), CaptureError> {
        if flush && !self.pending_audio.len().is_multiple_of(OPUS_FRAME) {
            let padded = self.pending_audio.len().next_multiple_of(OPUS_FRAME);
            self.pending_audio.resize(padded, 0.0);
        }
        let whole = self.pending_audio.len() / OPUS_FRAME * OPUS_FRAME;
        for block in self.pending_audio[..whole].chunks_exact(OPUS_FRAME) {
            let len = self
                .opus
                .encode_float(block, &mut self.opus_packet)
                .map_err(encoding)?;
            let pts = (self.audio_packets * OPUS_FRAME as u64) as f64 / f64::from(AUDIO_SAMPLE_RATE);
            self.muxer
                .write_audio(pts, &self.opus_packet[..len])
                .map_err(encoding)?;
            self.audio_packets += 1;
        }
        self.pending_audio.drain(..whole);
        Ok(())
    }

    /// Closes the file and returns it.
    pub fn finish(mut self) -> Result<EncodedClip, CaptureError> {
        self.drain_audio(true)?;
        if self.video_frames == 0 {
            return Err(CaptureError::VideoEncoding("no frame was recorded".into()));
        }
        let stats = self.muxer.finish_in_place_with_stats().map_err(encoding)?;
        Ok(EncodedClip {
            mp4: self.muxer.into_writer(),
            video_frames: stats.video_frames,
            audio_packets: stats.audio_frames,
            duration: Duration::from_secs_f64(stats.duration_secs),
        })
    }
}

/// A finished MP4 file.
#[derive(Clone)]
pub struct EncodedClip {
    pub mp4: Vec<u8>,
    pub video_frames: u64,
    pub audio_packets: u64,
    pub duration: Duration,
}

impl std::fmt::Debug for EncodedClip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncodedClip")
            .field("bytes", &self.mp4.len())
            .field("video_frames", &self.video_frames)
            .field("audio_packets", &self.audio_packets)
            .field("duration", &self.duration)
            .finish()
    }
}

/// A recorded video and what the machine could check of it.
#[derive(Debug, Clone)]
pub struct Recording {
    pub clip: EncodedClip,
    pub report: VideoReport,
}

/// Records `length` of video (clamped to [`MAX_RECORDING`]) from the two sources, encoding as it
/// goes. Sound is read up to each frame's time, so a live microphone and a camera stay in step.
pub fn record_video(
    video: &mut dyn VideoSource,
    audio: &mut dyn AudioSource,
    length: Duration,
    settings: VideoSettings,
) -> Result<Recording, CaptureError> {
    let length = length.min(MAX_RECORDING);
    let audio_rate = audio.sample_rate().get();
    let first = video.next_frame()?;
    let start = first.timestamp();
    let mut encoder = ClipEncoder::new(first.width(), first.height(), audio_rate, settings)?;
    let mut meter = AudioMeter::new(audio_rate);
    let mut samples_read: u64 = 0;
    let mut buffer = vec![0.0f32; 4096];
    let frame_interval = Duration::from_secs(1) / settings.frame_rate.max(1);
    let mut frame = first;
    let mut frames_seen: u64 = 0;
    let mut last_time = Duration::ZERO;
    loop {
        let time = frame.timestamp().saturating_sub(start);
        // Half a frame of slack: 150 frames at 1/30 s end a hair before 5 s, not after.
        if time + frame_interval / 2 > length {
            break;
        }
        encoder.push_frame(&frame)?;
        frames_seen += 1;
        last_time = time;
        // Sound up to the end of this frame.
        let wanted = ((time + frame_interval).min(length).as_secs_f64() * f64::from(audio_rate)) as u64;
        while samples_read < wanted {
            let chunk = ((wanted - samples_read) as usize).min(buffer.len());
            let got = audio.read(&mut buffer[..chunk])?;
            let got = if got == 0 {
                // A finite source ran out: the rest is silence.
                buffer[..chunk].fill(0.0);
                chunk
            } else {
                got
            };
            meter.push(&buffer[..got]);
            encoder.push_audio(&buffer[..got])?;
            samples_read += got as u64;
        }
        frame = video.next_frame()?;
    }
    let clip = encoder.finish()?;
    let duration = last_time + frame_interval;
    let frame_rate = frames_seen as f64 / duration.as_secs_f64();
    let report = VideoReport::new(duration, frames_seen, frame_rate, meter.analysis());
    Ok(Recording { clip, report })
}

fn encoding(error: impl std::fmt::Display) -> CaptureError {
    CaptureError::VideoEncoding(error.to_string())
}

/// Linear resampling of mono sound, continuous across calls. Enough for speech going to a codec
/// that keeps 8 kHz of bandwidth at this bitrate.
#[derive(Debug, Clone)]
struct Resampler {
    /// Input samples per output sample.
    step: f64,
    /// Position of the next output sample, in input samples from `previous`.
    position: f64,
    previous: f32,
}

impl Resampler {
    fn new(from: u32, to: u32) -> Self {
        Self {
            step: f64::from(from) / f64::from(to),
            position: 0.0,
            previous: 0.0,
        }
    }

    fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if self.step == 1.0 {
            out.extend_from_slice(input);
            return;
        }
        // Samples indexed from -1 (`previous`) to input.len() - 1.
        let at = |i: isize| if i < 0 { self.previous } else { input[i as usize] };
        while self.position <= input.len() as f64 - 1.0 {
            let base = self.position.floor();
            let fraction = (self.position - base) as f32;
            let left = at(base as isize - 1);
            let right = at(base as isize);
            out.push(left + (right - left) * fraction);
            self.position += self.step;
        }
        self.position -= input.len() as f64;
        if let Some(&last) = input.last() {
            self.previous = last;
        }
    }
}

// ----- checks -----

/// One thing the machine checks about the video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoCheckKind {
    Duration,
    FrameRate,
    SoundPresent,
    Loudness,
    SpokenDigits,
}

impl VideoCheckKind {
    /// Stable identifier for programs.
    pub fn code(self) -> &'static str {
        match self {
            Self::Duration => "duration",
            Self::FrameRate => "frame_rate",
            Self::SoundPresent => "sound",
            Self::Loudness => "loudness",
            Self::SpokenDigits => "utterances",
        }
    }
}

/// What to tell the person when a check fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoHint {
    TooShort,
    TooLong,
    Choppy,
    NoSound,
    TooQuiet,
    /// Heard this many utterances instead of three.
    UtteranceCount(usize),
}

impl VideoHint {
    /// Stable identifier for programs.
    pub fn code(self) -> &'static str {
        match self {
            Self::TooShort => "video_too_short",
            Self::TooLong => "video_too_long",
            Self::Choppy => "video_choppy",
            Self::NoSound => "no_sound",
            Self::TooQuiet => "voice_too_quiet",
            Self::UtteranceCount(_) => "utterance_count",
        }
    }

    /// The sentence shown to the person, in French.
    pub fn message_fr(self) -> String {
        crate::fr::video_hint(self)
    }
}

/// The outcome of one check, with what was measured.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoCheck {
    pub kind: VideoCheckKind,
    pub passed: bool,
    /// The measure, in words a tester reads ("4,2 s", "29,8 i/s", "-21 dBFS", "3").
    pub measured: String,
    pub hint: Option<VideoHint>,
}

/// Below this the video stutters too much to see the lips.
pub const MIN_FRAME_RATE: f64 = 15.0;
/// Louder than this somewhere, or the microphone recorded nothing.
pub const MIN_PEAK_DBFS: f32 = -45.0;
/// The voice's average level must reach this.
pub const MIN_SPEECH_DBFS: f32 = -38.0;
/// Three digits, each said apart.
pub const EXPECTED_UTTERANCES: usize = 3;

/// Every machine check of a recorded video. What a machine cannot judge — whose face it is,
/// whether the digits said are the ones asked, whether the document is readable in the video — is
/// listed in [`VideoReport::LEFT_TO_REVIEW`] and left to the reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoReport {
    pub duration: Duration,
    pub frames: u64,
    pub frame_rate: f64,
    pub audio: AudioAnalysis,
    pub checks: Vec<VideoCheck>,
}

impl VideoReport {
    /// What the reviewer judges, never the machine.
    pub const LEFT_TO_REVIEW: [&'static str; 3] = [
        "le visage filmé est celui de la pièce",
        "les chiffres prononcés sont ceux demandés",
        "la pièce est lisible dans la vidéo",
    ];

    pub fn new(duration: Duration, frames: u64, frame_rate: f64, audio: AudioAnalysis) -> Self {
        let seconds = duration.as_secs_f64();
        let heard = audio.utterances.len();
        let level = audio.speech_level_dbfs;
        let checks = vec![
            VideoCheck {
                kind: VideoCheckKind::Duration,
                passed: duration >= MIN_RECORDING && duration <= MAX_RECORDING,
                measured: french_number(seconds, "s"),
                hint: if duration < MIN_RECORDING {
                    Some(VideoHint::TooShort)
                } else if duration > MAX_RECORDING {
                    Some(VideoHint::TooLong)
                } else {
                    None
                },
            },
            VideoCheck {
                kind: VideoCheckKind::FrameRate,
                passed: frame_rate >= MIN_FRAME_RATE,
                measured: french_number(frame_rate, "i/s"),
                hint: (frame_rate < MIN_FRAME_RATE).then_some(VideoHint::Choppy),
            },
            VideoCheck {
                kind: VideoCheckKind::SoundPresent,
                passed: audio.peak_dbfs >= MIN_PEAK_DBFS,
                measured: french_number(f64::from(audio.peak_dbfs), "dBFS (crête)"),
                hint: (audio.peak_dbfs < MIN_PEAK_DBFS).then_some(VideoHint::NoSound),
            },
            VideoCheck {
                kind: VideoCheckKind::Loudness,
                passed: level.is_some_and(|l| l >= MIN_SPEECH_DBFS),
                measured: level.map_or_else(
                    || "aucune voix".to_owned(),
                    |l| french_number(f64::from(l), "dBFS"),
                ),
                hint: (!level.is_some_and(|l| l >= MIN_SPEECH_DBFS)).then_some(VideoHint::TooQuiet),
            },
            VideoCheck {
                kind: VideoCheckKind::SpokenDigits,
                passed: heard == EXPECTED_UTTERANCES,
                measured: format!("{heard} prise(s) de parole"),
                hint: (heard != EXPECTED_UTTERANCES).then_some(VideoHint::UtteranceCount(heard)),
            },
        ];
        Self {
            duration,
            frames,
            frame_rate,
            audio,
            checks,
        }
    }

    /// Whether every machine check passed (the reviewer still decides).
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    /// The hints of the failed checks, most important first.
    pub fn hints(&self) -> Vec<VideoHint> {
        self.checks.iter().filter_map(|check| check.hint).collect()
    }
}

fn french_number(value: f64, unit: &str) -> String {
    format!("{value:.1} {unit}").replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{SceneConfig, SpecimenIdentity, Speech, SyntheticFaceScene, SyntheticVoice};
    use crate::AudioClip;
    use std::num::NonZeroU32;

    fn record(speech: Speech, length: Duration) -> Recording {
        let digits = "384".parse().unwrap();
        let mut voice = SyntheticVoice::new(digits, speech, 5);
        let config = SceneConfig {
            width: 640,
            height: 360,
            seed: 5,
            ..SceneConfig::default()
        };
        let mut scene =
            SyntheticFaceScene::new(&SpecimenIdentity::example(), config, voice.spoken_intervals()).unwrap();
        record_video(&mut scene, &mut voice, length, VideoSettings::default()).unwrap()
    }

    #[test]
    fn a_clear_take_is_an_mp4_with_both_tracks_that_passes_every_check() {
        let recording = record(Speech::Clear, Duration::from_secs(5));
        let mp4 = &recording.clip.mp4;
        assert_eq!(&mp4[4..8], b"ftyp", "an ISO MP4 file");
        assert_eq!(recording.clip.video_frames, 150);
        assert_eq!(recording.clip.audio_packets, 250, "5 s of 20 ms Opus packets");
        assert!(recording.report.passed(), "{:#?}", recording.report.checks);
        assert!((recording.report.frame_rate - 30.0).abs() < 0.01);
    }

    #[test]
    fn silence_and_a_short_take_fail_with_the_hint_a_person_needs() {
        let silent = record(Speech::Silent, Duration::from_secs(5));
        assert_eq!(
            silent.report.hints(),
            [
                VideoHint::NoSound,
                VideoHint::TooQuiet,
                VideoHint::UtteranceCount(0)
            ]
        );
        let short = record(Speech::Clear, Duration::from_millis(1500));
        assert_eq!(short.report.hints()[0], VideoHint::TooShort);
        assert!(short.report.hints().contains(&VideoHint::UtteranceCount(1)));
        assert!(VideoHint::UtteranceCount(1).message_fr().contains("3 chiffres"));
    }

    #[test]
    fn wrong_digits_pass_the_machine_checks_because_only_a_reviewer_can_hear_them() {
        let misread = record(Speech::WrongDigits, Duration::from_secs(5));
        assert!(misread.report.passed());
        assert!(VideoReport::LEFT_TO_REVIEW
            .iter()
            .any(|what| what.contains("chiffres")));
    }

    #[test]
    fn the_recording_stops_by_itself_at_the_maximum_length() {
        let clip = AudioClip::new(vec![0.0; 100], NonZeroU32::new(8_000).unwrap());
        let mut sound = clip;
        let config = SceneConfig {
            width: 320,
            height: 240,
            frame_rate: 15,
            ..SceneConfig::default()
        };
        let mut scene = SyntheticFaceScene::new(&SpecimenIdentity::example(), config, &[]).unwrap();
        let settings = VideoSettings {
            frame_rate: 15,
            ..VideoSettings::default()
        };
        let recording = record_video(&mut scene, &mut sound, Duration::from_secs(90), settings).unwrap();
        let short_of_max = MAX_RECORDING - recording.report.duration;
        assert!(
            short_of_max < Duration::from_millis(1),
            "{:?}",
            recording.report.duration
        );
        assert_eq!(
            recording.report.hints()[0],
            VideoHint::NoSound,
            "a source that ran dry is silence"
        );
    }

    #[test]
    fn resampling_keeps_duration_and_shape_across_calls() {
        let mut resampler = Resampler::new(44_100, 48_000);
        let input: Vec<f32> = (0..44_100).map(|i| (i as f32 * 0.01).sin()).collect();
        let mut out = Vec::new();
        for chunk in input.chunks(1000) {
            resampler.push(chunk, &mut out);
        }
        assert!((out.len() as i64 - 48_000).abs() <= 2, "{}", out.len());
        // Sample at output index 4800 is input position 4410 (minus the one-sample delay).
        assert!((out[4800] - input[4409]).abs() < 0.02);
    }

    #[test]
    fn frames_of_another_size_are_refused() {
        let mut encoder = ClipEncoder::new(320, 240, 48_000, VideoSettings::default()).unwrap();
        let frame = Frame::new(2, 2, vec![0; 12], Duration::ZERO).unwrap();
        assert_eq!(
            encoder.push_frame(&frame).unwrap_err().code(),
            "invalid_video_settings"
        );
        assert!(ClipEncoder::new(321, 240, 48_000, VideoSettings::default()).is_err());
    }
}
