//! The invariants of ARCHITECTURE.md that a machine can check: the device does not link the
//! world (nor a server, SQLite or OpenSSL), the journey core reads no clock and draws no OS
//! randomness, and SQL and the database driver live in the world's store only.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The packages `package` links when built alone (normal dependencies, its own features), as
/// `cargo tree` resolves them.
fn linked_by(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = std::process::Command::new(cargo)
        .args([
            "tree", "-p", package, "-e", "normal", "--prefix", "none", "--format", "{p}",
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn the_device_links_neither_the_world_nor_a_server_sqlite_or_openssl() {
    let linked = linked_by("idn-device");
    for forbidden in [
        "idn-world",
        "axum",
        "sqlx",
        "rusqlite",
        "openssl",
        "openssl-sys",
        "libsqlite3-sys",
        "aws-lc-rs",
    ] {
        assert!(!linked.contains(forbidden), "idn-device links {forbidden}");
    }
    assert!(linked.contains("idn-api"), "the device speaks through idn-api");
}

/// rustls runs on ring everywhere: its default provider, aws-lc-rs, needs cmake and a long C
/// build, and two providers in one process make rustls refuse to pick a default.
#[test]
fn tls_runs_on_ring_and_never_links_aws_lc() {
    for package in ["idn-world", "idn-device", "idn-cli"] {
        let linked = linked_by(package);
        assert!(!linked.contains("aws-lc-rs"), "{package} links aws-lc-rs");
        assert!(linked.contains("ring"), "{package} has rustls on ring");
    }
}

/// `chrono-tz` is allowed: its IANA zone tables are compiled in (no file, no clock read), and the
/// journey's `local_time` renders times for people in the class's zone with them.
#[test]
fn the_journey_core_links_no_runtime_network_or_storage() {
    let linked = linked_by("idn-journey");
    for forbidden in [
        "tokio",
        "reqwest",
        "sqlx",
        "rusqlite",
        "axum",
        "getrandom",
        "iana-time-zone",
    ] {
        assert!(!linked.contains(forbidden), "idn-journey links {forbidden}");
    }
}

#[test]
fn the_journey_core_reads_no_clock_and_draws_no_os_randomness() {
    let forbidden = [
        "Utc::now",
        "Local::now",
        "SystemTime",
        "Instant::now",
        "OsRng",
        "thread_rng",
        "rand::random",
        "std::fs",
        "std::net",
    ];
    for file in rust_files(&root().join("crates/journey/src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for word in forbidden {
            assert!(!text.contains(word), "{} uses {word}", file.display());
        }
    }
}

/// A statement, or a connection of the driver, in a source file.
fn holds_sql(text: &str) -> bool {
    [
        "sqlx::",
        "rusqlite::",
        "prepare_cached(",
        ".execute(\"",
        "\"SELECT ",
        "\"INSERT INTO",
        "\"UPDATE ",
        "\"DELETE FROM",
    ]
    .iter()
    .any(|marker| text.contains(marker))
}

#[test]
fn sql_lives_in_the_worlds_store_only() {
    let root = root();
    let store = root.join("crates/world/src/store");
    let mut outside = Vec::new();
    for crate_dir in [
        "crates",
        "src-tauri/src",
        "tests/support",
        "tests/e2e",
        "tests/benches",
    ] {
        for file in rust_files(&root.join(crate_dir)) {
            let relative = file.strip_prefix(&root).unwrap().to_string_lossy().into_owned();
            if file.starts_with(&store) || relative == "tests/e2e/architecture.rs" {
                continue;
            }
            if holds_sql(&std::fs::read_to_string(&file).unwrap()) {
                outside.push(relative);
            }
        }
    }
    assert!(outside.is_empty(), "SQL outside the store: {outside:#?}");
}
