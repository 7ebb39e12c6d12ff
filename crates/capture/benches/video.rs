//! Recording the 10-second 1280×720 30 fps spoken-digit clip with its sound (synthetic scene
//! with sensor grain and the French voice): openh264 + Opus + MP4, what the app does, against
//! ffmpeg's x264 (`-preset veryfast`, same bitrate, same YUV frames, one thread) measured in the
//! same run. Reports time, file size, Y-PSNR against the source frames (both files decoded by
//! ffmpeg), and the peak resident memory of a process that records the clip.
//!
//! Run on one core: `taskset -c 0 cargo bench -p idn-capture --bench video` (ffmpeg from Debian,
//! installed by scripts/setup-debian.sh). Targets (issue 4): ≤ 2 s, ≤ 4 MB, Y-PSNR ≥ 40 dB,
//! peak memory ≤ 200 MB.

use criterion::Criterion;
use idn_capture::{
    record_video, Frame, Recording, SceneConfig, SpecimenIdentity, Speech, SpokenDigits, SyntheticFaceScene,
    SyntheticVoice, VideoSettings,
};
use openh264::formats::{RgbSliceU8, YUVBuffer, YUVSource};
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const FPS: u32 = 30;
const SECONDS: u64 = 10;
const FRAMES: u64 = SECONDS * FPS as u64;
const MEMORY_PROBE: &str = "IDN_VIDEO_BENCH_MEMORY_PROBE";

fn sources() -> (SyntheticFaceScene, SyntheticVoice) {
    let digits: SpokenDigits = "472".parse().expect("digits");
    let voice = SyntheticVoice::new(digits, Speech::Clear, 11);
    let config = SceneConfig {
        width: WIDTH,
        height: HEIGHT,
        frame_rate: FPS,
        seed: 11,
        ..SceneConfig::default()
    };
    let scene = SyntheticFaceScene::new(&SpecimenIdentity::example(), config, voice.spoken_intervals())
        .expect("scene");
    (scene, voice)
}

fn record_clip() -> Recording {
    let (mut scene, mut voice) = sources();
    record_video(
        &mut scene,
        &mut voice,
        Duration::from_secs(SECONDS),
        VideoSettings::default(),
    )
    .expect("records")
}

/// The YUV 4:2:0 the encoder is given for frame `frame` (openh264's own conversion).
fn yuv_of(frame: &Frame) -> YUVBuffer {
    YUVBuffer::from_rgb8_source(RgbSliceU8::new(
        frame.pixels(),
        (frame.width() as usize, frame.height() as usize),
    ))
}

fn planar(yuv: &YUVBuffer) -> Vec<u8> {
    let mut out = Vec::with_capacity(yuv.y().len() + yuv.u().len() + yuv.v().len());
    out.extend_from_slice(yuv.y());
    out.extend_from_slice(yuv.u());
    out.extend_from_slice(yuv.v());
    out
}

/// x264 veryfast on the very YUV frames openh264 receives, one thread, video only.
fn encode_with_x264(scene: &SyntheticFaceScene, bitrate: u32) -> Vec<u8> {
    let out = tempfile::NamedTempFile::with_suffix(".mp4").expect("temp file");
    let mut ffmpeg = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
        ])
        .args([
            "-s",
            &format!("{WIDTH}x{HEIGHT}"),
            "-r",
            &FPS.to_string(),
            "-i",
            "-",
        ])
        .args([
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-threads", "1",
        ])
        .args(["-b:v", &bitrate.to_string(), "-f", "mp4"])
        .arg(out.path())
        .stdin(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs (install it with scripts/setup-debian.sh)");
    let mut stdin = ffmpeg.stdin.take().expect("stdin");
    for index in 0..FRAMES {
        stdin
            .write_all(&planar(&yuv_of(&scene.frame_at(index))))
            .expect("feeds ffmpeg");
    }
    drop(stdin);
    assert!(ffmpeg.wait().expect("ffmpeg").success(), "x264 encoding failed");
    std::fs::read(out.path()).expect("x264 output")
}

