//! The phone page measured (issue 17): a class world served over HTTPS under its local authority,
//! in this process (release build, the allocator `idn world serve` uses), and Debian's Chromium
//! as a phone driven by `tests/browser/phone-bench.mjs`, which prints each figure beside its
//! baseline from the same run:
//! - the JS and CSS of `ui/dist` gzipped;
//! - the first load of `/application/` to interactive under a 4× CPU slowdown and DevTools'
//!   "Fast 4G" profile, taking turns with a static page the same world serves;
//! - a login request visible on the phone page after « S'identifier », beside a plain client
//!   reading the same learner's event stream.
//!
//! The screens must be built first (`npm --prefix ui run build`); Chromium at `/usr/bin/chromium`
//! (or `CHROMIUM`). Run: `cargo bench -p idn-e2e --bench phone` (`IDN_BENCH_LOADS`,
//! `IDN_BENCH_LOGINS` change the counts). Nothing here asserts a speed.

/// The allocator `idn world serve` and the app run the world with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use idn_api::ClockMode;
use idn_world::tls::{ServerTls, TlsSetup};
use idn_world::{Transport, WorldOptions};
use std::path::{Path, PathBuf};

const TRAINER: &str = "formatrice.banc@classe.example";

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// What the machine was doing, printed with the figures (they move with the load).
fn machine() -> String {
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cores} cœurs, charge moyenne {}",
        load.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
    )
}

#[tokio::main]
async fn main() {
    let root = repository();
    assert!(
        root.join("ui/dist/index.html").is_file(),
        "the screens are not built: npm --prefix ui run build"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let listen = listener.local_addr().expect("bound address");
    // The class's local authority, as `idn world serve --tls` makes it in DATA/tls/.
    let tls = ServerTls::prepare(
        dir.path(),
        &TlsSetup::LocalAuthority { names: vec![] },
        listen,
        std::time::SystemTime::now(),
    )
    .expect("the world's certificate");
    let mut options = WorldOptions::new(dir.path());
    options.seed = Some(17);
    // The class clock moves only when the bench moves it (past the login requests' window).
    options.initial_clock = Some(ClockMode::Manual);
    let served = idn_scenario::serve_over(options, listener, Transport::Tls(tls))
        .await
        .expect("an HTTPS world starts");
    let world = served.world.world();
    idn_world::console::add_staff(
        world,
        TRAINER,
        idn_world::console::Role::Trainer,
        "Formatrice2026!",
    )
    .await
    .expect("a trainer account");
    let (_, token) = idn_world::access::credentials::create_staff_token(world, TRAINER, "banc", None)
        .await
        .expect("a trainer's token");
    let base = served.world.base_url();
    println!("monde (HTTPS, ce processus, build {}) : {base}", profile());
    println!("machine : {}", machine());

    let script = root.join("tests/browser/phone-bench.mjs");
    let data = dir.path().to_path_buf();
    // Node drives the browser while this process's runtime serves the world.
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .env("IDN_BENCH_BASE", base)
            .env("IDN_BENCH_DATA", data)
            .env("IDN_TOKEN", token)
            .status()
    })
    .await
    .expect("the node task")
    .expect("node runs");
    println!("machine après : {}", machine());
    served.world.stop().await;
    assert!(status.success(), "tests/browser/phone-bench.mjs failed: {status}");
}

fn profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}
