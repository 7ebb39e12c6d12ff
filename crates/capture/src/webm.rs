//! Reading a WebM video back, what Chrome and Android record with `MediaRecorder` (VP8 or VP9
//! pictures, Opus sound): the same machine checks as on the app's MP4 (see `mp4file.rs`).
//!
//! The container is read with `matroska-demuxer` (pure Rust, no unsafe, MIT/Apache-2.0/Zlib),
//! which also reads the "live" files a browser writes: segment and clusters of unknown size, no
//! duration in the header. The pictures are not decoded; the sound is, with libopus.

use crate::mp4file::VideoInspection;
use crate::speech::AudioMeter;
use crate::video::AUDIO_SAMPLE_RATE;
use crate::{CaptureError, VideoReport};
use matroska_demuxer::{Frame, MatroskaFile, TrackType};
use std::io::Cursor;
use std::time::Duration;

/// Picture codecs a browser records in WebM. The pictures are only counted, never decoded.
const VIDEO_CODECS: [&str; 4] = ["V_VP8", "V_VP9", "V_AV1", "V_MPEG4/ISO/AVC"];

/// Checks that `webm` is a WebM file with a video track and an Opus sound track, then makes the
/// machine checks of the video on it.
pub fn inspect_webm(webm: &[u8]) -> Result<VideoInspection, CaptureError> {
    let mut file = MatroskaFile::open(Cursor::new(webm)).map_err(|error| unreadable(format!("{error}")))?;
    let video = file
        .tracks()
        .iter()
        .find(|track| track.track_type() == TrackType::Video && VIDEO_CODECS.contains(&track.codec_id()))
        .ok_or_else(|| unreadable("no VP8, VP9, AV1 or H.264 video track"))?;
    let (video_track, (width, height)) = (
        video.track_number().get(),
        video
            .video()
            .map(|picture| (picture.pixel_width().get(), picture.pixel_height().get()))
            .ok_or_else(|| unreadable("video track without a picture size"))?,
    );
    let audio_track = file
        .tracks()
        .iter()
        .find(|track| track.track_type() == TrackType::Audio && track.codec_id() == "A_OPUS")
        .map(|track| track.track_number().get())
        .ok_or_else(|| unreadable("no Opus sound track"))?;
    let nanos_per_tick = file.info().timestamp_scale().get();
    let declared = file.info().duration();

    // libopus decodes a stereo stream to mono itself (it averages the channels).
    let mut decoder = opus::Decoder::new(AUDIO_SAMPLE_RATE, opus::Channels::Mono)
        .map_err(|error| unreadable(format!("opus decoder: {error}")))?;
    let mut meter = AudioMeter::new(AUDIO_SAMPLE_RATE);
    // 120 ms, the longest Opus packet.
    let mut pcm = vec![0.0f32; 5760];
    let mut frame = Frame::default();
    let (mut frames, mut first, mut last) = (0u64, u64::MAX, 0u64);
    while file
        .next_frame(&mut frame)
        .map_err(|error| unreadable(format!("{error}")))?
    {
        if frame.track == video_track {
            frames += 1;
            first = first.min(frame.timestamp);
            last = last.max(frame.timestamp);
        } else if frame.track == audio_track {
            let decoded = decoder
                .decode_float(&frame.data, &mut pcm, false)
                .map_err(|error| unreadable(format!("opus packet: {error}")))?;
            meter.push(&pcm[..decoded]);
        }
    }
    let ticks = match declared {
        Some(ticks) if ticks > 0.0 => ticks,
        // A browser's live file says no duration: the pictures' span, plus one picture's time.
        _ if frames > 1 => (last - first) as f64 * frames as f64 / (frames - 1) as f64,
        _ => 0.0,
    };
    let duration = Duration::from_secs_f64(ticks * nanos_per_tick as f64 / 1e9);
    let frame_rate = if duration.is_zero() {
        0.0
    } else {
        frames as f64 / duration.as_secs_f64()
    };
    Ok(VideoInspection {
        width: u32::try_from(width).map_err(|_| unreadable("picture too wide"))?,
        height: u32::try_from(height).map_err(|_| unreadable("picture too high"))?,
        report: VideoReport::new(duration, frames, frame_rate, meter.analysis()),
    })
}

fn unreadable(reason: impl Into<String>) -> CaptureError {
    CaptureError::UnreadableVideo(reason.into())
}
