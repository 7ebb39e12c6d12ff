//! The spoken-digit video as other programs see it: `idn capture video` writes an MP4 that
//! ffprobe describes as H.264 + Opus and that Chromium's `<video>` loads and decodes.

use idn_e2e::idn_binary;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn capture_video(out: &Path, extra: &[&str]) -> Value {
    let output = Command::new(idn_binary())
        .args(["capture", "video", "--chiffres", "472", "--json", "--out"])
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn tool(name: &str) -> Command {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|output| output.status.success());
    assert!(
        found,
        "{name} is missing: run scripts/setup-debian.sh (the README's test command does)"
    );
    Command::new(name)
}

#[test]
fn the_recorded_video_passes_ffprobe_as_h264_and_opus() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("video.mp4");
    let report = capture_video(&clip, &[]);
    assert_eq!(report["all_checks_passed"], true, "{report:#}");
    assert_eq!(report["utterances"], 3);
    let output = tool("ffprobe")
        .args(["-v", "error", "-show_streams", "-show_format", "-of", "json"])
        .arg(&clip)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let probe: Value = serde_json::from_slice(&output.stdout).unwrap();
    let streams = probe["streams"].as_array().unwrap();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .expect("a video stream");
    let audio = streams
        .iter()
        .find(|s| s["codec_type"] == "audio")
        .expect("a sound stream");
    assert_eq!(video["codec_name"], "h264");
    assert_eq!(
        (video["width"].as_u64(), video["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert_eq!(video["r_frame_rate"], "30/1");
    assert_eq!(audio["codec_name"], "opus");
    assert_eq!(audio["sample_rate"], "48000");
    let duration: f64 = probe["format"]["duration"].as_str().unwrap().parse().unwrap();
    assert!((duration - 6.0).abs() < 0.1, "duration {duration}");
    assert!(
        probe["format"]["format_name"].as_str().unwrap().contains("mp4"),
        "{probe:#}"
    );
}

#[test]
fn chromium_loads_and_decodes_the_video_with_its_sound_track() {
    let dir = tempfile::tempdir().unwrap();
    capture_video(&dir.path().join("clip.mp4"), &[]);
    let page = dir.path().join("index.html");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/fixtures/video-playback.html"),
        &page,
    )
    .unwrap();
    let output = tool("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-blink-features=AudioVideoTracks",
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let result = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_default()
        .replace("&quot;", "\"");
    let result: Value = serde_json::from_str(&result).unwrap_or_else(|_| panic!("page result: {dom}"));
    assert_eq!(result["state"], "decoded", "{result}");
    assert_eq!(
        (result["width"].as_u64(), result["height"].as_u64()),
        (Some(1280), Some(720))
    );
    assert_eq!(result["audioTracks"], 1, "Chromium sees the Opus track");
    assert_eq!(result["videoTracks"], 1);
    assert!(
        result["meanLevel"].as_f64().unwrap() > 60.0,
        "a decoded picture, not black: {result}"
    );
}

#[test]
fn a_degraded_video_reports_what_the_person_must_change() {
    let dir = tempfile::tempdir().unwrap();
    let report = capture_video(&dir.path().join("v.mp4"), &["--degrade", "silence"]);
    assert_eq!(report["all_checks_passed"], false);
    let failed: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|check| check["passed"] == false)
        .map(|check| check["hint"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["no_sound", "voice_too_quiet", "utterance_count"]);
    let first = &report["checks"].as_array().unwrap()[2];
    assert_eq!(
        first["hint_fr"],
        "Aucun son enregistré : vérifiez que le micro est branché et autorisé"
    );
    // The same checks are made again on a file, as the world does on an upload.
    let again = Command::new(idn_binary())
        .args(["capture", "video", "--json", "--source"])
        .arg(dir.path().join("v.mp4"))
        .arg("--out")
        .arg(dir.path().join("copy.mp4"))
        .output()
        .unwrap();
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["utterances"], 0);
    assert_eq!(again["all_checks_passed"], false);
}
