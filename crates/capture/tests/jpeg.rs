//! JPEG stills: decodable by an independent decoder, of the right size, close to the source and
//! still passing the guidance checks.

use idn_capture::{
    DocumentPage, Frame, Guidance, JpegQuality, SpecimenIdentity, StillEncoder, SyntheticConfig,
    SyntheticDocumentSource,
};
use std::time::Duration;

fn decode(jpeg: &[u8]) -> Frame {
    let decoded = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("the image crate decodes our JPEG")
        .into_rgb8();
    let (w, h) = decoded.dimensions();
    Frame::new(w, h, decoded.into_raw(), Duration::ZERO).unwrap()
}

#[test]
fn a_document_still_survives_jpeg_encoding() {
    for page in [DocumentPage::CniBack, DocumentPage::PassportPhotoPage] {
        let config = SyntheticConfig {
            settle_frames: 0,
            ..SyntheticConfig::default()
        };
        let frame = SyntheticDocumentSource::new(page, &SpecimenIdentity::example(), config)
            .expect("a non-empty picture size")
            .frame_at(0);
        let jpeg = StillEncoder::new(JpegQuality::DOCUMENT)
            .unwrap()
            .encode(&frame)
            .unwrap();
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with a JPEG SOI marker");
        let decoded = decode(&jpeg);
        assert_eq!((decoded.width(), decoded.height()), (1280, 720));
        let psnr = frame.psnr(&decoded).unwrap();
        assert!(psnr > 36.0, "{page:?}: PSNR {psnr:.1} dB at quality 85");
        assert!(
            (40_000..400_000).contains(&jpeg.len()),
            "{page:?}: {} bytes for 1280×720 at quality 85",
            jpeg.len()
        );
        let report = Guidance::new(page.format()).assess(&decoded);
        assert!(
            report.all_passed(),
            "{page:?}: the decoded still passes the checks"
        );
    }
}

#[test]
fn lower_quality_gives_smaller_files_and_lower_psnr() {
    let config = SyntheticConfig {
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let identity = SpecimenIdentity::example();
    let frame = SyntheticDocumentSource::new(DocumentPage::CniFront, &identity, config)
        .expect("a non-empty picture size")
        .frame_at(0);
    let encode = |q| {
        StillEncoder::new(JpegQuality::new(q).unwrap())
            .unwrap()
            .encode(&frame)
            .unwrap()
    };
    let (low, high) = (encode(40), encode(85));
    assert!(low.len() < high.len());
    assert!(frame.psnr(&decode(&low)).unwrap() < frame.psnr(&decode(&high)).unwrap());
}

#[test]
fn quality_outside_1_to_100_is_refused() {
    for q in [0, 101, 255] {
        let error = JpegQuality::new(q).unwrap_err();
        assert_eq!(error.code(), "invalid_jpeg_quality");
        assert!(!error.message_fr().is_empty());
    }
    assert_eq!(JpegQuality::new(100).unwrap().get(), 100);
}
