//! `idn clock`: read, advance and set the world's clock, so that "24 h" or "4 weeks" pass when
//! a trainer says so; bring it back (`rewind`, `real`) and read what moved it (`history`).

use super::{invalid, print};
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_api::{ClockChange, ClockChangeKind, ClockMode, WorldClient};
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
    /// Bring the class back to a time (2026-11-16T09:00:00Z) or by a duration (2h, 3j, 366j).
    /// Learners who acted after that moment stay at their own time.
    Rewind {
        to: String,
    },
    /// « Revenir à l'heure réelle »: real time from now.
    Real,
    /// The class clock's latest changes, newest first.
    History,
}

pub async fn run(command: ClockCommand, client: &WorldClient, json: bool) -> Result<Outcome> {
    let view = match command {
        ClockCommand::Show => client.clock().await?,
        ClockCommand::Advance { duration } => client.advance_clock(parse_duration(&duration)?).await?,
        ClockCommand::Set { mode } => client.set_clock(parse_mode(&mode)?, None).await?,
        ClockCommand::Rewind { to } => {
            let to = match chrono::DateTime::parse_from_rfc3339(to.trim()) {
                Ok(at) => at.to_utc(),
                Err(_) => {
                    let back = chrono::TimeDelta::try_seconds(parse_duration(&to)?)
                        .ok_or_else(|| invalid("invalid_duration", format!("Durée invalide « {to} ».")))?;
                    client.clock().await?.now - back
                }
            };
            client.rewind_clock(to).await?
        }
        ClockCommand::Real => client.real_time_clock().await?,
        ClockCommand::History => {
            let changes = client.clock_history().await?;
            print(json, &changes, |changes| history_text(changes));
            return Ok(Outcome::Done);
        }
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

/// The history as lines: when (real time), what, the class's time before → after, by whom.
fn history_text(changes: &[ClockChange]) -> String {
    if changes.is_empty() {
        return "L'horloge de la classe n'a pas encore été changée.".to_owned();
    }
    changes
        .iter()
        .map(|change| {
            let kind = match change.kind {
                ClockChangeKind::Advance => "avance",
                ClockChangeKind::Set => "réglage",
                ClockChangeKind::Rewind => "retour en arrière",
                ClockChangeKind::RealTime => "retour à l'heure réelle",
            };
            let kept = match change.learners_kept {
                0 => String::new(),
                n => format!(", {n} apprenant(s) resté(s) à leur heure"),
            };
            format!(
                "{} : {kind} {} → {} ({:?}) par {}{kept}",
                change.recorded_at.format("%d/%m/%Y %H:%M:%S"),
                change.before.format("%d/%m/%Y %H:%M"),
                change.after.format("%d/%m/%Y %H:%M"),
                change.mode,
                change.by.as_deref().unwrap_or("le monde"),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
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
