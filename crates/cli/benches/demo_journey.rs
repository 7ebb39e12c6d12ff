//! The full headless journey (account → approved login) with the manual clock, in-process
//! world over loopback HTTP, SQLite on disk. Baseline in the same run: one world status call,
//! so the printed ratio says how many HTTP round trips' worth the journey costs.

use criterion::{criterion_group, criterion_main, Criterion};
use idn_cli::demo::{self, DemoMode, DemoOptions, Silent};
use idn_device::MemoryVault;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn full_journey(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let run_once = || {
        let dir = tempfile::tempdir().expect("temp dir");
        let options = DemoOptions {
            data_dir: dir.path().to_owned(),
            mode: DemoMode::FaceAFace,
            seed: Some(7),
            refuse_first: None,
            degraded_photos: Vec::new(),
            degraded_video: Vec::new(),
            media: Default::default(),
            vault: Arc::new(MemoryVault::default()),
        };
        runtime
            .block_on(demo::run(options, &mut Silent))
            .expect("demo succeeds");
    };
    let mut group = c.benchmark_group("journey");
    group.sample_size(10).measurement_time(Duration::from_secs(20));
    group.bench_function("demo_face_to_face_full", |b| b.iter(run_once));
    group.finish();

    // Ratio against a baseline measured in this run: an empty world's start + one status call.
    let baseline = {
        let started = Instant::now();
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("temp dir");
            runtime.block_on(async {
                let world = idn_world::RunningWorld::start(idn_world::WorldConfig {
                    data_dir: dir.path().to_owned(),
                    listen: "127.0.0.1:0".parse().unwrap(),
                    seed: Some(1),
                })
                .await
                .expect("world");
                idn_device::WorldClient::new(world.base_url())
                    .status()
                    .await
                    .expect("status");
                world.stop().await;
            });
        }
        started.elapsed() / 5
    };
    let journey = {
        let started = Instant::now();
        for _ in 0..5 {
            run_once();
        }
        started.elapsed() / 5
    };
    println!(
        "full journey {:.1} ms; baseline (world start + 1 call) {:.1} ms; ratio {:.1}×; target < 1000 ms: {}",
        journey.as_secs_f64() * 1000.0,
        baseline.as_secs_f64() * 1000.0,
        journey.as_secs_f64() / baseline.as_secs_f64(),
        if journey < Duration::from_secs(1) {
            "met"
        } else {
            "MISSED"
        }
    );
}

criterion_group!(benches, full_journey);
criterion_main!(benches);
