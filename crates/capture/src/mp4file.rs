//! Reading a recorded video back: the checks of [`crate::VideoReport`] made on the file, for the
//! world (which must not trust what a device says about its own upload) and for a video chosen
//! from disk. [`inspect_video`] takes the three kinds a device sends: the app's MP4 (H.264 + Opus),
//! Safari's and iOS's MP4 (H.264 + AAC) and Chrome's and Android's WebM (`webm.rs`).
//!
//! The MP4 container is parsed with `mp4parse` (Mozilla's MP4 parser, the one Firefox uses;
//! MPL-2.0, unmodified), Opus sound decoded with libopus and AAC with Symphonia (`aac.rs`). The
//! pictures are not decoded: frame rate and duration come from the sample tables, and whatever the
//! picture shows is for the reviewer.

use crate::aac::AacSound;
use crate::speech::AudioMeter;
use crate::video::AUDIO_SAMPLE_RATE;
use crate::{CaptureError, VideoReport};
use mp4parse::unstable::{create_sample_table, Indice};
use mp4parse::{AudioCodecSpecific, CodecType, SampleEntry, Track, TrackType};
use std::io::Cursor;
use std::time::Duration;

/// What an MP4 file holds, checked.
#[derive(Debug, Clone)]
pub struct VideoInspection {
    pub width: u32,
    pub height: u32,
    pub report: VideoReport,
}

/// Makes the machine checks of a video on its file, whichever a device recorded: MP4 (H.264 with
/// Opus or AAC sound) or WebM (VP8, VP9, AV1 or H.264 with Opus sound), told apart by their first
/// bytes rather than by what the sender says.
pub fn inspect_video(file: &[u8]) -> Result<VideoInspection, CaptureError> {
    match VideoContainer::sniff(file) {
        Some(VideoContainer::Mp4) => inspect_mp4(file),
        Some(VideoContainer::WebM) => crate::webm::inspect_webm(file),
        None => Err(unreadable("neither an MP4 nor a WebM file")),
    }
}

/// The containers a device's video comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoContainer {
    Mp4,
    WebM,
}

impl VideoContainer {
    /// The container `file` starts like: an MP4 `ftyp` box, or an EBML header (WebM).
    pub fn sniff(file: &[u8]) -> Option<Self> {
        if file.len() > 12 && &file[4..8] == b"ftyp" {
            Some(Self::Mp4)
        } else if file.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
            Some(Self::WebM)
        } else {
            None
        }
    }

    /// The media type a browser plays it as.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::WebM => "video/webm",
        }
    }
}

/// Checks that `mp4` is an MP4 file with one H.264 video track and one Opus or AAC sound track,
/// then makes the machine checks of the video on it.
fn inspect_mp4(mp4: &[u8]) -> Result<VideoInspection, CaptureError> {
    let context =
        mp4parse::read_mp4(&mut Cursor::new(mp4)).map_err(|error| unreadable(format!("{error:?}")))?;
    let track_of = |kind: TrackType, codec: CodecType| {
        context
            .tracks
            .iter()
            .find(|track| track.track_type == kind && sample_entry_codec(track) == Some(codec))
    };
    let video =
        track_of(TrackType::Video, CodecType::H264).ok_or_else(|| unreadable("no H.264 video track"))?;
    let audio = track_of(TrackType::Audio, CodecType::Opus)
        .or_else(|| track_of(TrackType::Audio, CodecType::AAC))
        .ok_or_else(|| unreadable("no Opus or AAC sound track"))?;
    let (width, height) = match video.stsd.as_ref().and_then(|stsd| stsd.descriptions.first()) {
        Some(SampleEntry::Video(entry)) => (u32::from(entry.width), u32::from(entry.height)),
        _ => return Err(unreadable("video track without a picture size")),
    };

    let frames = samples(video)?;
    let duration = track_duration(video)?;
    let frame_rate = if duration.is_zero() {
        0.0
    } else {
        frames.len() as f64 / duration.as_secs_f64()
    };

    let meter = match sample_entry_codec(audio) {
        Some(CodecType::AAC) => aac_meter(mp4, audio)?,
        _ => opus_meter(mp4, audio)?,
    };
    Ok(VideoInspection {
        width,
        height,
        report: VideoReport::new(duration, frames.len() as u64, frame_rate, meter.analysis()),
    })
}

/// The Opus track's sound, measured.
fn opus_meter(mp4: &[u8], audio: &Track) -> Result<AudioMeter, CaptureError> {
    let mut decoder = opus::Decoder::new(AUDIO_SAMPLE_RATE, opus::Channels::Mono)
        .map_err(|error| unreadable(format!("opus decoder: {error}")))?;
    let mut meter = AudioMeter::new(AUDIO_SAMPLE_RATE);
    // 120 ms, the longest Opus packet.
    let mut pcm = vec![0.0f32; 5760];
    for packet in samples(audio)? {
        let bytes = slice(mp4, packet)?;
        let decoded = decoder
            .decode_float(bytes, &mut pcm, false)
            .map_err(|error| unreadable(format!("opus packet: {error}")))?;
        meter.push(&pcm[..decoded]);
    }
    Ok(meter)
}

