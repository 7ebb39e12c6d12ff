//! Taking one document photo the way the app does: preview frames go through the guidance,
//! auto-capture fires after a steady run of passing frames, and when it never does (a degraded
//! picture) the last preview frame is taken by hand, as the person may always do. The still is
//! then encoded to JPEG.

use crate::{
    AutoCapture, CaptureError, DocumentFormat, Guidance, GuidanceReport, JpegQuality, StillEncoder, Trigger,
    VideoSource,
};

/// A photo ready to upload, with what the guidance said about it.
#[derive(Debug, Clone)]
pub struct Photograph {
    pub jpeg: Vec<u8>,
    pub guidance: GuidanceReport,
    pub trigger: Trigger,
    pub preview_frames: u32,
    pub width: u32,
    pub height: u32,
}

/// Runs the preview for at most `max_preview_frames` frames (at least one).
pub fn photograph(
    source: &mut dyn VideoSource,
    format: DocumentFormat,
    max_preview_frames: u32,
    quality: JpegQuality,
) -> Result<Photograph, CaptureError> {
    let mut guidance = Guidance::new(format);
    let mut auto = AutoCapture::new(AutoCapture::DEFAULT_STEADY_FRAMES);
    let mut seen = 0;
    let still = loop {
        let frame = source.next_frame()?;
        seen += 1;
        let report = guidance.assess(&frame);
        if let Some(still) = auto.observe(&frame, &report) {
            break still;
        }
        if seen >= max_preview_frames.max(1) {
            break auto.capture_now(frame, report);
        }
    };
    let jpeg = StillEncoder::new(quality)?.encode(&still.frame)?;
    Ok(Photograph {
        jpeg,
        width: still.frame.width(),
        height: still.frame.height(),
        guidance: still.guidance,
        trigger: still.trigger,
        preview_frames: seen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Degradation, DocumentPage, SpecimenIdentity, SyntheticConfig, SyntheticDocumentSource};

    fn source(degradations: crate::Degradations) -> SyntheticDocumentSource {
        let config = SyntheticConfig {
            seed: 3,
            degradations,
            ..SyntheticConfig::default()
        };
        SyntheticDocumentSource::new(DocumentPage::CniFront, &SpecimenIdentity::example(), config).unwrap()
    }

    #[test]
    fn a_clean_document_is_taken_automatically() {
        let mut clean = source(crate::Degradations::NONE);
        let photo = photograph(&mut clean, DocumentFormat::Id1, 60, JpegQuality::DOCUMENT).unwrap();
        assert_eq!(photo.trigger, Trigger::Automatic);
        assert!(photo.guidance.all_passed());
        assert!(photo.jpeg.starts_with(&[0xFF, 0xD8, 0xFF]), "a JPEG file");
    }

    #[test]
    fn a_glaring_document_is_never_taken_automatically_but_can_be_taken_by_hand() {
        let mut glare = source(Degradation::Glare.into());
        let photo = photograph(&mut glare, DocumentFormat::Id1, 20, JpegQuality::DOCUMENT).unwrap();
        assert_eq!((photo.trigger, photo.preview_frames), (Trigger::Manual, 20));
        assert_eq!(photo.guidance.first_hint().map(|hint| hint.code()), Some("glare"));
    }
}
