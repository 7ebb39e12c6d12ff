//! The app shell of "L'Identité Numérique" (simulation): links to a simulated world and serves
//! the screens' commands. It decides no rule: commands call the device core and render.

/// Only the drift test builds the wire description; the running app has no use for it.
#[cfg(test)]
mod bindings;
mod commands;
mod preview;
mod scenario_start;
mod session;
mod world_link;

use session::Session;
use tauri::Manager;
use world_link::{WorldLink, WorldSource};

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    init_tracing();
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

    tauri::Builder::default()
        .plugin(tauri_plugin_opener::init())
        .manage(world_link::DataRoot::from_args(std::env::args().skip(1)))
        .manage(WorldLink::default())
        .manage(Session::new())
        .manage(preview::Preview::default())
        .manage(commands::video::VideoTake::default())
        .manage(commands::scan::QrScan::default())
        .setup(move |app| {
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                world_link::connect(handle.clone(), source).await;
                session::follow_learner(&handle);
                session::push_snapshot(&handle).await;
                // After the first screens: a trainer's `--scenario` never slows the launch.
                scenario_start::spawn(&handle, start);
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::world::world_connection,
            commands::world::world_status,
            commands::world::session,
            commands::world::advance_clock,
            commands::world::use_world,
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
        .build(tauri::generate_context!())
        .expect("the Tauri context of this build is invalid")
        .run(|app, event| {
            if let tauri::RunEvent::Exit = event {
                app.state::<WorldLink>().shut_down();
            }
        });
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // A second initialisation (tests, mobile relaunch) keeps the first subscriber: not an error.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
}
