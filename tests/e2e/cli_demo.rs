//! `idn demo` as a tester runs it: a real process, real SQLite on disk, HTTP on loopback.

use idn_e2e::idn_binary;
use serde_json::Value;
use std::process::Command;

fn demo(args: &[&str]) -> (i32, Vec<Value>) {
    demo_command(Command::new(idn_binary()).args(["demo", "--json"]).args(args))
}

/// A demo whose temporary files go under `temporary_root` (its TMPDIR), to see what it leaves.
fn demo_in(args: &[&str], temporary_root: &std::path::Path) -> (i32, Vec<Value>) {
    demo_command(
        Command::new(idn_binary())
            .args(["demo", "--json"])
            .args(args)
            .env("TMPDIR", temporary_root),
    )
}

fn demo_command(command: &mut Command) -> (i32, Vec<Value>) {
    let output = command.output().expect("idn runs");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    let lines = stdout
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|error| panic!("line is not JSON ({error}): {line}"))
        })
        .collect();
    (output.status.code().unwrap_or(-1), lines)
}

fn assert_every_step_ok(code: i32, lines: &[Value], expected_steps: &[&str]) {
    assert_eq!(code, 0, "demo must exit 0: {lines:#?}");
    let steps: Vec<&str> = lines.iter().filter_map(|line| line["step"].as_str()).collect();
    assert_eq!(steps, expected_steps, "every step of the journey, in order");
    assert!(
        lines
            .iter()
            .filter(|line| line.get("step").is_some())
            .all(|line| line["ok"] == true),
        "every step succeeded: {lines:#?}"
    );
    let summary = lines.last().expect("summary line");
    assert_eq!(summary["ok"], true);
    let secret = summary["secret_code"]
        .as_str()
        .expect("secret code printed for testers");
    assert!(
        secret.len() == 4 && secret.chars().collect::<std::collections::HashSet<_>>().len() == 4,
        "4 different digits: {secret}"
    );
}

const ACCOUNT_AND_IDENTITY: [&str; 8] = [
    "world_started",
    "account_created",
    "email_confirmed",
    "password_chosen",
    "profile_completed",
    "mobile_confirmed",
    "identity_entered",
    "identity_confirmed",
];
const ACTIVATION_AND_LOGIN: [&str; 4] = [
    "activation_code_received",
    "device_activated",
    "login_requested",
    "login_approved",
];

#[test]
fn demo_face_to_face_goes_from_nothing_to_an_approved_login() {
    let (code, lines) = demo(&["--vault", "memoire", "--seed", "11"]);
    let expected: Vec<&str> = ACCOUNT_AND_IDENTITY
        .iter()
        .chain(&["face_to_face_chosen", "clerk_validated"])
        .chain(&ACTIVATION_AND_LOGIN)
        .copied()
        .collect();
    assert_every_step_ok(code, &lines, &expected);
}

#[test]
fn demo_by_post_waits_four_simulated_weeks() {
    let (code, lines) = demo(&["--vault", "memoire", "--seed", "12", "--mode", "courrier"]);
    let expected: Vec<&str> = ACCOUNT_AND_IDENTITY
        .iter()
        .chain(&["post_chosen", "letter_delivered", "clerk_validated"])
        .chain(&ACTIVATION_AND_LOGIN)
        .copied()
        .collect();
    assert_every_step_ok(code, &lines, &expected);
}

#[test]
fn demo_is_reproducible_with_a_seed() {
    let codes = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .filter_map(|line| line["details"].as_object())
            .flat_map(|details| {
                ["email_code", "sms_code", "face_to_face_code", "activation_code"]
                    .into_iter()
                    .filter_map(|key| details.get(key)?.as_str().map(str::to_owned))
            })
            .collect()
    };
    let (_, first) = demo(&["--vault", "memoire", "--seed", "99"]);
    let (_, second) = demo(&["--vault", "memoire", "--seed", "99"]);
    assert_eq!(codes(&first).len(), 4, "four codes in a face-to-face journey");
    assert_eq!(codes(&first), codes(&second), "same seed, same codes");
}

