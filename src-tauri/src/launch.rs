//! The launch, measured: milestones logged from the start of `run()` (so a slow start shows
//! where its time went), and the launch benchmark's baseline, `--launch-baseline`: the same
//! binary, Tauri and WebKit showing a static page with nothing of ours (no world, no keyring, no
//! Svelte), so that the benchmark's ratio separates our share from WebKit's.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tauri::{AppHandle, Manager};

/// The flag that turns the app into the launch benchmark's baseline (tests/app/launch.mjs).
pub const BASELINE_FLAG: &str = "--launch-baseline";

/// The baseline's page, in `ui/public/`: copied into `ui/dist` by Vite and embedded like the app.
const BASELINE_PAGE: &str = "launch-baseline.html";

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Starts the launch clock; the first call wins (the milestones count from there).
pub fn start_clock() {
    STARTED.get_or_init(Instant::now);
}

/// Logs a launch milestone with the milliseconds since [`start_clock`].
pub fn milestone(what: &'static str) {
    let elapsed = STARTED.get().map(|started| started.elapsed().as_millis());
    tracing::debug!(milestone = what, ms_since_start = elapsed, "launch");
}

/// How long a held world start waits for the page's load at most: a page that never reports
/// its load (a navigation error) must not leave the app without a world.
const HOLD_AT_MOST: Duration = Duration::from_secs(3);

/// The embedded world's start, held until the first page has loaded (managed state).
#[derive(Default)]
pub struct HeldWorldStart(Mutex<Option<Box<dyn FnOnce() + Send>>>);

impl HeldWorldStart {
    /// Starts the held world now, if it is still held; later calls do nothing.
    pub fn release(&self) {
        let start = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(start) = start {
            milestone("world start released");
            start();
        }
    }
}

/// Holds `start` until the page has loaded ([`HeldWorldStart::release`]) or [`HOLD_AT_MOST`].
pub fn hold_world_start(app: &AppHandle, start: impl FnOnce() + Send + 'static) {
    *app.state::<HeldWorldStart>()
        .0
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Box::new(start));
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(HOLD_AT_MOST).await;
        app.state::<HeldWorldStart>().release();
    });
}

pub fn wants_baseline(args: impl IntoIterator<Item = String>) -> bool {
    args.into_iter().any(|arg| arg == BASELINE_FLAG)
}

/// Runs the baseline: the app's own window configuration and embedded assets, its page replaced
/// by the static one.
pub fn run_baseline(mut context: tauri::Context<tauri::Wry>) {
    for window in &mut context.config_mut().app.windows {
        window.url = tauri::WebviewUrl::App(BASELINE_PAGE.into());
    }
    tauri::Builder::default()
        .run(context)
        .expect("the Tauri context of this build is invalid");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn a_held_world_starts_once_whoever_releases_it_first() {
        let starts = Arc::new(AtomicUsize::new(0));
        let held = HeldWorldStart::default();
        held.release();
        assert_eq!(
            starts.load(Ordering::SeqCst),
            0,
            "nothing held yet: nothing starts"
        );
        let counted = starts.clone();
        *held.0.lock().unwrap() = Some(Box::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        }));
        held.release();
        held.release();
        assert_eq!(
            starts.load(Ordering::SeqCst),
            1,
            "the page's load and the fallback timer both release it: one world only"
        );
    }

    #[test]
    fn only_the_exact_flag_turns_the_app_into_the_baseline() {
        let of = |args: &[&str]| wants_baseline(args.iter().map(|arg| arg.to_string()));
        assert!(of(&["--data-dir", "/tmp/a", "--launch-baseline"]));
        assert!(!of(&["--data-dir", "/tmp/a"]), "a normal launch runs the app");
        assert!(
            !of(&["--launch-baseline-x"]),
            "a longer flag is not the baseline's"
        );
    }
}
