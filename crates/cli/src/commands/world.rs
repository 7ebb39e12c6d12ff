//! `idn world serve`: the simulated world for a class or a test team, with the scenario engine
//! installed for its console. On a network address it serves HTTPS under its local authority
//! (or the trainer's certificate): on a classroom's Wi-Fi, plain HTTP is readable by anyone.

use crate::Outcome;
use anyhow::Result;
use clap::{Args, Subcommand};
use idn_world::federation::PublicUrl;
use idn_world::tls::{ServerTls, TlsError, TlsName, TlsSetup};
use idn_world::{ClassName, Transport, WorldError, WorldOptions};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum WorldCommand {
    /// Serve the world for a class or a test team (HTTPS on a network address).
    Serve(ServeArgs),
}

#[derive(Args)]
pub struct ServeArgs {
    /// Where to listen: loopback serves plain HTTP (tests, this machine); any other address
    /// (0.0.0.0:8787 for the class) serves HTTPS under the world's local authority.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    #[arg(long, default_value = "idn-world-data")]
    data_dir: PathBuf,
    /// Makes codes, digits and identifiers reproducible (taken when the data directory is new).
    #[arg(long)]
    seed: Option<u64>,
    /// The address the class reaches the world by (e.g. https://salle-12.example:8443):
    /// issuers and redirect addresses name it whatever Host a request carries.
    #[arg(long, env = "IDN_PUBLIC_URL", value_parser = parse_public_url)]
    public_url: Option<PublicUrl>,
    /// Let relying parties publish their keys (jwks_uri) on loopback or private addresses,
    /// for a developer's own application on this machine or the LAN.
    #[arg(long)]
    allow_private_jwks: bool,
    /// Serve HTTPS under the world's local authority (DATA/tls), also on loopback.
    #[arg(long, conflicts_with_all = ["no_tls", "tls_cert"])]
    tls: bool,
    /// Serve HTTPS with your own certificate chain (PEM), e.g. from your school's authority.
    #[arg(long, value_name = "FICHIER", requires = "tls_key", conflicts_with = "no_tls")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM: PKCS#8, SEC1 or RSA).
    #[arg(long, value_name = "FICHIER", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Another name or address the local authority's certificate must cover (repeatable).
    #[arg(long = "tls-name", value_name = "NOM", value_parser = parse_tls_name, conflicts_with_all = ["no_tls", "tls_cert"])]
    tls_names: Vec<TlsName>,
    /// Serve plain HTTP even on a network address (a warning says why not to).
    #[arg(long)]
    no_tls: bool,
    /// The class's name (e.g. "Salle 12 — mardi matin"): on the welcome page and the console,
    /// and confirmed by the app when a learner joins (« Vous avez rejoint la classe « … » »).
    #[arg(long = "class", value_name = "NOM", value_parser = parse_class_name)]
    class_name: Option<ClassName>,
}

/// `--class` refused: clap prints the French reason (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.message_fr())]
pub struct ClassNameRefused(WorldError);

fn parse_class_name(text: &str) -> Result<ClassName, ClassNameRefused> {
    ClassName::parse(text).map_err(ClassNameRefused)
}

/// `--public-url` refused by the world's own rule: clap prints it, in French, as the argument's
/// error (bad usage, exit 2); the world's error is kept whole.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.message_fr())]
pub struct PublicUrlRefused(WorldError);

fn parse_public_url(text: &str) -> Result<PublicUrl, PublicUrlRefused> {
    PublicUrl::parse(text).map_err(PublicUrlRefused)
}

/// `--tls-name` refused: clap prints the French reason (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.message_fr())]
pub struct TlsNameRefused(TlsError);

fn parse_tls_name(text: &str) -> Result<TlsName, TlsNameRefused> {
    TlsName::parse(text).map_err(TlsNameRefused)
}

/// What the trainer asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsAsked {
    Nothing,
    LocalAuthority,
    OwnCertificate,
    NoTls,
}

