//! Commands about the simulated world the app is linked to: which one, its status, its clock,
//! and switching to a class server (Réglages).

use tauri::{AppHandle, State};

use super::CommandError;
use crate::session::{self, SessionView, WorldConnection};
use crate::world_link::{self, WorldLink, WorldSource};

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

/// The snapshot every screen starts from; the `session` event carries the next ones.
#[tauri::command]
pub async fn session(app: AppHandle) -> Result<SessionView, CommandError> {
    session::snapshot(&app).await
}

/// "Passer 24 heures" and the like: the sandbox moves the learner's own time so nobody waits
/// (with the learner's credential; the class clock is the trainer's, and the other learners of
/// a class keep theirs).
#[tauri::command]
pub async fn advance_clock(app: AppHandle, hours: u32) -> Result<SessionView, CommandError> {
    session::with_device(&app, async |_, device| {
        let id = device
            .profile()
            .account_id
            .clone()
            .ok_or_else(nothing_to_advance)?;
        device
            .client()
            .advance_learner_clock(&id, i64::from(hours) * 3600)
            .await?;
        Ok(())
    })
    .await?;
    session::snapshot(&app).await
}

/// Time is the learner's own: before an account exists there is none to move.
fn nothing_to_advance() -> CommandError {
    CommandError {
        code: "no_account".into(),
        message: "Aucune démarche n'est encore commencée sur cet appareil : il n'y a pas encore de temps à faire avancer."
            .into(),
        attempts_left: None,
    }
}

/// Joins a class (`address`: the world server's URL, or the text of its « Rejoindre la classe »
/// QR code with the authority and identity it pins) or comes back to the embedded world (`None`).
#[tauri::command]
pub async fn use_world(app: AppHandle, address: Option<String>) -> Result<SessionView, CommandError> {
    let source = match address {
        None => WorldSource::Embedded,
        Some(address) => WorldSource::from_address(&address)?,
    };
    if let WorldSource::External(join) = &source {
        // Check before switching, under the trust the code gives: a mistyped address, or a
        // server whose certificate is not the pinned authority's, must not leave the app
        // without a world.
        let client = join.client();
        client.status().await?;
        if let Some(identity) = join.identity() {
            // A code for another world (or a server standing in for it) is said now, not at the
            // activation; the device checks it again before sealing anything.
            idn_device::Device::check_world_identity(&client, identity).await?;
        }
    }
    world_link::connect(app.clone(), source).await;
    session::follow_learner(&app);
    session::snapshot(&app).await
}