/// Y-PSNR of a file against the source frames: ffmpeg decodes it to raw YUV 4:2:0.
fn y_psnr(scene: &SyntheticFaceScene, mp4: &[u8]) -> f64 {
    let file = tempfile::NamedTempFile::with_suffix(".mp4").expect("temp file");
    std::fs::write(file.path(), mp4).expect("writes");
    let mut decoder = Command::new("ffmpeg")
        .args(["-loglevel", "error", "-i"])
        .arg(file.path())
        .args(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("ffmpeg decodes");
    let mut stdout = decoder.stdout.take().expect("stdout");
    let luma = (WIDTH * HEIGHT) as usize;
    let mut decoded = vec![0u8; luma * 3 / 2];
    let (mut squared, mut samples) = (0u64, 0u64);
    for index in 0..FRAMES {
        stdout
            .read_exact(&mut decoded)
            .expect("a decoded frame per source frame");
        let source = yuv_of(&scene.frame_at(index));
        for (&a, &b) in source.y().iter().zip(&decoded[..luma]) {
            let d = u64::from(a.abs_diff(b));
            squared += d * d;
        }
        samples += luma as u64;
    }
    drop(stdout);
    let _ = decoder.wait();
    let mse = squared as f64 / samples as f64;
    10.0 * (255.0 * 255.0 / mse.max(1e-9)).log10()
}

/// Peak resident memory of this process so far, from the kernel (kB); `None` if the kernel's
/// figure cannot be read.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let value = status.lines().find_map(|line| line.strip_prefix("VmHWM:"))?;
    value.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// Runs in a fresh process: records the clip once and prints peak memory before and after;
/// exits with a failure, saying why, when the kernel's figure cannot be read.
fn memory_probe() {
    let before = peak_rss_kb();
    let recording = record_clip();
    let after = peak_rss_kb();
    match (before, after) {
        (Some(before), Some(after)) => println!("{before} {after} {}", recording.clip.mp4.len()),
        _ => {
            eprintln!("VmHWM is not readable in /proc/self/status");
            std::process::exit(1);
        }
    }
}

/// Peak resident memory (kB) of a fresh process before and after it records the clip. A probe
/// that fails or prints anything but its three numbers is an error saying why: never a figure.
fn measure_memory() -> Result<(u64, u64), String> {
    let output = Command::new(std::env::current_exe().map_err(|error| format!("no bench binary: {error}"))?)
        .env(MEMORY_PROBE, "1")
        .output()
        .map_err(|error| format!("the probe did not start: {error}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_lines: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(format!(
            "the probe failed ({}): {}",
            output.status,
            last_lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let numbers: Result<Vec<u64>, _> = last.split_whitespace().map(str::parse).collect();
    match numbers.as_deref() {
        Ok(&[before, peak, mp4_bytes]) if 0 < before && before <= peak && mp4_bytes > 0 => Ok((before, peak)),
        _ => Err(format!(
            "the probe printed {last:?}, not \"<kB before> <kB peak> <MP4 bytes>\""
        )),
    }
}

fn best_of_3(mut f: impl FnMut()) -> Duration {
    (0..3)
        .map(|_| {
            let started = Instant::now();
            f();
            started.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    if std::env::var_os(MEMORY_PROBE).is_some() {
        memory_probe();
        return;
    }
    let bitrate = VideoSettings::default().video_bitrate;
    let (scene, _) = sources();

    let mut criterion = Criterion::default().configure_from_args().sample_size(10);
    let mut group = criterion.benchmark_group("video_10s_1280x720_30fps");
    group.measurement_time(Duration::from_secs(25));
    group.bench_function("openh264_opus_mp4", |b| b.iter(record_clip));
    group.bench_function("ffmpeg_x264_veryfast", |b| {
        b.iter(|| encode_with_x264(&scene, bitrate))
    });
    group.finish();

    let ours_time = best_of_3(|| drop(record_clip()));
    let frames_time = best_of_3(|| {
        for index in 0..FRAMES {
            std::hint::black_box(scene.frame_at(index));
        }
    });
    let x264_time = best_of_3(|| drop(encode_with_x264(&scene, bitrate)));
    let ours = record_clip();
    let x264 = encode_with_x264(&scene, bitrate);
    let ours_psnr = y_psnr(&scene, &ours.clip.mp4);
    let x264_psnr = y_psnr(&scene, &x264);
    let memory = measure_memory();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let megabytes = |bytes: usize| bytes as f64 / 1e6;
    let (memory_figure, memory_verdict) = match &memory {
        Ok((before, peak)) => (
            format!(
                "{:.0} MB (before recording {:.0} MB)",
                *peak as f64 / 1024.0,
                *before as f64 / 1024.0
            ),
            verdict(*peak <= 200 * 1024),
        ),
        Err(why) => (format!("NOT MEASURED: {why}"), "NOT MEASURED"),
    };
    println!(
        "10 s 1280×720 30 fps clip at {} kbit/s: openh264+Opus+MP4 {:.2} s ({:.1}× real time), \
         {:.2} MB, Y-PSNR {:.2} dB; ffmpeg x264 veryfast (video only) {:.2} s, {:.2} MB, Y-PSNR {:.2} dB; \
         time ratio ours/x264 {:.2}; drawing the 300 synthetic frames alone {:.2} s; peak RSS of a recording process {}",
        bitrate / 1000,
        ours_time.as_secs_f64(),
        SECONDS as f64 / ours_time.as_secs_f64(),
        megabytes(ours.clip.mp4.len()),
        ours_psnr,
        x264_time.as_secs_f64(),
        megabytes(x264.len()),
        x264_psnr,
        ours_time.as_secs_f64() / x264_time.as_secs_f64(),
        frames_time.as_secs_f64(),
        memory_figure,
    );
    println!(
        "targets: ≤ 2 s: {}, ≤ 4 MB: {}, Y-PSNR ≥ 40 dB: {}, peak memory ≤ 200 MB: {}",
        verdict(ours_time <= Duration::from_secs(2)),
        verdict(ours.clip.mp4.len() <= 4_000_000),
        verdict(ours_psnr >= 40.0),
        memory_verdict,
    );
    criterion.final_summary();
    if let Err(why) = memory {
        // A figure the run could not take is a failed run, not a met target.
        eprintln!("video bench: peak memory not measured: {why}");
        std::process::exit(1);
    }
}
