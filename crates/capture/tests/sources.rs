//! The synthetic and file sources, and auto-capture driven by them.

use idn_capture::{
    AutoCapture, CaptureError, Degradation, Degradations, DocumentPage, Guidance, JpegQuality,
    SpecimenIdentity, StillEncoder, StillSource, SyntheticConfig, SyntheticDocumentSource, Trigger,
    VideoSource,
};
use std::num::NonZeroU8;
use std::time::Duration;

fn source(page: DocumentPage, config: SyntheticConfig) -> SyntheticDocumentSource {
    SyntheticDocumentSource::new(page, &SpecimenIdentity::example(), config)
        .expect("a non-empty picture size")
}

#[test]
fn the_same_seed_gives_the_same_frames_bit_for_bit() {
    let config = SyntheticConfig {
        seed: 5,
        ..SyntheticConfig::default()
    };
    let a = source(DocumentPage::CniFront, config.clone()).frame_at(9);
    let b = source(DocumentPage::CniFront, config).frame_at(9);
    assert_eq!(a, b);
    let other = SyntheticConfig {
        seed: 6,
        ..SyntheticConfig::default()
    };
    assert_ne!(a, source(DocumentPage::CniFront, other).frame_at(9));
}

#[test]
fn frames_have_the_configured_size_and_timestamps() {
    let config = SyntheticConfig {
        width: 640,
        height: 360,
        frame_interval: Duration::from_millis(33),
        ..SyntheticConfig::default()
    };
    let mut source = source(DocumentPage::PassportPhotoPage, config);
    let first = source.next_frame().unwrap();
    let second = source.next_frame().unwrap();
    assert_eq!((first.width(), first.height()), (640, 360));
    assert_eq!(first.timestamp(), Duration::ZERO);
    assert_eq!(second.timestamp(), Duration::from_millis(33));
    assert_ne!(first, second, "the card moves between preview frames");
}

