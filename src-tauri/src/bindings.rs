//! The wire types the screens exchange with this shell, described once from the Rust types
//! (utoipa, which the world already uses for its OpenAPI) and turned into TypeScript by
//! `openapi-typescript` (`npm --prefix ui run bindings`). The test below fails when the committed
//! description drifts from the Rust types; `IDN_BLESS=1` rewrites it.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "IDN Sandbox — commandes de l'application",
        description = "Wire types of the app's Tauri commands and events."
    ),
    components(schemas(
        crate::session::SessionView,
        crate::session::WorldConnection,
        crate::session::SignInNeeded,
        crate::commands::CommandError,
        crate::commands::capture::PhotoUploaded,
        crate::commands::capture::VideoUploaded,
        crate::commands::video::VideoRecorded,
        crate::commands::services::ServiceSite,
        crate::preview::PreviewFrame,
        idn_api::WorldStatus,
        idn_api::LearnerAction,
        idn_api::LearnerView,
        idn_api::InboxMessage,
        idn_api::LoginRequestView,
        idn_api::ClockView,
        idn_api::IdentityForm,
        idn_api::AccountLoginChallenge,
    ))
)]
pub struct AppWire;

/// The committed description, relative to the app crate (the repository root).
pub const SCHEMA_PATH: &str = "ui/src/backend/wire-schema.json";

pub fn schema_json() -> String {
    let mut text = AppWire::openapi()
        .to_pretty_json()
        .expect("the wire description serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_wire_schema_matches_the_rust_types() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH);
        let fresh = schema_json();
        if std::env::var_os("IDN_BLESS").is_some() {
            std::fs::write(&path, &fresh).expect("write the wire schema");
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "{SCHEMA_PATH} is out of date with the Rust types: run `IDN_BLESS=1 cargo test -p idn-sandbox \
             bindings` then `npm --prefix ui run bindings`"
        );
    }
}