#[test]
fn demo_online_with_files_is_refused_once_then_accepted() {
    let dir = tempfile::tempdir().unwrap();
    // Photos taken by `idn capture document` and a video recorded by `idn capture video`, as
    // files chosen from the "Photothèque".
    let front = dir.path().join("recto.jpg");
    let back = dir.path().join("verso.jpg");
    let video = dir.path().join("video.mp4");
    for (page, path) in [("cni-recto", &front), ("cni-verso", &back)] {
        let status = Command::new(idn_binary())
            .args(["capture", "document", "--page", page, "--out"])
            .arg(path)
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "idn capture document {page}");
    }
    let status = Command::new(idn_binary())
        .args(["capture", "video", "--chiffres", "123", "--out"])
        .arg(&video)
        .output()
        .unwrap()
        .status;
    assert!(status.success(), "idn capture video");
    let (code, lines) = demo(&[
        "--vault",
        "memoire",
        "--seed",
        "5",
        "--mode",
        "en-ligne",
        "--refus-au-premier-essai",
        "reflet",
        "--photo-recto",
        front.to_str().unwrap(),
        "--photo-verso",
        back.to_str().unwrap(),
        "--video",
        video.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{lines:#?}");
    let reviews: Vec<&Value> = lines
        .iter()
        .filter(|line| line["step"] == "review_done")
        .collect();
    assert_eq!(reviews.len(), 2, "refused, redone, accepted");
    assert_eq!(
        reviews[0]["details"]["refusal_reason"],
        "reflet sur la pièce d'identité"
    );
    assert_eq!(reviews[1]["details"]["step"], "activation");
}

/// The OS keyring this session offers; `None` (the test skips) only when IDN_REQUIRE_KEYRING is
/// not set.
fn os_keyring() -> Option<idn_device::KeyringVault> {
    match idn_device::KeyringVault::open() {
        Ok(vault) => Some(vault),
        Err(error) => {
            assert!(
                std::env::var_os("IDN_REQUIRE_KEYRING").is_none(),
                "IDN_REQUIRE_KEYRING is set but the keyring is unavailable: {error}"
            );
            eprintln!("skipped: no OS keyring in this session ({error}); CI runs this under a D-Bus session with GNOME Keyring");
            None
        }
    }
}

#[test]
fn demo_with_the_os_keyring() {
    // Which store this session offers (the Secret Service under scripts/test.sh, which
    // crates/device's vault test proves when IDN_REQUIRE_KEYRING is set).
    let Some(vault) = os_keyring() else {
        return;
    };
    let (code, lines) = demo(&["--vault", "keyring", "--seed", "13"]);
    assert_eq!(code, 0, "{lines:#?}");
    let activated = lines
        .iter()
        .find(|line| line["step"] == "device_activated")
        .expect("activation step");
    assert_eq!(
        activated["details"]["vault"],
        idn_device::Vault::describe(&vault),
        "the device key went to the OS keyring store this session offers"
    );
}

/// The keyring entry `crates/device` keeps a device's signing key under (service
/// `idn_device::KEYRING_SERVICE`; the name is `signing_key_name` in crates/device/src/device.rs).
fn device_key_name(device_id: &str) -> String {
    format!("device-signing-key/{device_id}")
}

#[test]
fn a_demo_leaves_no_device_key_in_the_os_keyring() {
    let Some(vault) = os_keyring() else {
        return;
    };
    let (code, lines) = demo(&["--vault", "keyring", "--seed", "14"]);
    assert_eq!(code, 0, "{lines:#?}");
    let device_id = lines
        .iter()
        .find(|line| line["step"] == "device_activated")
        .and_then(|line| line["details"]["device_id"].as_str())
        .expect("the activation names the device")
        .to_owned();
    assert_eq!(
        idn_device::Vault::get(&vault, &device_key_name(&device_id)).unwrap(),
        None,
        "the demo's throw-away phone took its signing key out of {} when it ended",
        idn_device::Vault::describe(&vault)
    );
}

/// Without `--data-dir` the demo's phone is thrown away; with it, the world and the phone are
/// kept where the README says, and the phone goes on approving logins with `idn device`.
#[test]
fn a_demo_keeps_its_world_and_phone_only_in_the_folder_it_is_given() {
    let phone_profiles = |root: &std::path::Path| {
        let mut found = Vec::new();
        let mut folders = vec![root.to_owned()];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.file_name().is_some_and(|name| name == "device.json") {
                    found.push(path);
                }
            }
        }
        found
    };
    let temporary_root = tempfile::tempdir().unwrap();
    let (code, lines) = demo_in(&["--vault", "memoire", "--seed", "15"], temporary_root.path());
    assert_eq!(code, 0, "{lines:#?}");
    assert!(
        phone_profiles(temporary_root.path()).is_empty(),
        "a demo without --data-dir leaves no phone profile behind"
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, lines) = demo(&[
        "--vault",
        "memoire",
        "--seed",
        "15",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{lines:#?}");
    assert!(
        dir.path().join("world").is_dir(),
        "the world's data is kept in --data-dir"
    );
    assert_eq!(
        phone_profiles(dir.path()),
        vec![dir.path().join("device").join("device.json")],
        "the demo's phone is kept in DIR/device, and only it"
    );
}

/// `idn --world URL demo` plays against that world (a class's), on the learner's own clock:
/// two demos in a row each enrol a learner of their own there.
#[tokio::test(flavor = "multi_thread")]
async fn a_demo_plays_against_the_world_it_is_given() {
    let world = idn_e2e::spawn_world(16).await;
    let url = world.running.base_url();
    // A class's world answers only its trainer for the clerk's desk and the relying party's
    // login request: the demo gets the trainer's API token, as `idn staff token create` prints it.
    let trainer = idn_e2e::trainer_of(&world.running).await;
    let token = trainer
        .credential()
        .expect("the trainer's token")
        .expose()
        .to_owned();
    let mut learners = Vec::new();
    for _ in 0..2 {
        let output = Command::new(idn_binary())
            .env("IDN_TOKEN", &token)
            .args([
                "--world", &url, "demo", "--json", "--vault", "memoire", "--seed", "16",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let lines: Vec<Value> = stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(output.status.code(), Some(0), "{lines:#?}");
        let first = &lines[0];
        assert_eq!(first["step"], "world_reached", "no world of its own: {first}");
        assert_eq!(first["details"]["world_url"], url.as_str());
        assert!(
            lines.iter().any(|line| line["step"] == "login_approved"),
            "{lines:#?}"
        );
        let summary = lines.last().unwrap();
        learners.push(summary["learner_id"].as_str().unwrap().to_owned());
    }
    assert_ne!(learners[0], learners[1], "a learner each");
    for learner in &learners {
        let view = trainer.learner(learner).await.unwrap();
        assert_eq!(
            view.step.code(),
            "enrolled",
            "the given world holds the demo's learner, enrolled"
        );
    }
    world.running.stop().await;
}

#[test]
fn demo_online_with_only_one_photo_explains_what_is_missing() {
    let (code, lines) = demo(&[
        "--vault",
        "memoire",
        "--mode",
        "en-ligne",
        "--photo-recto",
        "recto.jpg",
    ]);
    assert_ne!(code, 0, "{lines:#?}");
    let message = lines
        .last()
        .and_then(|line| line["message"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.contains("--photo-verso"),
        "the French message names the missing file: {message}"
    );
}

#[test]
fn demo_online_records_photos_and_video_with_the_synthetic_camera_and_voice() {
    let (code, lines) = demo(&["--vault", "memoire", "--seed", "6", "--mode", "en-ligne"]);
    assert_eq!(code, 0, "{lines:#?}");
    let submitted = lines
        .iter()
        .find(|line| line["step"] == "identification_submitted")
        .expect("a submission");
    let digits = submitted["details"]["spoken_digits"].as_str().unwrap();
    assert_eq!(digits.len(), 3, "the world chose the digits to say");
    assert_eq!(
        submitted["details"]["video_checks"],
        serde_json::json!([]),
        "the device's checks all passed"
    );
    let review = lines
        .iter()
        .find(|line| line["step"] == "review_done")
        .expect("a review");
    assert_eq!(
        review["details"]["step"], "activation",
        "synthetic photos and video pass and are accepted"
    );
}

#[test]
fn an_inaudible_video_is_refused_with_the_reason_a_reviewer_gives_then_redone() {
    for fault in ["silence", "chuchote", "trop-court"] {
        let (code, lines) = demo(&[
            "--vault",
            "memoire",
            "--seed",
            "9",
            "--mode",
            "en-ligne",
            "--video-degradee",
            fault,
        ]);
        assert_eq!(code, 0, "{fault}: {lines:#?}");
        let submissions: Vec<&Value> = lines
            .iter()
            .filter(|line| line["step"] == "identification_submitted")
            .collect();
        assert_ne!(
            submissions[0]["details"]["video_checks"],
            serde_json::json!([]),
            "{fault}: the device warned before sending"
        );
        let reviews: Vec<&Value> = lines
            .iter()
            .filter(|line| line["step"] == "review_done")
            .collect();
        assert_eq!(reviews.len(), 2, "{fault}: refused, recorded again, accepted");
        assert_eq!(
            reviews[0]["details"]["refusal_reason"], "chiffres inaudibles ou erronés",
            "{fault}"
        );
        assert_eq!(reviews[1]["details"]["step"], "activation");
    }
}

#[test]
fn capture_document_reports_the_guidance_of_a_degraded_photo() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verso.jpg");
    let output = Command::new(idn_binary())
        .args([
            "capture",
            "document",
            "--page",
            "cni-verso",
            "--degrade",
            "reflet",
            "--json",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["trigger"], "manuelle",
        "auto-capture never fires on a glaring document"
    );
    let glare = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|check| check["check"] == "glare")
        .unwrap();
    assert_eq!(glare["hint_fr"], "Reflet détecté : inclinez légèrement la pièce");
    assert!(
        std::fs::read(&out).unwrap().starts_with(&[0xFF, 0xD8, 0xFF]),
        "a JPEG was written"
    );
}

#[test]
fn a_glaring_photo_is_refused_with_the_reason_a_reviewer_gives_then_retaken() {
    for (degradation, reason) in [
        ("reflet", "reflet sur la pièce d'identité"),
        ("flou", "image floue"),
        ("etui", "pièce d'identité dans un étui ou une pochette"),
    ] {
        let (code, lines) = demo(&[
            "--vault",
            "memoire",
            "--seed",
            "8",
            "--mode",
            "en-ligne",
            "--photo-degradee",
            degradation,
        ]);
        assert_eq!(code, 0, "{lines:#?}");
        let reviews: Vec<&Value> = lines
            .iter()
            .filter(|line| line["step"] == "review_done")
            .collect();
        assert_eq!(reviews.len(), 2, "{degradation}: refused, retaken, accepted");
        assert_eq!(reviews[0]["details"]["refusal_reason"], reason, "{degradation}");
        assert_eq!(reviews[1]["details"]["step"], "activation");
    }
}

#[test]
fn a_missing_camera_is_explained_not_a_crash() {
    if !idn_capture::list_cameras().is_empty() {
        eprintln!("skipped: this machine has a camera, so the no-camera path cannot be shown");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(idn_binary())
        .args(["capture", "document", "--source", "camera", "--json", "--out"])
        .arg(dir.path().join("photo.jpg"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "a refusal, not a failure of the tool"
    );
    let error: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(error["code"], "no_camera");
    assert!(
        error["message"].as_str().unwrap().contains("Photothèque"),
        "the person is told what to do instead"
    );
}

#[test]
fn capture_devices_lists_nothing_here_explains_why_and_refuses_to_remember_an_absent_camera() {
    let dir = tempfile::tempdir().unwrap();
    let choice = dir.path().join("devices.json");
    let run = |args: &[&str]| {
        Command::new(idn_binary())
            .args(["capture", "devices", "--json"])
            .args(args)
            .env("IDN_DEVICES_FILE", &choice)
            .output()
            .unwrap()
    };
    let listed = run(&[]);
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let devices: Value = serde_json::from_slice(&listed.stdout).unwrap();
    if devices["cameras"].as_array().unwrap().is_empty() {
        let advice = devices["advice"].to_string();
        assert!(
            advice.contains("Photothèque"),
            "the person is told what to do: {advice}"
        );
        assert_eq!(devices["camera_in_use"], Value::Null);
        let refused = run(&["--camera", "Webcam absente"]);
        assert!(!refused.status.success());
        let said =
            String::from_utf8_lossy(&refused.stdout).to_string() + &String::from_utf8_lossy(&refused.stderr);
        assert!(
            said.contains("Aucune caméra sur cet appareil : « Webcam absente »"),
            "{said}"
        );
        assert!(!choice.exists(), "nothing was remembered");
    }
}

/// A refusal by the world is exit 1 with its stable code and French message, whichever command
/// met it (README's exit codes); an unreachable world is exit 3.
#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_by_the_world_exits_1_with_its_code_and_french_message() {
    let world = idn_e2e::spawn_world(5).await;
    let url = world.running.base_url();
    let learner = idn_e2e::new_learner(&world.client, "refus@simulation.example").await;
    // The learner's own credential, as `idn learner create` printed it.
    let token = learner.access.credential.token.clone();
    let output = Command::new(idn_binary())
        .env("IDN_TOKEN", &token)
        .args(["--world", &url, "--json", "learner", "act", &learner.id])
        .arg(r#"{"action":"confirm_email","code":"000000"}"#)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let refusal: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(refusal["code"], "code_wrong");
    assert!(
        refusal["message"].as_str().unwrap().contains("incorrect"),
        "French, for the person: {refusal}"
    );
    world.running.stop().await;
    let unreachable = Command::new(idn_binary())
        .env("IDN_TOKEN", &token)
        .args(["--world", &url, "--json", "learner", "show", &learner.id])
        .output()
        .unwrap();
    assert_eq!(unreachable.status.code(), Some(3));
    let failure: Value = serde_json::from_slice(&unreachable.stdout).unwrap();
    assert_eq!(failure["code"], "world_unreachable");
}

/// `idn device` on a folder that holds no phone says so (exit 1, French) instead of making a new,
/// empty phone and answering for it; the folder stays as it was.
#[test]
fn a_device_command_on_a_folder_without_a_phone_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("pas-de-telephone");
    for command in [&["show"][..], &["pending"]] {
        let output = Command::new(idn_binary())
            .args(["--json", "device", "--vault", "memoire", "--device-dir"])
            .arg(&empty)
            .args(command)
            .output()
            .expect("idn runs");
        assert_eq!(output.status.code(), Some(1), "{command:?}");
        let answer: Value = serde_json::from_slice(&output.stdout).expect("one JSON answer");
        assert_eq!(answer["code"], "no_device", "{command:?}: {answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .contains("Aucun téléphone simulé"),
            "{answer}"
        );
        assert!(!empty.exists(), "{command:?} made no phone folder");
    }
}
