//! All guidance checks on one 1280×720 frame: the integer implementation against the
//! straightforward floating-point reference (benches/support/reference.rs), measured in the same
//! run. Targets (issue 4): ≤ 1.5 ms, and ≥ 5× faster than the reference.

#[path = "support/reference.rs"]
mod reference;

use criterion::{criterion_group, criterion_main, Criterion};
use idn_capture::{
    CheckKind, DocumentPage, Guidance, GuidanceThresholds, SpecimenIdentity, SyntheticConfig,
    SyntheticDocumentSource,
};
use std::hint::black_box;
use std::time::{Duration, Instant};

fn guidance_checks(c: &mut Criterion) {
    let page = DocumentPage::CniFront;
    let config = SyntheticConfig {
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let frame = SyntheticDocumentSource::new(page, &SpecimenIdentity::example(), config)
        .expect("a non-empty picture size")
        .frame_at(0);
    let thresholds = GuidanceThresholds::default();
    let mut guidance = Guidance::new(page.format());

    let mut group = c.benchmark_group("guidance_1280x720");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("integer", |b| b.iter(|| guidance.assess(black_box(&frame))));
    group.bench_function("float_reference", |b| {
        b.iter(|| reference::assess(black_box(&frame), page.format(), &thresholds))
    });
    group.finish();

    // The ratio, from timings taken side by side in this run (best of 5 batches each).
    let time = |f: &mut dyn FnMut(), iterations: u32| {
        (0..5)
            .map(|_| {
                let started = Instant::now();
                for _ in 0..iterations {
                    f();
                }
                started.elapsed() / iterations
            })
            .min()
            .unwrap_or_default()
    };
    let fast = time(
        &mut || {
            black_box(guidance.assess(black_box(&frame)));
        },
        200,
    );
    let slow = time(
        &mut || {
            black_box(reference::assess(black_box(&frame), page.format(), &thresholds));
        },
        20,
    );
    // Both must say the same thing, or the comparison means nothing.
    let fast_report = guidance.assess(&frame);
    let slow_report = reference::assess(&frame, page.format(), &thresholds);
    let agree = CheckKind::ALL
        .iter()
        .all(|&kind| fast_report.check(kind).verdict == slow_report.get(kind).1);
    assert!(agree, "integer and float verdicts differ");
    let ratio = slow.as_secs_f64() / fast.as_secs_f64();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "guidance checks on 1280×720: integer {:.3} ms, float reference {:.3} ms, {ratio:.1}× faster; \
         target ≤ 1.5 ms: {}, ≥ 5×: {}",
        fast.as_secs_f64() * 1e3,
        slow.as_secs_f64() * 1e3,
        verdict(fast <= Duration::from_micros(1500)),
        verdict(ratio >= 5.0),
    );
}

criterion_group!(benches, guidance_checks);
criterion_main!(benches);