#[test]
fn the_learners_data_changes_the_specimen() {
    let config = SyntheticConfig {
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let example = SpecimenIdentity::example();
    let other = SpecimenIdentity {
        birth_name: "Autre".to_owned(),
        ..example.clone()
    };
    let a = SyntheticDocumentSource::new(DocumentPage::CniFront, &example, config.clone())
        .expect("a non-empty picture size");
    let b = SyntheticDocumentSource::new(DocumentPage::CniFront, &other, config)
        .expect("a non-empty picture size");
    assert_ne!(a.frame_at(0), b.frame_at(0));
}

#[test]
fn degradation_names_round_trip_and_unknown_ones_are_refused_in_french() {
    for degradation in Degradation::ALL {
        assert_eq!(degradation.name().parse::<Degradation>().unwrap(), degradation);
    }
    let error = "fog".parse::<Degradation>().unwrap_err();
    assert_eq!(error.code(), "unknown_degradation");
    assert!(error.message_fr().contains("« fog »"), "{}", error.message_fr());
    assert!(error.message_fr().contains("out-of-frame"));
    let set: Degradations = [Degradation::Blur, Degradation::Sleeve].into_iter().collect();
    assert_eq!(
        set.iter().collect::<Vec<_>>(),
        [Degradation::Blur, Degradation::Sleeve]
    );
}

#[test]
fn auto_capture_waits_for_the_hand_to_settle_then_fires_once() {
    let mut source = source(DocumentPage::CniFront, SyntheticConfig::default());
    let mut guidance = Guidance::new(DocumentPage::CniFront.format());
    let mut auto = AutoCapture::default();
    let mut fired_at = None;
    let mut passing = Vec::new();
    for index in 0..16u64 {
        let frame = source.next_frame().unwrap();
        let report = guidance.assess(&frame);
        passing.push(report.all_passed());
        if let Some(still) = auto.observe(&frame, &report) {
            assert_eq!(still.trigger, Trigger::Automatic);
            assert!(still.guidance.all_passed());
            assert_eq!(
                still.frame, frame,
                "the still is the frame that completed the run"
            );
            assert_eq!(fired_at, None, "fires once");
            fired_at = Some(index);
        }
    }
    assert!(
        !passing[0],
        "the first preview frame moves fast and must not pass: {passing:?}"
    );
    let first_pass = passing.iter().position(|&p| p).expect("the card settles");
    let steady = usize::from(AutoCapture::DEFAULT_STEADY_FRAMES.get());
    assert!(passing[first_pass..first_pass + steady].iter().all(|&p| p));
    assert_eq!(
        fired_at,
        Some((first_pass + steady - 1) as u64),
        "fires on the 5th consecutive passing frame: {passing:?}"
    );
    assert!(auto.has_taken());
    auto.rearm();
    assert_eq!(auto.streak(), 0);
}

#[test]
fn auto_capture_never_fires_on_a_degraded_source_but_manual_capture_works() {
    let config = SyntheticConfig {
        degradations: Degradation::Glare.into(),
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let mut source = source(DocumentPage::TitreDeSejourFront, config);
    let mut guidance = Guidance::new(DocumentPage::TitreDeSejourFront.format());
    let mut auto = AutoCapture::new(NonZeroU8::new(3).unwrap());
    let mut last = None;
    for _ in 0..6 {
        let frame = source.next_frame().unwrap();
        let report = guidance.assess(&frame);
        assert!(auto.observe(&frame, &report).is_none());
        last = Some((frame, report));
    }
    let (frame, report) = last.unwrap();
    let still = auto.capture_now(frame, report);
    assert_eq!(still.trigger, Trigger::Manual);
    assert!(!still.guidance.all_passed(), "taken by hand despite the glare");
}

fn temp_file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_png_from_disk_is_delivered_pixel_for_pixel_on_every_call() {
    let config = SyntheticConfig {
        width: 320,
        height: 200,
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let original = source(DocumentPage::CniBack, config).frame_at(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.png");
    image::save_buffer(&path, original.pixels(), 320, 200, image::ExtendedColorType::Rgb8).unwrap();
    let mut still = StillSource::open(&path).unwrap();
    let first = still.next_frame().unwrap();
    let second = still.next_frame().unwrap();
    assert_eq!(first.pixels(), original.pixels());
    assert_eq!(second.pixels(), original.pixels());
    assert_eq!(second.timestamp(), Duration::from_millis(40));
}

/// A JPEG whose EXIF says "rotate 90° clockwise to display", as phones write them.
fn jpeg_with_orientation_6(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes());
    tiff.extend_from_slice(&6u16.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec(); // SOI
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn a_phone_jpeg_is_turned_upright_from_its_exif_orientation() {
    let config = SyntheticConfig {
        width: 320,
        height: 200,
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let frame = source(DocumentPage::CniFront, config).frame_at(0);
    let jpeg = StillEncoder::new(JpegQuality::DOCUMENT)
        .unwrap()
        .encode(&frame)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let plain = StillSource::open(&temp_file(&dir, "plain.jpg", &jpeg)).unwrap();
    assert_eq!((plain.still().width(), plain.still().height()), (320, 200));
    let rotated = jpeg_with_orientation_6(&jpeg);
    let upright = StillSource::open(&temp_file(&dir, "rotated.jpg", &rotated)).unwrap();
    assert_eq!(
        (upright.still().width(), upright.still().height()),
        (200, 320),
        "orientation 6 swaps width and height"
    );
}

#[test]
fn unreadable_and_non_image_files_are_refused_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let missing = StillSource::open(&dir.path().join("absent.jpg")).unwrap_err();
    assert_eq!(missing.code(), "file_unreadable");
    assert!(matches!(missing, CaptureError::FileUnreadable { .. }));
    let text = temp_file(&dir, "notes.jpg", b"not a picture at all");
    let error = StillSource::open(&text).unwrap_err();
    assert_eq!(error.code(), "unsupported_image");
    assert!(error.message_fr().contains("JPEG ou PNG"));
    // A valid GIF header: recognised, but not a format the Photothèque flow accepts.
    let gif = temp_file(&dir, "anim.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    assert_eq!(StillSource::open(&gif).unwrap_err().code(), "unsupported_image");
    let truncated_png = temp_file(&dir, "cut.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert_eq!(
        StillSource::open(&truncated_png).unwrap_err().code(),
        "unsupported_image"
    );
}

#[test]
fn a_picture_size_of_zero_is_refused() {
    let config = SyntheticConfig {
        width: 0,
        ..SyntheticConfig::default()
    };
    let error = SyntheticDocumentSource::new(DocumentPage::CniFront, &SpecimenIdentity::example(), config)
        .err()
        .expect("zero width is refused");
    assert_eq!(error.code(), "empty_frame");
}
