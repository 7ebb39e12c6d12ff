//! `idn rp`: register a relying party with the sandbox's FranceConnect+ (so that a developer can
//! point their own OpenID Connect client at it), list and show registrations.

use super::{invalid, lines_or, print};
use crate::Outcome;
use anyhow::{Context, Result};
use clap::Subcommand;
use idn_api::{NewRelyingParty, RelyingPartyView, WorldClient};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum RelyingPartyCommand {
    /// Register a service; prints its client id and secret (shown only once).
    Register {
        /// The service's name, shown on FranceConnect+'s page.
        #[arg(long)]
        name: String,
        /// Where codes are sent back (repeat for several).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the person lands after logout (repeat for several).
        #[arg(long = "logout-uri")]
        post_logout_redirect_uris: Vec<String>,
        /// A file holding the public encryption key as a JWK (RSA 2048+ or EC P-256).
        #[arg(long, conflicts_with = "jwks_uri", required_unless_present = "jwks_uri")]
        jwk_file: Option<PathBuf>,
        /// Where the service publishes its encryption key (JWKS).
        #[arg(long)]
        jwks_uri: Option<String>,
    },
    /// Every registered service.
    List,
    /// One registered service.
    Show { client_id: String },
}

fn describe(view: &RelyingPartyView, world: &str) -> String {
    format!(
        "{} — client_id {}\n  retour : {}\n  découverte : {world}{}",
        view.name,
        view.client_id,
        view.redirect_uris.join(", "),
        view.discovery_path
    )
}

pub async fn run(command: RelyingPartyCommand, client: &WorldClient, json: bool) -> Result<Outcome> {
    let world = client.base_url();
    match command {
        RelyingPartyCommand::Register {
            name,
            redirect_uris,
            post_logout_redirect_uris,
            jwk_file,
            jwks_uri,
        } => {
            let encryption_jwk = match jwk_file {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("lecture de {}", path.display()))?;
                    Some(serde_json::from_str(&text).map_err(|error| {
                        invalid(
                            "invalid_jwk",
                            format!("{} n'est pas du JSON : {error}", path.display()),
                        )
                    })?)
                }
                None => None,
            };
            let new = NewRelyingParty {
                name,
                redirect_uris,
                post_logout_redirect_uris,
                encryption_jwk,
                jwks_uri,
            };
            let registered = client.register_relying_party(&new).await?;
            print(json, &registered, |registered| {
                format!(
                    "Service enregistré auprès de FranceConnect+ (simulation).\n{}\n  client_secret : {} (conservez-le : il n'est affiché qu'une fois)",
                    describe(&registered.relying_party, world),
                    registered.client_secret
                )
            });
        }
        RelyingPartyCommand::List => {
            let views = client.relying_parties().await?;
            print(json, &views, |views| {
                let none = "Aucun service enregistré (les sites de démonstration sont intégrés).";
                lines_or(views, none, |view| describe(view, world))
            });
        }
        RelyingPartyCommand::Show { client_id } => {
            let view = client.relying_party(&client_id).await?;
            print(json, &view, |view| describe(view, world));
        }
    }
    Ok(Outcome::Done)
}
