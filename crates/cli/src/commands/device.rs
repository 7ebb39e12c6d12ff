//! `idn device`: the smartphone app's core on the command line — activation with the secret
//! code, then the login requests to approve or decline.

use super::login::status_line;
use super::{invalid, lines_or, open_vault, print, VaultChoice};
use crate::Outcome;
use anyhow::Result;
use clap::{Args, Subcommand};
use idn_api::WorldClient;
use idn_device::{Device, DeviceProfile};
use std::path::PathBuf;

#[derive(Args)]
pub struct DeviceArgs {
    /// Where the device keeps its (non-secret) profile.
    #[arg(long, env = "IDN_DEVICE_DIR", default_value = "idn-device-data")]
    device_dir: PathBuf,
    #[arg(long, value_enum, default_value = "keyring")]
    vault: VaultChoice,
    #[command(subcommand)]
    command: DeviceCommand,
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// Type the activation code and choose the 4-digit secret code.
    Activate {
        #[arg(long)]
        learner: String,
        #[arg(long)]
        code: String,
        #[arg(long)]
        secret: String,
    },
    /// Login requests waiting for approval.
    Pending,
    /// Approve a login request with the secret code.
    Approve {
        request_id: String,
        #[arg(long)]
        secret: String,
    },
    Decline {
        request_id: String,
    },
    Show,
}

/// `identity`: the world identity the join code given as `--world` names, which this phone must
/// pin (the same check as the app's after a scan).
pub async fn run(
    args: DeviceArgs,
    client: WorldClient,
    identity: Option<idn_api::join::IdentityFingerprint>,
    json: bool,
) -> Result<Outcome> {
    // Only activation makes a phone; any other command on a folder without one would silently
    // make a new, empty phone and answer for it.
    if !matches!(args.command, DeviceCommand::Activate { .. })
        && DeviceProfile::read(&args.device_dir)?.is_none()
    {
        return Err(invalid(
            "no_device",
            format!(
                "Aucun téléphone simulé dans « {} » : activez d'abord une Identité Numérique \
                 (idn device --device-dir {} activate …), ou indiquez le bon dossier.",
                args.device_dir.display(),
                args.device_dir.display()
            ),
        )
        .into());
    }
    let vault = open_vault(args.vault)?;
    let mut device = Device::open(&args.device_dir, client, vault)?;
    if let Some(identity) = identity {
        device = device.expecting_world_identity(identity);
    }
    match args.command {
        DeviceCommand::Activate {
            learner,
            code,
            secret,
        } => {
            let view = device.activate(&learner, &code, &secret).await?;
            print(json, &view, |view| {
                format!(
                    "Identité Numérique activée sur cet appareil ({}).",
                    view.step_label
                )
            });
        }
        DeviceCommand::Pending => {
            let pending = device.pending_requests().await?;
            print(json, &pending, |pending| {
                lines_or(pending, "Aucune demande de connexion en attente.", |r| {
                    format!(
                        "{}  {}  {} s restantes",
                        r.request_id, r.relying_party, r.seconds_left
                    )
                })
            });
        }
        DeviceCommand::Approve { request_id, secret } => {
            let request = device.approve(&request_id, &secret).await?;
            print(json, &request, status_line);
        }
        DeviceCommand::Decline { request_id } => {
            let request = device.decline(&request_id).await?;
            print(json, &request, status_line);
        }
        DeviceCommand::Show => {
            let profile = device.profile().clone();
            print(json, &profile, |p| {
                format!(
                    "Appareil {} — identité : {}",
                    p.device_id,
                    p.learner_id.clone().unwrap_or_else(|| "non activée".into())
                )
            });
        }
    }
    Ok(Outcome::Done)
}
