//! Commands about the simulated world the app is linked to.

use serde::Serialize;
use tauri::State;

use super::CommandError;
use crate::world_link::{Origin, WorldLink};

/// Where the world lives, for the status screen (wire type of `world_connection`).
#[derive(Debug, Serialize)]
pub struct WorldConnection {
    pub base_url: String,
    pub origin: Origin,
}

#[tauri::command]
pub fn world_connection(link: State<'_, WorldLink>) -> Result<WorldConnection, CommandError> {
    let linked = link.linked()?;
    Ok(WorldConnection {
        base_url: linked.base_url().to_owned(),
        origin: linked.origin(),
    })
}

#[tauri::command]
pub async fn world_status(link: State<'_, WorldLink>) -> Result<idn_device::WorldStatus, CommandError> {
    let linked = link.linked()?;
    Ok(linked.client().status().await?)
}
