//! The guidance checks on the synthetic sources: a clean specimen passes every check for every
//! document page, and each degradation fails the check that measures it, with its hint first.

use idn_capture::{
    CheckKind, Degradation, Degradations, DocumentFormat, DocumentPage, Frame, Guidance, GuidanceReport,
    Hint, SpecimenIdentity, SyntheticConfig, SyntheticDocumentSource, Verdict,
};
use std::time::Duration;

fn steady_frame(page: DocumentPage, degradations: Degradations, seed: u64) -> Frame {
    let config = SyntheticConfig {
        seed,
        degradations,
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    SyntheticDocumentSource::new(page, &SpecimenIdentity::example(), config)
        .expect("a non-empty picture size")
        .frame_at(2)
}

fn describe(report: &GuidanceReport) -> String {
    report
        .checks()
        .iter()
        .map(|c| format!("{}={:.3}:{:?}", c.kind.code(), c.value, c.verdict))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders `page` with `degradations`, runs the checks for its format, and compares the failing
/// checks (with their hints) and the hint shown first with what is expected.
fn check(
    page: DocumentPage,
    degradations: &[Degradation],
    failing: &[(CheckKind, Hint)],
    shown: Option<Hint>,
) {
    let frame = steady_frame(page, degradations.iter().copied().collect(), 11);
    let report = Guidance::new(page.format()).assess(&frame);
    let context = format!("{page:?} {degradations:?}: {}", describe(&report));
    for &(kind, hint) in failing {
        assert_eq!(
            report.check(kind).verdict,
            Verdict::Fail(hint),
            "{kind:?} must fail with {hint:?}: {context}"
        );
        assert!(!hint.message_fr().is_empty());
    }
    assert_eq!(report.first_hint(), shown, "hint shown first: {context}");
    assert_eq!(report.all_passed(), shown.is_none(), "{context}");
}

#[test]
fn a_clean_specimen_passes_every_check_for_every_page() {
    for page in DocumentPage::ALL {
        check(page, &[], &[], None);
    }
}

#[test]
fn a_clean_specimen_passes_for_other_seeds_too() {
    // Other tables, poses, lights and faces.
    for seed in [1, 2, 3] {
        let frame = steady_frame(DocumentPage::CniFront, Degradations::NONE, seed);
        let report = Guidance::new(DocumentFormat::Id1).assess(&frame);
        assert!(report.all_passed(), "seed {seed}: {}", describe(&report));
    }
}

#[test]
fn blur_fails_sharpness_with_image_floue() {
    for page in DocumentPage::ALL {
        let failing = [(CheckKind::Sharpness, Hint::Blurry)];
        check(page, &[Degradation::Blur], &failing, Some(Hint::Blurry));
    }
    assert!(Hint::Blurry.message_fr().starts_with("Image floue"));
}

#[test]
fn glare_fails_the_glare_check_with_reflet_detecte() {
    for page in DocumentPage::ALL {
        let failing = [(CheckKind::Glare, Hint::Glare)];
        check(page, &[Degradation::Glare], &failing, Some(Hint::Glare));
    }
    assert!(Hint::Glare.message_fr().starts_with("Reflet détecté"));
}

#[test]
fn darkness_fails_exposure_with_image_trop_sombre() {
    for page in DocumentPage::ALL {
        let failing = [(CheckKind::Exposure, Hint::TooDark)];
        check(page, &[Degradation::TooDark], &failing, Some(Hint::TooDark));
    }
    assert!(Hint::TooDark.message_fr().starts_with("Image trop sombre"));
}

#[test]
fn a_card_partly_out_of_frame_fails_framing_with_piece_hors_cadre() {
    for page in DocumentPage::ALL {
        let failing = [(CheckKind::Framing, Hint::OutOfFrame)];
        check(page, &[Degradation::OutOfFrame], &failing, Some(Hint::OutOfFrame));
    }
    assert!(Hint::OutOfFrame.message_fr().starts_with("Pièce hors cadre"));
}

#[test]
fn a_sleeve_fails_contrast_and_asks_to_take_the_card_out() {
    for page in DocumentPage::ALL {
        let failing = [(CheckKind::Contrast, Hint::LowContrast)];
        check(page, &[Degradation::Sleeve], &failing, Some(Hint::LowContrast));
    }
    assert!(Hint::LowContrast.message_fr().contains("pochette"));
}

#[test]
fn combined_degradations_fail_each_of_their_checks_and_show_the_first_by_priority() {
    check(
        DocumentPage::CniFront,
        &[Degradation::Blur, Degradation::Glare],
        &[
            (CheckKind::Sharpness, Hint::Blurry),
            (CheckKind::Glare, Hint::Glare),
        ],
        Some(Hint::Glare),
    );
    check(
        DocumentPage::PassportPhotoPage,
        &[Degradation::TooDark, Degradation::Blur],
        &[
            (CheckKind::Exposure, Hint::TooDark),
            (CheckKind::Sharpness, Hint::Blurry),
        ],
        Some(Hint::TooDark),
    );
    check(
        DocumentPage::TitreDeSejourBack,
        &[Degradation::OutOfFrame, Degradation::Sleeve],
        &[
            (CheckKind::Framing, Hint::OutOfFrame),
            (CheckKind::Contrast, Hint::LowContrast),
        ],
        Some(Hint::OutOfFrame),
    );
}

#[test]
fn framing_compares_the_aspect_ratio_with_the_expected_document() {
    let card = steady_frame(DocumentPage::CniFront, Degradations::NONE, 11);
    let as_passport = Guidance::new(DocumentFormat::PassportPage).assess(&card);
    assert_eq!(
        as_passport.check(CheckKind::Framing).verdict,
        Verdict::Fail(Hint::WrongShape),
        "an ID-1 card is not a passport page: {}",
        describe(&as_passport)
    );
    let passport = steady_frame(DocumentPage::PassportPhotoPage, Degradations::NONE, 11);
    let as_card = Guidance::new(DocumentFormat::Id1).assess(&passport);
    assert_eq!(
        as_card.check(CheckKind::Framing).verdict,
        Verdict::Fail(Hint::WrongShape),
        "a passport page is not an ID-1 card: {}",
        describe(&as_card)
    );
    let measured = Guidance::new(DocumentFormat::Id1)
        .assess(&card)
        .check(CheckKind::Framing)
        .value;
    assert!(
        (measured / DocumentFormat::Id1.aspect_ratio() - 1.0).abs() < 0.04,
        "measured aspect ratio {measured} within 4 % of 85.6 / 54 (rounded corners bias it up)"
    );
}

#[test]
fn the_quad_found_surrounds_the_cards_centre() {
    let frame = steady_frame(DocumentPage::CniBack, Degradations::NONE, 11);
    let report = Guidance::new(DocumentFormat::Id1).assess(&frame);
    let quad = report.quad().expect("a card is found");
    let (cx, cy) = quad
        .corners
        .iter()
        .fold((0.0, 0.0), |(x, y), c| (x + c.0 / 4.0, y + c.1 / 4.0));
    // The synthetic pose puts the card's centre within 3 % of the picture's centre.
    assert!((cx - 640.0).abs() < 45.0 && (cy - 360.0).abs() < 30.0, "{quad:?}");
}

/// A frame of the given size filled by a function of the position.
fn frame_from(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Frame {
    let mut pixels = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            pixels.extend_from_slice(&pixel(x, y));
        }
    }
    Frame::new(width, height, pixels, Duration::ZERO).unwrap()
}

#[test]
fn an_empty_table_is_no_document() {
    let table = frame_from(1280, 720, |x, y| {
        let v = 70 + ((x * 7 + y * 13) % 23) as u8;
        [v, v - 10, v - 20]
    });
    let report = Guidance::new(DocumentFormat::Id1).assess(&table);
    assert_eq!(
        report.first_hint(),
        Some(Hint::NoDocument),
        "{}",
        describe(&report)
    );
    assert_eq!(report.check(CheckKind::Framing).value, 0.0);
    assert_eq!(report.quad(), None);
}

#[test]
fn a_card_far_from_the_camera_is_too_far() {
    // The clean frame pasted in the middle of a picture twice as large: a quarter of the area.
    let near = steady_frame(DocumentPage::CniFront, Degradations::NONE, 11);
    let far = frame_from(2560, 1440, |x, y| {
        if (640..1920).contains(&x) && (360..1080).contains(&y) {
            let i = (((y - 360) * 1280 + (x - 640)) * 3) as usize;
            [near.pixels()[i], near.pixels()[i + 1], near.pixels()[i + 2]]
        } else {
            [60, 45, 35]
        }
    });
    let report = Guidance::new(DocumentFormat::Id1).assess(&far);
    assert_eq!(
        report.check(CheckKind::Framing).verdict,
        Verdict::Fail(Hint::TooFar),
        "{}",
        describe(&report)
    );
}

#[test]
fn an_overexposed_picture_is_too_bright() {
    let normal = steady_frame(DocumentPage::CniFront, Degradations::NONE, 11);
    let pixels = normal
        .pixels()
        .iter()
        .map(|&v| (u16::from(v) * 2).min(255) as u8)
        .collect();
    let bright = Frame::new(1280, 720, pixels, Duration::ZERO).unwrap();
    let report = Guidance::new(DocumentFormat::Id1).assess(&bright);
    assert_eq!(
        report.check(CheckKind::Exposure).verdict,
        Verdict::Fail(Hint::TooBright),
        "{}",
        describe(&report)
    );
}

#[test]
fn tiny_frames_are_assessed_without_panicking() {
    for (w, h) in [(1, 1), (2, 2), (7, 3), (16, 9)] {
        let frame = frame_from(w, h, |_, _| [200, 200, 200]);
        let report = Guidance::new(DocumentFormat::Id1).assess(&frame);
        assert_eq!(report.first_hint(), Some(Hint::NoDocument), "{w}×{h}");
    }
}
