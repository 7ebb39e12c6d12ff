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
    /// API tokens of staff members, for tools and the `idn` CLI against a class world
    /// (`IDN_TOKEN`); made on the world's own machine, like accounts.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// A new token acting with the staff member's role; its secret is printed this once.
    Create {
        #[arg(long, default_value = "idn-world-data")]
        data_dir: PathBuf,
        /// The staff member (their account must exist: `idn staff add`).
        #[arg(long)]
        email: String,
        /// What the token is for, shown in the list and the staff audit.
        #[arg(long = "nom", default_value = "outil")]
        label: String,
        /// Lifetime in days (1 to 365).
        #[arg(long = "jours", default_value_t = 30)]
        days: i64,
    },
    /// Every token (never a secret).
    List {
        #[arg(long, default_value = "idn-world-data")]
        data_dir: PathBuf,
    },
    /// Ends a token at once.
    Revoke {
        #[arg(long, default_value = "idn-world-data")]
        data_dir: PathBuf,
        id: String,
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

async fn open_world(data_dir: &std::path::Path) -> Result<World> {
    Ok(World::open(
        WorldOptions::new(data_dir),
        Arc::new(idn_world::clock::SystemWallClock),
    )
    .await?)
}

async fn run_token(command: TokenCommand, json: bool) -> Result<Outcome> {
    use idn_world::access::credentials;
    match command {
        TokenCommand::Create {
            data_dir,
            email,
            label,
            days,
        } => {
            let world = open_world(&data_dir).await?;
            let (token, secret) =
                credentials::create_staff_token(&world, &email, &label, Some(chrono::TimeDelta::days(days)))
                    .await
                    .map_err(|error| invalid(error.code(), error.message_fr()))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": true, "token": secret, "id": token.id, "email": token.staff_email, "expires_at": token.expires_at })
                );
            } else {
                println!(
                    "Jeton créé pour {} (expire le {}).\nIl ne sera plus affiché : gardez-le comme un mot de passe.\n\n  export IDN_TOKEN={secret}\n\nRévocation : idn staff token revoke --data-dir {} {}",
                    token.staff_email,
                    token.expires_at.format("%d/%m/%Y %H:%M UTC"),
                    data_dir.display(),
                    token.id
                );
            }
        }
        TokenCommand::List { data_dir } => {
            let world = open_world(&data_dir).await?;
            let tokens = credentials::staff_tokens(&world).await?;
            super::print(json, &tokens, |tokens| {
                super::lines(tokens, |token| {
                    let state = match token.revoked_at {
                        Some(at) => format!("révoqué le {}", at.format("%d/%m/%Y %H:%M")),
                        None => format!("expire le {}", token.expires_at.format("%d/%m/%Y %H:%M")),
                    };
                    format!(
                        "{}  {:<28} {:<20} {state}",
                        token.id, token.staff_email, token.label
                    )
                })
            });
        }
        TokenCommand::Revoke { data_dir, id } => {
            let world = open_world(&data_dir).await?;
            if !credentials::revoke_staff_token(&world, &id).await? {
                bail!(invalid("not_found", "Aucun jeton actif n'a cet identifiant."));
            }
            if json {
                println!("{}", serde_json::json!({ "ok": true, "revoked": id }));
            } else {
                println!("Jeton révoqué : {id}");
            }
        }
    }
    Ok(Outcome::Done)
}

pub async fn run(command: StaffCommand, json: bool) -> Result<Outcome> {
    match command {
        StaffCommand::Token { command } => run_token(command, json).await,
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
