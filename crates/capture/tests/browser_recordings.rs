//! The machine checks on what browsers record (fixtures made by `fixtures/make-fixtures.sh` with
//! ffmpeg and espeak-ng's French voice): Chrome's WebM (VP8 + Opus) and Safari's MP4 (H.264 +
//! AAC) are heard like the app's own MP4, and their failures are told the same way.

use idn_capture::{inspect_video, VideoContainer, VideoHint};
use std::time::Duration;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn chrome_webm_with_three_spoken_digits_passes() {
    let file = fixture("spoken-vp8-opus.webm");
    assert_eq!(VideoContainer::sniff(&file), Some(VideoContainer::WebM));
    let inspection = inspect_video(&file).unwrap();
    assert_eq!((inspection.width, inspection.height), (160, 120));
    let report = &inspection.report;
    assert!(
        report.duration > Duration::from_millis(5_800) && report.duration < Duration::from_millis(6_200),
        "{:?}",
        report.duration
    );
    assert!((report.frame_rate - 25.0).abs() < 1.0, "{}", report.frame_rate);
    assert_eq!(report.audio.utterances.len(), 3, "{:#?}", report.audio);
    assert!(report.passed(), "{:#?}", report.checks);
}

#[test]
fn safari_mp4_with_aac_sound_passes() {
    let file = fixture("spoken-h264-aac.mp4");
    assert_eq!(VideoContainer::sniff(&file), Some(VideoContainer::Mp4));
    let inspection = inspect_video(&file).unwrap();
    assert_eq!((inspection.width, inspection.height), (160, 120));
    assert_eq!(
        inspection.report.audio.utterances.len(),
        3,
        "{:#?}",
        inspection.report.audio
    );
    assert!(inspection.report.passed(), "{:#?}", inspection.report.checks);
}

#[test]
fn a_silent_webm_is_heard_as_silent() {
    let report = inspect_video(&fixture("silent-vp8-opus.webm")).unwrap().report;
    assert!(!report.passed());
    assert!(
        report.hints().contains(&VideoHint::NoSound),
        "{:?}",
        report.hints()
    );
}

#[test]
fn a_two_second_mp4_is_too_short() {
    let report = inspect_video(&fixture("short-h264-aac.mp4")).unwrap().report;
    assert!(!report.passed());
    assert!(
        report.hints().contains(&VideoHint::TooShort),
        "{:?}",
        report.hints()
    );
}

#[test]
fn broken_browser_files_are_unreadable_not_a_panic() {
    for name in ["spoken-vp8-opus.webm", "spoken-h264-aac.mp4"] {
        let file = fixture(name);
        for broken in [&file[..file.len() / 3], &file[..64], &file[..5]] {
            if let Ok(inspection) = inspect_video(broken) {
                // A WebM cut between clusters is still a (shorter) WebM: then it must not pass.
                assert!(
                    !inspection.report.passed(),
                    "{name} cut to {} bytes passed",
                    broken.len()
                );
            }
        }
    }
    assert_eq!(
        inspect_video(b"RIFF....WAVE").unwrap_err().code(),
        "unreadable_video"
    );
}
