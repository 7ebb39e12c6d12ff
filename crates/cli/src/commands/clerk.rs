//! `idn clerk`: a tester plays the post-office clerk who looks up a face-to-face code and checks
//! the identity document.

use super::print;
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_api::{ClerkValidation, DocumentKind, WorldClient};

#[derive(Subcommand)]
pub enum ClerkCommand {
    Lookup {
        code: String,
    },
    Validate {
        #[arg(long)]
        code: String,
        #[arg(long, value_enum, default_value = "cni")]
        document: DocumentArg,
        #[arg(long)]
        birth_name: String,
        /// YYYY-MM-DD
        #[arg(long)]
        birth_date: chrono::NaiveDate,
        #[arg(long)]
        number_ending: String,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum DocumentArg {
    Cni,
    Passeport,
    TitreDeSejour,
}

impl From<DocumentArg> for DocumentKind {
    fn from(document: DocumentArg) -> Self {
        match document {
            DocumentArg::Cni => DocumentKind::Cni,
            DocumentArg::Passeport => DocumentKind::Passeport,
            DocumentArg::TitreDeSejour => DocumentKind::TitreDeSejour,
        }
    }
}

pub async fn run(command: ClerkCommand, client: &WorldClient, json: bool) -> Result<Outcome> {
    match command {
        ClerkCommand::Lookup { code } => {
            let found = client.clerk_lookup(&code).await?;
            print(json, &found, |f| {
                format!(
                    "{} {} — {} — code valable jusqu'au {}",
                    f.given_names.join(" "),
                    f.birth_name,
                    f.document_type,
                    f.valid_until.format("%d/%m/%Y")
                )
            });
        }
        ClerkCommand::Validate {
            code,
            document,
            birth_name,
            birth_date,
            number_ending,
        } => {
            let view = client
                .clerk_validate(&ClerkValidation {
                    code,
                    document_type: document.into(),
                    birth_name,
                    birth_date,
                    document_number_ending: number_ending,
                })
                .await?;
            print(json, &view, |view| {
                format!("Identité vérifiée au guichet. Étape : {}", view.step_label)
            });
        }
    }
    Ok(Outcome::Done)
}
