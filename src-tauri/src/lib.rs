//! The app shell of "L'Identité Numérique" (simulation): links to a simulated world and serves
//! the screens' commands. It decides no rule: commands call the device core and render.

mod commands;
mod world_link;

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

    tauri::Builder::default()
        .manage(WorldLink::default())
        .setup(move |app| {
            world_link::connect(app.handle().clone(), source);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::world::world_connection,
            commands::world::world_status,
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
