//! The app shell of "L'Identité Numérique" (simulation): links to a simulated world and serves
//! the screens' commands. It decides no rule: commands call the device core and render.

/// Only the drift test builds the wire description; the running app has no use for it.
#[cfg(test)]
mod bindings;
mod commands;
mod launch;
mod preview;
mod scenario_start;
mod session;
mod world_link;

use session::Session;
use tauri::Manager;
use world_link::{WorldLink, WorldSource};

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    launch::start_clock();
    init_tracing();
    let context = tauri::generate_context!();
    if launch::wants_baseline(std::env::args().skip(1)) {
        launch::run_baseline(context);
        return;
    }
    let source =
        match WorldSource::from_args_and_env(std::env::args().skip(1), std::env::var("IDN_WORLD_URL").ok()) {
            Ok(source) => source,
            Err(error) => {
                eprintln!("{error}");
                std::process::exit(2);
            }
        };

    let start = scenario_start::ScenarioStart::from_args_and_env(
        std::env::args().skip(1),
        std::env::var("IDN_SCENARIO").ok(),
    );

    let session = Session::new();
    launch::milestone("keyring opened");

    let builder = tauri::Builder::default();
    // On a phone the camera and the microphone go through the webview (`getUserMedia`), asked
    // by our own screens only; the system's prompt (CAMERA / RECORD_AUDIO on Android, the usage
    // strings of Info.ios.plist on iOS) still asks the person. On the desktop the shell reads
    // them itself (nokhwa, cpal) and the webview keeps its default.
    #[cfg(mobile)]
    let builder = builder.on_permission_request(|_, kind| webview_permission(kind));
    builder
        .plugin(tauri_plugin_opener::init())
        .manage(world_link::DataRoot::from_args(std::env::args().skip(1)))
        .manage(WorldLink::default())
        .manage(session)
        .manage(preview::Preview::default())
        .manage(commands::video::VideoTake::default())
        .manage(commands::scan::QrScan::default())
        .manage(commands::account_login::SignInTicket::default())
        .manage(launch::HeldWorldStart::default())
        .on_page_load(|webview, payload| {
            if payload.event() == tauri::webview::PageLoadEvent::Finished {
                launch::milestone("page loaded");
                webview.state::<launch::HeldWorldStart>().release();
            }
        })
        .setup(move |app| {
            launch::milestone("window created");
            let handle = app.handle().clone();
            // A new device's first screen needs no world: its start (SQLite, keys) waits until
            // the page has loaded instead of taking the CPU from WebKit's start. A device with
            // an account, or a scenario, needs the world at once.
            let can_wait = source == WorldSource::Embedded
                && start.0.is_none()
                && !world_link::enrolment_begun_in(&handle, &source);
            app.state::<WorldLink>().awaiting(source.clone());
            let begin = move || {
                tauri::async_runtime::spawn(async move {
                    world_link::connect(handle.clone(), source).await;
                    launch::milestone("world linked");
                    session::follow_learner(&handle);
                    session::push_snapshot(&handle).await;
                    // After the first screens: a trainer's `--scenario` never slows the launch.
                    scenario_start::spawn(&handle, start);
                });
            };
            if can_wait {
                launch::hold_world_start(app.handle(), begin);
            } else {
                begin();
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::world::world_connection,
            commands::world::world_status,
            commands::world::session,
            commands::world::advance_clock,
            commands::world::use_world,
            commands::launch::enrolment_begun,
            commands::account::create_account,
            commands::account::act,
            commands::approval::activate,
            commands::approval::approve_login,
            commands::approval::decline_login,
            commands::approval::login_request,
            commands::approval::simulate_login,
            commands::approval::remove_identity,
            commands::capture::start_preview,
            commands::capture::stop_preview,
            commands::capture::take_photo,
            commands::capture::upload_photo,
            commands::capture::import_photo,
            commands::capture::import_video,
            commands::video::record_video,
            commands::video::video_bytes,
            commands::video::upload_video,
            commands::services::open_service,
            commands::scan::scan_world_qr,
            commands::scan::stop_qr_scan,
            commands::account_login::start_account_login,
            commands::account_login::confirm_account_login,
            commands::account_login::account_login_messages,
        ])
        .build(context)
        .expect("the Tauri context of this build is invalid")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                app.state::<WorldLink>().shut_down();
            }
        });
}

/// What the phone's webview may use without asking again: the camera and the microphone, for
/// the document photos and the spoken-digit video; nothing else (no location, notifications,
/// clipboard…), which no screen needs.
#[cfg(any(mobile, test))]
fn webview_permission(kind: tauri::webview::PermissionKind) -> tauri::webview::PermissionResponse {
    use tauri::webview::{PermissionKind, PermissionResponse};
    match kind {
        PermissionKind::Camera | PermissionKind::Microphone => PermissionResponse::Allow,
        _ => PermissionResponse::Deny,
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second initialisation (tests, mobile relaunch) keeps the first subscriber: not an error.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}

#[cfg(test)]
mod tests {
    use super::webview_permission;
    use tauri::webview::{PermissionKind, PermissionResponse};

    #[test]
    fn the_phone_webview_gets_the_camera_and_microphone_and_nothing_else() {
        assert_eq!(
            webview_permission(PermissionKind::Camera),
            PermissionResponse::Allow
        );
        assert_eq!(
            webview_permission(PermissionKind::Microphone),
            PermissionResponse::Allow
        );
        for other in [
            PermissionKind::Geolocation,
            PermissionKind::Notifications,
            PermissionKind::ClipboardRead,
            PermissionKind::DisplayCapture,
            PermissionKind::Other,
        ] {
            assert_eq!(
                webview_permission(other),
                PermissionResponse::Deny,
                "{other}: no screen of the app needs it"
            );
        }
    }
}
