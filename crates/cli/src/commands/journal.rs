//! `idn journal` and `idn replay`: a learner's journal as people read it, in the stable text
//! form that re-creates it, and its replay in a fresh world to find where it diverges.

use super::{lines, print, write_out};
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_api::WorldClient;
use idn_cli::{journal, scenario};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum JournalCommand {
    /// Write the journal in a stable text form (one line per entry, relative times) with the
    /// scenario that re-creates the learner.
    Export {
        learner: String,
        /// The scenario (catalogue name or file) that created the learner; derived from the
        /// learner's situation (`idn scenario export`) when absent.
        #[arg(long)]
        scenario: Option<String>,
        /// Write here instead of the standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `idn journal LEARNER` lists the entries; `idn journal export LEARNER` writes the stable form.
pub async fn run(
    learner: Option<String>,
    command: Option<JournalCommand>,
    client: &WorldClient,
    json: bool,
) -> Result<Outcome> {
    match (learner, command) {
        (
            _,
            Some(JournalCommand::Export {
                learner,
                scenario,
                out,
            }),
        ) => {
            let scenario = match scenario {
                Some(name_or_path) => scenario::load(&name_or_path)?,
                None => scenario::export(client, &learner).await?,
            };
            let entries = client.journal(&learner).await?;
            write_out(out.as_deref(), &journal::render(&entries, &scenario))?;
            Ok(Outcome::Done)
        }
        (None, None) => {
            eprintln!("Indiquez un apprenant : idn journal APPRENANT, ou idn journal export APPRENANT.");
            Ok(Outcome::Usage)
        }
        (Some(learner), None) => {
            let entries = client.journal(&learner).await?;
            print(json, &entries, |entries| {
                lines(entries, |e| {
                    format!(
                        "{:>4} {} {:<22} {:<30} {:<26} {} → {}",
                        e.seq,
                        e.at.format("%Y-%m-%dT%H:%M:%SZ"),
                        e.actor,
                        e.action,
                        e.outcome,
                        e.step_before,
                        e.step_after
                    )
                })
            });
            Ok(Outcome::Done)
        }
    }
}

/// `idn replay`: the journal's scenario in a fresh world with its seed, then line by line.
pub async fn replay(path: &Path, data_dir: Option<PathBuf>, json: bool) -> Result<Outcome> {
    let recorded = journal::parse(&std::fs::read_to_string(path)?)?;
    let temporary = tempfile::tempdir()?;
    let dir = data_dir.unwrap_or_else(|| temporary.path().to_owned());
    let served = idn_scenario::embedded_world(&dir.join("world"), recorded.scenario.seed).await?;
    let client = WorldClient::new(served.world.base_url());
    let options = scenario::ApplyOptions::in_memory(dir.join("devices"));
    let replayed = match scenario::apply_as(&client, &recorded.scenario, &options, Some(&served.engine)).await
    {
        Ok(applied) => client
            .with_credential(idn_api::Credential::new(applied.credential.token.clone()))
            .journal(&applied.learner_id)
            .await
            .map_err(anyhow::Error::from),
        Err(error) => Err(error.into()),
    };
    served.world.stop().await;
    let replayed = journal::entry_lines(&replayed?);
    let divergence = journal::first_divergence(&recorded.lines, &replayed);
    if json {
        println!(
            "{}",
            serde_json::json!({
                "ok": divergence.is_none(),
                "scenario": recorded.scenario.name,
                "recorded_entries": recorded.lines.len(),
                "replayed_entries": replayed.len(),
                "divergence": divergence,
            })
        );
    } else {
        match &divergence {
            None => println!(
                "Rejeu identique : les {} événements du journal se reproduisent à l'octet près (scénario « {} », graine {}).",
                replayed.len(),
                recorded.scenario.name,
                recorded.scenario.seed
            ),
            Some(divergence) => {
                let show = |line: &Option<String>| line.clone().unwrap_or_else(|| "(fin du journal)".into());
                println!("Le rejeu diverge à l'événement {} :", divergence.entry);
                println!("  enregistré : {}", show(&divergence.recorded));
                println!("  rejoué     : {}", show(&divergence.replayed));
            }
        }
    }
    Ok(match divergence {
        None => Outcome::Done,
        Some(_) => Outcome::Diverged,
    })
}