/// How the world is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serving {
    /// Plain HTTP on loopback: only this machine can listen.
    Plain,
    /// Plain HTTP on a network address, as asked: served, with a warning.
    PlainOnNetwork,
    LocalAuthority,
    OwnCertificate,
}

/// The rule of `idn world serve`: loopback alone is plain by default (tests, the app); a world
/// other machines reach is HTTPS unless the trainer insists.
fn serving(listen: SocketAddr, asked: TlsAsked) -> Serving {
    let loopback = listen.ip().is_loopback();
    match asked {
        TlsAsked::OwnCertificate => Serving::OwnCertificate,
        TlsAsked::LocalAuthority => Serving::LocalAuthority,
        TlsAsked::Nothing if loopback => Serving::Plain,
        TlsAsked::Nothing => Serving::LocalAuthority,
        TlsAsked::NoTls if loopback => Serving::Plain,
        TlsAsked::NoTls => Serving::PlainOnNetwork,
    }
}

impl ServeArgs {
    fn asked(&self) -> TlsAsked {
        if self.tls_cert.is_some() {
            TlsAsked::OwnCertificate
        } else if self.tls || !self.tls_names.is_empty() {
            TlsAsked::LocalAuthority
        } else if self.no_tls {
            TlsAsked::NoTls
        } else {
            TlsAsked::Nothing
        }
    }

    /// The HTTPS setup of `serving` (`None`: plain HTTP).
    fn tls_setup(&self, serving: Serving) -> Result<Option<TlsSetup>, TlsError> {
        Ok(match serving {
            Serving::Plain | Serving::PlainOnNetwork => None,
            Serving::OwnCertificate => Some(TlsSetup::Certificate {
                chain: self.tls_cert.clone().expect("asked with --tls-cert"),
                key: self
                    .tls_key
                    .clone()
                    .expect("clap requires --tls-key with --tls-cert"),
            }),
            Serving::LocalAuthority => {
                let mut names = self.tls_names.clone();
                if let Some(public_url) = &self.public_url {
                    names.push(TlsName::of_public_url(public_url)?);
                }
                Some(TlsSetup::LocalAuthority { names })
            }
        })
    }
}

/// The sentence of the warning, printed and shown on the welcome page's banner in its own words.
fn plain_on_network_warning(listen: SocketAddr) -> String {
    format!(
        "ATTENTION : ce monde écoute sur {listen} sans HTTPS. Sur le Wi-Fi de la classe, n'importe qui peut lire et modifier le trafic (jetons d'accès, codes). Relancez sans --no-tls."
    )
}

/// The addresses the class can type, from the certificate's names (this machine's loopback
/// names left out: they would send a phone to itself).
fn class_addresses(tls: &ServerTls, port: u16) -> Vec<String> {
    tls.names()
        .iter()
        .filter_map(|name| match name {
            TlsName::Dns(host) if host == "localhost" => None,
            TlsName::Dns(host) => Some(format!("https://{host}:{port}")),
            TlsName::Ip(ip) if ip.is_loopback() => None,
            TlsName::Ip(std::net::IpAddr::V6(v6)) => Some(format!("https://[{v6}]:{port}")),
            TlsName::Ip(ip) => Some(format!("https://{ip}:{port}")),
        })
        .collect()
}

pub async fn run(command: WorldCommand) -> Result<Outcome> {
    match command {
        WorldCommand::Serve(args) => serve(args).await,
    }
}