/// The AAC track's sound, measured at its own sample rate.
fn aac_meter(mp4: &[u8], audio: &Track) -> Result<AudioMeter, CaptureError> {
    let config = match audio.stsd.as_ref().and_then(|stsd| stsd.descriptions.first()) {
        Some(SampleEntry::Audio(entry)) => match &entry.codec_specific {
            AudioCodecSpecific::ES_Descriptor(descriptor) => descriptor.decoder_specific_data.to_vec(),
            _ => return Err(unreadable("AAC track without its configuration")),
        },
        _ => return Err(unreadable("AAC track without its configuration")),
    };
    let mut sound = AacSound::new(&config)?;
    let mut meter = AudioMeter::new(sound.sample_rate()?);
    let mut mono = Vec::new();
    for packet in samples(audio)? {
        mono.clear();
        sound.decode(slice(mp4, packet)?, &mut mono)?;
        meter.push(&mono);
    }
    Ok(meter)
}

fn sample_entry_codec(track: &Track) -> Option<CodecType> {
    match track.stsd.as_ref()?.descriptions.first()? {
        SampleEntry::Video(entry) => Some(entry.codec_type),
        SampleEntry::Audio(entry) => Some(entry.codec_type),
        SampleEntry::Unknown => None,
    }
}

/// Byte ranges of the track's samples, in order.
fn samples(track: &Track) -> Result<Vec<(u64, u64)>, CaptureError> {
    let table = create_sample_table(track, 0.into()).ok_or_else(|| unreadable("incomplete sample table"))?;
    Ok(table
        .iter()
        .map(|sample: &Indice| (sample.start_offset.0, sample.end_offset.0))
        .collect())
}

fn track_duration(track: &Track) -> Result<Duration, CaptureError> {
    match (track.duration, track.timescale) {
        (Some(duration), Some(scale)) if scale.0 > 0 => {
            Ok(Duration::from_secs_f64(duration.0 as f64 / scale.0 as f64))
        }
        _ => Err(unreadable("track without a duration")),
    }
}

fn slice(file: &[u8], (start, end): (u64, u64)) -> Result<&[u8], CaptureError> {
    usize::try_from(start)
        .ok()
        .zip(usize::try_from(end).ok())
        .and_then(|(start, end)| file.get(start..end))
        .ok_or_else(|| unreadable("a sample lies outside the file (truncated?)"))
}

fn unreadable(reason: impl Into<String>) -> CaptureError {
    CaptureError::UnreadableVideo(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{SceneConfig, SpecimenIdentity, Speech, SyntheticFaceScene, SyntheticVoice};
    use crate::{record_video, VideoHint, VideoSettings};

    fn clip(speech: Speech) -> crate::Recording {
        let mut voice = SyntheticVoice::new("150".parse().unwrap(), speech, 3);
        let config = SceneConfig {
            width: 640,
            height: 360,
            ..SceneConfig::default()
        };
        let mut scene =
            SyntheticFaceScene::new(&SpecimenIdentity::example(), config, voice.spoken_intervals()).unwrap();
        record_video(
            &mut scene,
            &mut voice,
            Duration::from_secs(5),
            VideoSettings::default(),
        )
        .unwrap()
    }

    #[test]
    fn the_file_tells_the_same_as_the_recording() {
        let recording = clip(Speech::Clear);
        let inspection = inspect_video(&recording.clip.mp4).unwrap();
        assert_eq!((inspection.width, inspection.height), (640, 360));
        assert_eq!(inspection.report.frames, 150);
        assert!(
            (inspection.report.frame_rate - 30.0).abs() < 0.5,
            "{}",
            inspection.report.frame_rate
        );
        assert!(inspection.report.passed(), "{:#?}", inspection.report.checks);
        assert_eq!(inspection.report.audio.utterances.len(), 3);
    }

    #[test]
    fn a_silent_file_is_heard_as_silent() {
        let recording = clip(Speech::Silent);
        let inspection = inspect_video(&recording.clip.mp4).unwrap();
        assert!(inspection.report.hints().contains(&VideoHint::NoSound));
    }

    #[test]
    fn a_truncated_or_foreign_file_is_unreadable_not_a_panic() {
        let recording = clip(Speech::Clear);
        let mp4 = &recording.clip.mp4;
        for broken in [
            &mp4[..mp4.len() / 2],
            &mp4[..100],
            b"\xff\xd8\xff\xe0 not a video".as_slice(),
            &[],
        ] {
            let error = inspect_video(broken).unwrap_err();
            assert_eq!(error.code(), "unreadable_video");
        }
    }
}
