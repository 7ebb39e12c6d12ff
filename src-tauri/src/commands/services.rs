//! The services screen: opening the simulated relying parties' sites in the person's browser,
//! where "S'identifier avec FranceConnect+" leads back to this app's approval.

use serde::Deserialize;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use super::CommandError;
use crate::world_link::WorldLink;

/// The demo sites the world serves (wire type). Only these open: the screens cannot ask the
/// shell to open an arbitrary address.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceSite {
    MonCompteFormation,
    MonCompteElu,
}

impl ServiceSite {
    fn path(self) -> &'static str {
        match self {
            ServiceSite::MonCompteFormation => "/mcf/",
            ServiceSite::MonCompteElu => "/mce/",
        }
    }
}

#[tauri::command]
pub fn open_service(
    app: AppHandle,
    link: State<'_, WorldLink>,
    site: ServiceSite,
) -> Result<String, CommandError> {
    let url = format!("{}{}", link.linked()?.base_url(), site.path());
    app.opener().open_url(&url, None::<&str>).map_err(|error| {
        tracing::warn!(%error, %url, "no browser to open the service");
        CommandError {
            code: "no_browser".into(),
            message: format!("Aucun navigateur n'a pu s'ouvrir : ouvrez vous-même {url}"),
            attempts_left: None,
        }
    })?;
    Ok(url)
}
