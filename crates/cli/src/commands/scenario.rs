//! `idn scenario` and `idn situation`: shells over `idn-scenario` that put a persona in any
//! situation of the journey and read back where a learner is stuck.

use super::{lines, open_vault, print, print_failure, write_out, VaultChoice};
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_api::{BlockerView, WorldClient};
use idn_cli::scenario;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum ScenarioCommand {
    /// The catalogue: names, titles, the step reached, the explanation for the user.
    List,
    /// Print a scenario file (catalogue name or path).
    Show { scenario: String },
    /// Create the scenario's learner and bring them to its situation, as a person would.
    Apply {
        /// A catalogue name (`idn scenario list`) or a scenario file.
        scenario: String,
        /// Use an embedded world kept in this directory (created with the scenario's seed and a
        /// manual clock) instead of the world at --world.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Where the simulated phones keep their profile (a temporary directory otherwise).
        #[arg(long)]
        device_dir: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "memoire")]
        vault: VaultChoice,
    },
    /// Write a learner's current situation as a scenario file to apply on another machine.
    Export {
        learner: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub async fn run(command: ScenarioCommand, client: &WorldClient, json: bool) -> Result<Outcome> {
    match command {
        ScenarioCommand::List => {
            let listed = scenario::list();
            print(json, &listed, |listed| {
                lines(listed, |s| {
                    format!("{:<45} {:<28} {}", s.name, s.reach_label, s.title)
                })
            });
            Ok(Outcome::Done)
        }
        ScenarioCommand::Show { scenario } => {
            print!("{}", scenario::load(&scenario)?.to_toml());
            Ok(Outcome::Done)
        }
        ScenarioCommand::Export { learner, out } => {
            let exported = scenario::export(client, &learner).await?;
            write_out(out.as_deref(), &exported.to_toml())?;
            Ok(Outcome::Done)
        }
        ScenarioCommand::Apply {
            scenario: name,
            data_dir,
            device_dir,
            vault,
        } => {
            let scenario = scenario::load(&name)?;
            let temporary = tempfile::tempdir()?;
            let devices_dir = device_dir
                .or_else(|| data_dir.as_ref().map(|dir| dir.join("devices")))
                .unwrap_or_else(|| temporary.path().join("devices"));
            let options = scenario::ApplyOptions {
                devices_dir,
                vault: open_vault(vault)?,
                identity_phone: None,
            };
            let embedded = match &data_dir {
                Some(dir) => Some(idn_scenario::embedded_world(&dir.join("world"), scenario.seed).await?),
                None => None,
            };
            let client = match &embedded {
                Some(served) => WorldClient::new(served.world.base_url()),
                None => client.clone(),
            };
            // The embedded world is this process's: the engine decides at its desks under its
            // own account. A remote world's desks are not the command line's to play.
            let staff = embedded.as_ref().map(|served| &served.engine);
            let outcome = scenario::apply_as(&client, &scenario, &options, staff).await;
            if let Some(served) = embedded {
                served.world.stop().await;
            }
            let applied = match outcome {
                Ok(applied) => applied,
                Err(error) => {
                    let message = error.to_string();
                    print_failure(
                        json,
                        "scenario_failed",
                        &message,
                        &format!("Le scénario n'a pas abouti : {message}"),
                    );
                    return Ok(Outcome::StepFailed);
                }
            };
            print(json, &applied, |a| {
                let mut lines = vec![
                    format!("Scénario « {} » — {}", a.scenario, a.title),
                    format!("Apprenant {} ({}, {})", a.learner_id, a.email, a.mobile),
                    format!("Étape atteinte : {} ({})", a.step_label, a.step),
                ];
                for refusal in &a.refusals {
                    lines.push(format!(
                        "Refus ({}) : {} [{}]",
                        refusal.action, refusal.message, refusal.code
                    ));
                }
                for failure in &a.device_failures {
                    lines.push(format!("Appareil : {} [{}]", failure.message, failure.code));
                }
                lines.extend(a.blockers.iter().map(blocker_line));
                if let Some(request) = &a.login_request {
                    lines.push(format!("Demande de connexion : {request}"));
                }
                lines.push(String::new());
                lines.push(format!("À dire à l'utilisateur : {}", a.explanation.trim()));
                lines.join("\n")
            });
            Ok(Outcome::Done)
        }
    }
}

/// `idn situation`: the code awaited (attempts and resends left) and the blockers, as a support
/// agent reads them.
pub async fn situation(learner: &str, client: &WorldClient, json: bool) -> Result<Outcome> {
    let situation = scenario::situation(client, learner).await?;
    print(json, &situation, |s| {
        let mut lines = vec![format!("Étape : {} ({})", s.step_label, s.step)];
        if let Some(code) = &s.pending_code {
            lines.push(format!(
                "Code attendu ({}) : valable jusqu'au {}{}, {} essai(s) et {} nouvel(s) envoi(s) restant(s)",
                code.kind,
                code.valid_until.format("%d/%m/%Y %H:%M UTC"),
                if code.expired { " — expiré" } else { "" },
                code.attempts_left,
                code.resends_left
            ));
        }
        if let Some(left) = s.secret_code_attempts_left {
            lines.push(format!("Code secret : {left} essai(s) restant(s)"));
        }
        lines.extend(s.blockers.iter().map(blocker_line));
        if s.withheld_messages > 0 {
            lines.push(format!("Messages jamais remis : {}", s.withheld_messages));
        }
        lines.join("\n")
    });
    Ok(Outcome::Done)
}

fn blocker_line(blocker: &BlockerView) -> String {
    format!("Blocage : {} [{}]", blocker.label, blocker.code)
}
