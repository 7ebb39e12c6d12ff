//! `idn clock`: read, advance and set the world's clock, so that "24 h" or "4 weeks" pass when
//! a trainer says so.

use super::{invalid, print};
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_api::{ClockMode, WorldClient};
use idn_device::DeviceError;

#[derive(Subcommand)]
pub enum ClockCommand {
    Show,
    /// Advance by a duration: 90s, 15m, 24h, 15j (days), 4sem (weeks).
    Advance {
        duration: String,
    },
    /// real, manual, or xN (accelerated N times, e.g. x60).
    Set {
        mode: String,
    },
}

pub async fn run(command: ClockCommand, client: &WorldClient, json: bool) -> Result<Outcome> {
    let view = match command {
        ClockCommand::Show => client.clock().await?,
        ClockCommand::Advance { duration } => client.advance_clock(parse_duration(&duration)?).await?,
        ClockCommand::Set { mode } => client.set_clock(parse_mode(&mode)?, None).await?,
    };
    print(json, &view, |view| {
        format!(
            "Heure du monde simulé : {} ({:?})",
            view.now.format("%d/%m/%Y %H:%M:%S UTC"),
            view.mode
        )
    });
    Ok(Outcome::Done)
}

/// Reads 90s, 15m, 24h, 15j, 4sem into seconds.
fn parse_duration(text: &str) -> Result<i64, DeviceError> {
    let text = text.trim();
    let invalid_duration = || {
        invalid(
            "invalid_duration",
            format!("Durée invalide « {text} » : exemples 90s, 15m, 24h, 15j, 4sem."),
        )
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number.parse().map_err(|_| invalid_duration())?;
    let unit_seconds = match unit {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "j" | "d" => 86_400,
        "sem" | "w" => 604_800,
        _ => return Err(invalid_duration()),
    };
    number.checked_mul(unit_seconds).ok_or_else(invalid_duration)
}

/// Reads real, manual (or their French names) and xN.
fn parse_mode(text: &str) -> Result<ClockMode, DeviceError> {
    match text {
        "real" | "reel" => Ok(ClockMode::Real),
        "manual" | "manuel" => Ok(ClockMode::Manual),
        other => match other
            .strip_prefix('x')
            .and_then(|factor| factor.parse::<f64>().ok())
        {
            Some(factor) => Ok(ClockMode::Accelerated { factor }),
            None => Err(invalid(
                "invalid_clock_mode",
                "Mode d'horloge invalide : real, manual ou xN (ex. x60).",
            )),
        },
    }
}
