//! The fast integer checks agree with the straightforward floating-point reference kept with the
//! benchmarks: same verdict for every check, values within rounding of each other.

#[path = "../benches/support/reference.rs"]
mod reference;

use idn_capture::{
    CheckKind, Degradation, Degradations, DocumentPage, Guidance, GuidanceThresholds, SpecimenIdentity,
    SyntheticConfig, SyntheticDocumentSource,
};

#[test]
fn integer_checks_agree_with_the_float_reference_on_clean_and_degraded_frames() {
    let mut cases = vec![Degradations::NONE];
    cases.extend(Degradation::ALL.map(Degradations::from));
    for (i, degradations) in cases.into_iter().enumerate() {
        let page = DocumentPage::ALL[i % DocumentPage::ALL.len()];
        let config = SyntheticConfig {
            seed: 21,
            degradations,
            settle_frames: 0,
            ..SyntheticConfig::default()
        };
        let frame = SyntheticDocumentSource::new(page, &SpecimenIdentity::example(), config)
            .expect("a non-empty picture size")
            .frame_at(0);
        let fast = Guidance::new(page.format()).assess(&frame);
        let slow = reference::assess(&frame, page.format(), &GuidanceThresholds::default());
        for kind in CheckKind::ALL {
            let (fast_check, (slow_value, slow_verdict)) = (fast.check(kind), slow.get(kind));
            let context = format!(
                "{page:?} {degradations:?} {kind:?}: integer {} vs float {slow_value}",
                fast_check.value
            );
            assert_eq!(fast_check.verdict, slow_verdict, "{context}");
            let value = f64::from(fast_check.value);
            let tolerance = match kind {
                // Rounding luma to integers moves these by a level or so.
                CheckKind::Exposure => 1.0,
                CheckKind::Framing | CheckKind::Glare | CheckKind::Contrast => 0.02,
                // Integer luma adds rounding noise to a variance of thousands.
                CheckKind::Sharpness => 0.05 * slow_value.max(100.0),
            };
            assert!((value - slow_value).abs() <= tolerance, "{context}");
        }
    }
}
