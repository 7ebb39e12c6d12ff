//! `idn staff`: staff accounts of the trainers' console (trainer, support agent, reviewer,
//! clerk). Run on the machine holding the world's data directory: there is no default account
//! and no default password, so the first trainer is created here, never over the network.

use super::invalid;
use crate::Outcome;
use anyhow::{bail, Context, Result};
use clap::{Subcommand, ValueEnum};
use idn_world::console::{self, Role};
use idn_world::{World, WorldOptions};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Subcommand)]
pub enum StaffCommand {
    /// Create a staff account; the password is read from standard input or asked for.
    Add {
        /// The world's data directory (as given to `idn world serve`).
        #[arg(long, default_value = "idn-world-data")]
        data_dir: PathBuf,
        #[arg(long, value_enum)]
        role: RoleArg,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input.
        #[arg(long, conflicts_with = "password")]
        password_stdin: bool,
        /// The password itself (ends in the shell's history: prefer --password-stdin or the prompt).
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Formateur,
    #[value(name = "agent_support")]
    AgentSupport,
    Relecteur,
    Guichetier,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Formateur => Role::Trainer,
            RoleArg::AgentSupport => Role::SupportAgent,
            RoleArg::Relecteur => Role::Reviewer,
            RoleArg::Guichetier => Role::Clerk,
        }
    }
}

/// Asks for the password twice without echo (stty), or reads one line when not on a terminal.
fn read_password(from_stdin: bool) -> Result<String> {
    let stdin = std::io::stdin();
    if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("lecture du mot de passe")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let ask = |prompt: &str| -> Result<String> {
        eprint!("{prompt}");
        std::io::stderr().flush().ok();
        let hidden = std::process::Command::new("stty")
            .arg("-echo")
            .status()
            .is_ok_and(|s| s.success());
        let mut line = String::new();
        let read = stdin.lock().read_line(&mut line);
        if hidden {
            let _ = std::process::Command::new("stty").arg("echo").status();
        }
        eprintln!();
        read.context("lecture du mot de passe")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    };
    let first = ask("Mot de passe : ")?;
    if ask("Mot de passe (encore) : ")? != first {
        bail!(invalid("password_mismatch", "Les deux mots de passe diffèrent."));
    }
    Ok(first)
}

pub async fn run(command: StaffCommand, json: bool) -> Result<Outcome> {
    match command {
        StaffCommand::Add {
            data_dir,
            role,
            email,
            password_stdin,
            password,
        } => {
            let password = match password {
                Some(password) => password,
                None => read_password(password_stdin)?,
            };
            let world = World::open(
                WorldOptions::new(&data_dir),
                Arc::new(idn_world::clock::SystemWallClock),
            )
            .await?;
            let role = Role::from(role);
            let id = console::add_staff(&world, &email, role, &password)
                .await
                .map_err(|error| invalid(error.code(), error.message_fr()))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": true, "staff_id": id, "email": email, "role": role.code() })
                );
            } else {
                println!(
                    "Compte du personnel créé : {email} ({}). Connexion : /console/connexion sur le monde.",
                    role.label_fr()
                );
            }
            Ok(Outcome::Done)
        }
    }
}
