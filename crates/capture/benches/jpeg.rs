//! JPEG encoding of a 1920×1080 document still at quality 85: libjpeg-turbo (the `turbojpeg`
//! crate, what the app uses) against the `image` crate's pure-Rust encoder, measured in the same
//! run, with each output's size and PSNR against the source. Targets (issue 4): ≤ 6 ms and
//! ≥ 7× faster than `image`.

use criterion::{criterion_group, criterion_main, Criterion};
use idn_capture::{
    DocumentPage, Frame, JpegQuality, SpecimenIdentity, StillEncoder, SyntheticConfig,
    SyntheticDocumentSource,
};
use image::codecs::jpeg::JpegEncoder;
use std::hint::black_box;
use std::time::{Duration, Instant};

fn encode_with_image(frame: &Frame) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JpegQuality::DOCUMENT.get())
        .encode(
            frame.pixels(),
            frame.width(),
            frame.height(),
            image::ExtendedColorType::Rgb8,
        )
        .expect("image encodes");
    out
}

fn psnr(source: &Frame, jpeg: &[u8]) -> f64 {
    let decoded = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg)
        .expect("decodes")
        .into_rgb8();
    let (w, h) = decoded.dimensions();
    let decoded = Frame::new(w, h, decoded.into_raw(), Duration::ZERO).expect("frame");
    source.psnr(&decoded).expect("same size")
}

fn jpeg_1080p(c: &mut Criterion) {
    let config = SyntheticConfig {
        width: 1920,
        height: 1080,
        settle_frames: 0,
        ..SyntheticConfig::default()
    };
    let identity = SpecimenIdentity::example();
    let frame = SyntheticDocumentSource::new(DocumentPage::CniFront, &identity, config)
        .expect("a non-empty picture size")
        .frame_at(0);
    let mut turbo = StillEncoder::new(JpegQuality::DOCUMENT).expect("encoder");

    let mut group = c.benchmark_group("jpeg_1920x1080_q85");
    group.bench_function("turbojpeg", |b| {
        b.iter(|| turbo.encode(black_box(&frame)).expect("encodes"))
    });
    group.sample_size(10).measurement_time(Duration::from_secs(8));
    group.bench_function("image", |b| b.iter(|| encode_with_image(black_box(&frame))));
    group.finish();

    let time = |f: &mut dyn FnMut(), iterations: u32| {
        (0..3)
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
        &mut || drop(black_box(turbo.encode(&frame).expect("encodes"))),
        50,
    );
    let slow = time(
        &mut || {
            black_box(encode_with_image(&frame));
        },
        5,
    );
    let turbo_out = turbo.encode(&frame).expect("encodes");
    let image_out = encode_with_image(&frame);
    let ratio = slow.as_secs_f64() / fast.as_secs_f64();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "JPEG 1920×1080 q85: turbojpeg {:.2} ms, {} kB, PSNR {:.2} dB; image {:.2} ms, {} kB, \
         PSNR {:.2} dB; {ratio:.1}× faster; target ≤ 6 ms: {}, ≥ 7×: {}",
        fast.as_secs_f64() * 1e3,
        turbo_out.len() / 1000,
        psnr(&frame, &turbo_out),
        slow.as_secs_f64() * 1e3,
        image_out.len() / 1000,
        psnr(&frame, &image_out),
        verdict(fast <= Duration::from_millis(6)),
        verdict(ratio >= 7.0),
    );
}

criterion_group!(benches, jpeg_1080p);
criterion_main!(benches);
