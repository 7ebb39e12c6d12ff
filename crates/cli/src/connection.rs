//! How `idn` reaches a world: its address (`--world`), whom it trusts for HTTPS (`--ca-cert`,
//! `--ca-fingerprint`: a class world is served under a local authority no operating system
//! knows) and the credential it presents (`--token-file`, `IDN_TOKEN`, `--token`). Every command
//! that talks to a world gets its client from `Connection::client`, so that all of them trust
//! and authenticate the same way. `--world` also takes the text of the welcome page's QR code
//! (`https://…/#ca=…&id=…`, `idn_api::join`): its authority is then pinned as `--ca-fingerprint`
//! would.

use idn_api::join::{JoinAddress, JoinError};
use idn_api::tls::{CaFingerprint, Trust, TrustError};
use idn_api::{Credential, WorldClient};
use std::path::{Path, PathBuf};

/// The global options of a connection to a world.
#[derive(Debug, clap::Args)]
pub struct Connection {
    /// Trust the authority of this PEM file for HTTPS (the trainer's; on the world's own machine
    /// DATA/tls/ca.pem), in addition to what the operating system trusts.
    #[arg(long, global = true, env = "IDN_CA_CERT", value_name = "FICHIER")]
    ca_cert: Option<PathBuf>,
    /// Trust the authority whose SHA-256 fingerprint the welcome page shows (AB:CD:…).
    #[arg(long, global = true, env = "IDN_CA_FINGERPRINT", value_name = "EMPREINTE")]
    ca_fingerprint: Option<String>,
    /// Present this credential (idn_…) to the world. Prefer IDN_TOKEN or --token-file: a value
    /// typed on the command line ends in the shell's history and in the process list.
    #[arg(
        long,
        global = true,
        env = "IDN_TOKEN",
        hide_env_values = true,
        value_name = "JETON"
    )]
    token: Option<String>,
    /// Read the credential from this file (its first line), which wins over --token and IDN_TOKEN.
    #[arg(long, global = true, value_name = "FICHIER")]
    token_file: Option<PathBuf>,
}

/// A connection option that cannot be used as given.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    JoinCode(#[from] JoinError),
    #[error("cannot read the token file {path}: {source}")]
    TokenFile { path: PathBuf, source: std::io::Error },
    #[error("the token file {path} is empty")]
    EmptyToken { path: PathBuf },
}

impl ConnectionError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Trust(error) => error.code(),
            Self::JoinCode(error) => error.code(),
            Self::TokenFile { .. } => "token_file_unreadable",
            Self::EmptyToken { .. } => "token_file_empty",
        }
    }

    pub fn message_fr(&self) -> String {
        match self {
            Self::Trust(error) => error.message_fr(),
            Self::JoinCode(error) => error.message_fr(),
            Self::TokenFile { path, .. } => format!(
                "Le fichier de jeton {} ne peut pas être lu : vérifiez le chemin.",
                path.display()
            ),
            Self::EmptyToken { path } => format!(
                "Le fichier de jeton {} est vide : il doit contenir le jeton (idn_…) sur sa première ligne.",
                path.display()
            ),
        }
    }
}

/// The world identity a join code's text names (`#…&id=…`), which a phone must then pin; none
/// for a plain address (the phone then trusts the first identity it meets, as before).
pub fn join_identity(url: &str) -> Option<idn_api::join::IdentityFingerprint> {
    url.contains('#')
        .then(|| JoinAddress::parse(url).ok())
        .flatten()
        .and_then(|join| join.identity())
}

impl Connection {
    /// The client of the world at `url` (an address, or a join code's text), with this
    /// connection's trust and credential.
    pub fn client(&self, url: &str) -> Result<WorldClient, ConnectionError> {
        // Only a text with a fragment is read as a join code: any other is passed on as given.
        let (url, pinned_by_code) = if url.contains('#') {
            let join = JoinAddress::parse(url)?;
            (join.base_url().to_owned(), join.ca())
        } else {
            (url.to_owned(), None)
        };
        let mut trust = self.trust()?;
        // `--ca-fingerprint` says what to pin when given; the code's authority otherwise.
        if let Some(ca) = pinned_by_code.filter(|_| self.fingerprint().is_none()) {
            trust = trust.with_pinned_ca(ca);
        }
        let client = WorldClient::configured(url, |builder| trust.configure(builder));
        Ok(match self.credential()? {
            Some(credential) => client.with_credential(credential),
            None => client,
        })
    }

    /// The operating system's authorities (a trainer's real certificate), plus those given.
    fn trust(&self) -> Result<Trust, ConnectionError> {
        let mut trust = Trust::platform();
        if let Some(path) = self
            .ca_cert
            .as_deref()
            .filter(|path| !path.as_os_str().is_empty())
        {
            trust = trust.with_ca_file(path)?;
        }
        if let Some(text) = self.fingerprint() {
            trust = trust.with_pinned_ca(CaFingerprint::parse(text)?);
        }
        Ok(trust)
    }

    /// `--ca-fingerprint` / `IDN_CA_FINGERPRINT`, unless empty (unset for one command).
    fn fingerprint(&self) -> Option<&str> {
        self.ca_fingerprint
            .as_deref()
            .filter(|text| !text.trim().is_empty())
    }

    /// `--token-file`, else `--token` / `IDN_TOKEN` (an empty variable is how a shell unsets it
    /// for one command).
    fn credential(&self) -> Result<Option<Credential>, ConnectionError> {
        if let Some(path) = &self.token_file {
            return read_token_file(path).map(Some);
        }
        Ok(self
            .token
            .as_deref()
            .map(str::trim)
            .filter(|token| !token.is_empty())
            .map(Credential::new))
    }
}

fn read_token_file(path: &Path) -> Result<Credential, ConnectionError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConnectionError::TokenFile {
        path: path.to_owned(),
        source,
    })?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.is_empty() {
        return Err(ConnectionError::EmptyToken {
            path: path.to_owned(),
        });
    }
    Ok(Credential::new(token))
}
