//! The full headless journey (account → approved login) with the manual clock, in-process
//! world over loopback HTTP, SQLite on disk. Baseline in the same run: one world status call,
//! so the printed ratio says how many HTTP round trips' worth the journey costs.

use criterion::{criterion_group, criterion_main, Criterion};
use idn_device::MemoryVault;
use idn_scenario::scenario::{self, Afterwards, ApplyOptions, Phones, Verification, Walkthrough};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn full_journey(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // What `idn demo --mode face-a-face --seed 7 --vault memoire` does, without printing.
    let run_once = || {
        let dir = tempfile::tempdir().expect("temp dir");
        runtime.block_on(async {
            let served = idn_scenario::embedded_world(&dir.path().join("world"), 7)
                .await
                .expect("world");
            let client = idn_device::WorldClient::new(served.world.base_url());
            let journey = scenario::whole_journey(Verification::FaceToFace, 7, None);
            let options = ApplyOptions {
                devices_dir: dir.path().join("telephones"),
                vault: Arc::new(MemoryVault::default()),
                identity_phone: None,
            };
            let mut unobserved = |_| {};
            let mut walkthrough = Walkthrough::plain(&mut unobserved);
            walkthrough.afterwards = Afterwards::ApprovedLogin;
            walkthrough.phones = Phones::Discarded;
            scenario::apply_walkthrough(&client, &journey, &options, Some(&served.engine), walkthrough)
                .await
                .expect("demo succeeds");
            served.world.stop().await;
        });
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