async fn serve(args: ServeArgs) -> Result<Outcome> {
    let serving = serving(args.listen, args.asked());
    let transport = match args.tls_setup(serving)? {
        Some(setup) => Transport::Tls(ServerTls::prepare(
            &args.data_dir,
            &setup,
            args.listen,
            std::time::SystemTime::now(),
        )?),
        None => Transport::Plain,
    };
    let mut options = WorldOptions::new(&args.data_dir);
    options.seed = args.seed;
    // A served world is reachable by others: it fetches relying parties' keys from public
    // addresses only unless told otherwise.
    options.allow_private_jwks = args.allow_private_jwks;
    if let Some(public_url) = &args.public_url {
        eprintln!("Adresse publique : {}", public_url.as_base());
    }
    options.public_url = args.public_url.clone();
    if let Some(class_name) = &args.class_name {
        eprintln!("Classe : {}", class_name.as_str());
    }
    options.class_name = args.class_name.clone();
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // The console applies scenarios through this world's own address, and the engine
    // decides at the desks under its own console account (never a person's).
    let world = idn_scenario::serve_over(options, listener, transport)
        .await?
        .world;
    eprintln!(
        "Monde simulé IDN Sandbox (simulation) à l'écoute sur {} — données dans {}",
        world.base_url(),
        args.data_dir.display()
    );
    match serving {
        Serving::PlainOnNetwork => {
            tracing::warn!(listen = %world.address(), "serving plain HTTP on a network address: anyone on it can read and alter the traffic");
            eprintln!("\n{}\n", plain_on_network_warning(world.address()));
        }
        Serving::Plain | Serving::LocalAuthority | Serving::OwnCertificate => {}
    }
    if let Some(tls) = world.tls() {
        let addresses = class_addresses(tls, world.address().port());
        if !addresses.is_empty() {
            eprintln!("Adresses pour la classe (HTTPS) : {}", addresses.join(", "));
        }
        if let Some(authority) = tls.authority() {
            eprintln!(
                "Autorité locale de certification : {}",
                authority.path().display()
            );
            eprintln!("Empreinte SHA-256 de l'autorité : {}", authority.fingerprint());
            eprintln!(
                "Sur cet ordinateur : idn --world {} --ca-cert {} …",
                world.local_url(),
                authority.path().display()
            );
        }
    }
    eprintln!(
        "Description OpenAPI : {}/api/openapi.json — Ctrl+C pour arrêter.",
        world.local_url()
    );
    tokio::signal::ctrl_c().await?;
    world.stop().await;
    Ok(Outcome::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_plain_by_default_and_a_network_address_is_https_unless_refused() {
        let loopback: SocketAddr = "127.0.0.1:8787".parse().unwrap();
        let loopback_v6: SocketAddr = "[::1]:8787".parse().unwrap();
        let every_interface: SocketAddr = "0.0.0.0:8787".parse().unwrap();
        let lan: SocketAddr = "192.168.1.20:8787".parse().unwrap();
        for (listen, asked, expected) in [
            (loopback, TlsAsked::Nothing, Serving::Plain),
            (loopback_v6, TlsAsked::Nothing, Serving::Plain),
            (every_interface, TlsAsked::Nothing, Serving::LocalAuthority),
            (lan, TlsAsked::Nothing, Serving::LocalAuthority),
            (loopback, TlsAsked::LocalAuthority, Serving::LocalAuthority),
            (every_interface, TlsAsked::OwnCertificate, Serving::OwnCertificate),
            (loopback, TlsAsked::NoTls, Serving::Plain),
            (every_interface, TlsAsked::NoTls, Serving::PlainOnNetwork),
            (lan, TlsAsked::NoTls, Serving::PlainOnNetwork),
        ] {
            assert_eq!(serving(listen, asked), expected, "{listen} with {asked:?}");
        }
    }

    #[test]
    fn the_warning_names_the_address_and_how_to_get_https_back() {
        let warning = plain_on_network_warning("0.0.0.0:8787".parse().unwrap());
        assert_eq!(
            warning,
            "ATTENTION : ce monde écoute sur 0.0.0.0:8787 sans HTTPS. Sur le Wi-Fi de la classe, n'importe qui peut lire et modifier le trafic (jetons d'accès, codes). Relancez sans --no-tls."
        );
    }
}
