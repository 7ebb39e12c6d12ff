//! The photos and the video a scenario submits: the synthetic camera, scene and voice, spoiled
//! the way a fault says; and a code of the right shape that is never the right one.

use super::*;

/// Each digit moved by one: a code of the same shape that is never the right one (and keeps
/// a secret code's digits all different).
pub(super) fn shifted(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(digit) => char::from_digit((digit + 1) % 10, 10).unwrap_or(c),
            None => c,
        })
        .collect()
}

/// The photos a document needs, in the order the app takes them.
pub(super) fn pages(document: DocumentKind) -> &'static [(Side, DocumentPage)] {
    match document {
        DocumentKind::Cni => &[
            (Side::Front, DocumentPage::CniFront),
            (Side::Back, DocumentPage::CniBack),
        ],
        DocumentKind::Passeport => &[(Side::PhotoPage, DocumentPage::PassportPhotoPage)],
        DocumentKind::TitreDeSejour => &[
            (Side::Front, DocumentPage::TitreDeSejourFront),
            (Side::Back, DocumentPage::TitreDeSejourBack),
        ],
    }
}

/// Preview frames a person waits, with a degraded picture that auto-capture will never take,
/// before pressing the shutter by hand (half a second at 25 images per second).
pub(super) const PATIENCE_WITH_A_BAD_PICTURE: u32 = 12;

/// A photo from the synthetic camera as the app takes it: auto-capture when the guidance
/// passes, by hand otherwise.
pub(super) fn photo(
    page: DocumentPage,
    specimen: &idn_capture::SpecimenIdentity,
    degradations: Degradations,
    seed: u64,
) -> Result<Vec<u8>> {
    let preview_frames = if degradations.is_empty() {
        PHOTO_PREVIEW_FRAMES
    } else {
        PATIENCE_WITH_A_BAD_PICTURE
    };
    let config = SyntheticConfig {
        seed,
        degradations,
        ..SyntheticConfig::default()
    };
    let mut source = SyntheticDocumentSource::new(page, specimen, config)?;
    Ok(photograph(&mut source, page.format(), preview_frames, JpegQuality::DOCUMENT)?.jpeg)
}

/// A recorded video and the codes of the phone's own checks that failed (empty when all passed).
pub(super) struct Recorded {
    pub mp4: Vec<u8>,
    pub failed_checks: Vec<String>,
}

/// The spoken-digit video from the synthetic scene and voice, spoiled as `take` says.
pub(super) fn video(
    specimen: &idn_capture::SpecimenIdentity,
    page: DocumentPage,
    digits: &str,
    take: &FirstTake,
    seed: u64,
) -> Result<Recorded> {
    let digits: idn_capture::SpokenDigits = digits
        .parse()
        .map_err(|error| ScenarioError::Invalid(format!("{error}")))?;
    let mut voice = SyntheticVoice::new(digits, take.speech, seed);
    let config = SceneConfig {
        seed,
        page,
        framing: take.framing,
        ..SceneConfig::default()
    };
    let mut scene = SyntheticFaceScene::new(specimen, config, voice.spoken_intervals())?;
    let length = take
        .stopped_after
        .unwrap_or(std::time::Duration::from_secs_f64(VIDEO_SECONDS));
    let recording = idn_capture::record_video(&mut scene, &mut voice, length, VideoSettings::default())?;
    Ok(Recorded {
        failed_checks: recording
            .report
            .hints()
            .into_iter()
            .map(|hint| hint.code().to_owned())
            .collect(),
        mp4: recording.clip.mp4,
    })
}
