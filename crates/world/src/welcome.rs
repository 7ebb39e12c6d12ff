//! The world's welcome page, what a trainer projects for the class: the QR code of the world's
//! own address that the app scans to join (Réglages → « Scanner le QR code »), and the QR code of
//! the guides' « Continuer sur votre smartphone » step, which leads to how to install the app.
//! QR codes are drawn with the `qrcode` crate and served as PNG; their address follows the one
//! the caller reached the world by (`federation::base_url`), so a LAN name or a proxy works.
//! Under its local authority, the page also hands out the authority's certificate with its
//! fingerprint and how to trust it on each platform. The QR codes carry, in their fragment
//! (`#ca=…&id=…`, `idn_api::join`), that fingerprint and the one of the world's identity key, so
//! that the app pins both: the projected screen is the channel the class trusts.

use crate::federation::base_url;
use crate::tls::AuthorityCertificate;
use crate::World;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use idn_api::join::{IdentityFingerprint, JoinAddress};
use std::net::SocketAddr;
use std::sync::Arc;

const STYLE: &str = include_str!("../federation-assets/style.css");
/// Pixels per module of the served PNG, and the light margin the QR specification asks for.
const MODULE_PX: u32 = 8;
const QUIET_ZONE: u32 = 4;

/// The two QR codes of the welcome page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    /// The world's address: the app joins this world.
    Join,
    /// « Continuer sur votre smartphone »: the page telling how to install the app.
    Smartphone,
}

impl Code {
    fn from_file(name: &str) -> Option<Code> {
        match name {
            "rejoindre.png" => Some(Code::Join),
            "smartphone.png" => Some(Code::Smartphone),
            _ => None,
        }
    }

    /// The text the code carries, for a world reached at `base` whose identity key is
    /// `identity`: the fragment (never sent to the server) names that key and, under a local
    /// authority, the authority, for the app to pin (`idn_api::join`).
    fn text(self, base: &str, exposure: &Exposure, identity: IdentityFingerprint) -> String {
        let ca = exposure.authority().map(|authority| authority.fingerprint());
        let join = match JoinAddress::new(base, ca, Some(identity)) {
            Ok(join) => join,
            // `base_url` always names a scheme and a host: this is a forged Host header at worst.
            Err(error) => {
                tracing::warn!(%error, base, "welcome page reached by an address that is not a world's");
                return base.to_owned();
            }
        };
        match self {
            Code::Join => join.to_string(),
            Code::Smartphone => format!("{}/application{}", join.base_url(), join.fragment()),
        }
    }
}

/// The fingerprint of the world's identity key, which the join code carries.
fn identity_of(world: &World) -> Option<IdentityFingerprint> {
    let key = hex::decode(world.keys().identity_public_key).ok()?;
    Some(IdentityFingerprint::of(&key))
}

/// How the world is served, as the welcome page tells the class (set by `RunningWorld`; a
/// router without it is a local, plain world).
#[derive(Debug, Clone, Default)]
pub(crate) enum Exposure {
    /// Plain HTTP on loopback: nobody else can listen.
    #[default]
    Local,
    /// Plain HTTP on a network address: the page warns that the class's traffic is readable.
    PlainOnNetwork,
    /// HTTPS, with the local authority devices install (none with a trainer's own certificate).
    Https {
        authority: Option<Arc<AuthorityCertificate>>,
    },
}

impl Exposure {
    pub(crate) fn plain(address: SocketAddr) -> Self {
        if address.ip().is_loopback() {
            Self::Local
        } else {
            Self::PlainOnNetwork
        }
    }

    pub(crate) fn https(authority: Option<AuthorityCertificate>) -> Self {
        Self::Https {
            authority: authority.map(Arc::new),
        }
    }

    fn authority(&self) -> Option<&AuthorityCertificate> {
        match self {
            Self::Https {
                authority: Some(authority),
            } => Some(authority),
            Self::Https { authority: None } | Self::Local | Self::PlainOnNetwork => None,
        }
    }
}

fn exposure(extension: Option<Extension<Exposure>>) -> Exposure {
    extension.map(|Extension(exposure)| exposure).unwrap_or_default()
}

pub(crate) fn router(world: Arc<World>) -> Router {
    Router::new()
        .route("/", get(welcome))
        .route("/application", get(application))
        .route("/qr/{file}", get(qr_png_route))
        .route("/autorite/{file}", get(authority_file))
        .with_state(world)
}

/// The local authority's certificate: `.crt` (DER) is what phones and Windows install on a tap,
/// `.pem` what Debian's `update-ca-certificates`, `certutil` and `--ca-cert` read.
async fn authority_file(extension: Option<Extension<Exposure>>, Path(file): Path<String>) -> Response {
    let exposure = exposure(extension);
    let Some(authority) = exposure.authority() else {
        return crate::WorldError::NotFound {
            what: "autorité de certification",
        }
        .into_response();
    };
    let (content_type, body) = match file.as_str() {
        "idn-sandbox.crt" => ("application/x-x509-ca-cert", authority.der().to_vec()),
        "idn-sandbox.pem" => ("application/x-pem-file", authority.pem().as_bytes().to_vec()),
        _ => {
            return crate::WorldError::NotFound {
                what: "autorité de certification",
            }
            .into_response()
        }
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The PNG of a QR code carrying `text`, black on white, with its quiet zone.
pub fn qr_png(text: &str) -> Result<Vec<u8>, qrcode::types::QrError> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)?;
    let modules = code.width() as u32;
    let side = (modules + 2 * QUIET_ZONE) * MODULE_PX;
    let colors = code.to_colors();
    let picture = image::GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / MODULE_PX, y / MODULE_PX);
        let inside = |m: u32| (QUIET_ZONE..QUIET_ZONE + modules).contains(&m);
        let dark = inside(mx)
            && inside(my)
            && colors[((my - QUIET_ZONE) * modules + (mx - QUIET_ZONE)) as usize] == qrcode::Color::Dark;
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        picture.as_raw(),
        side,
        side,
        image::ExtendedColorType::L8,
    )
    .expect("a grey picture in memory always encodes");
    Ok(png)
}

async fn qr_png_route(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    extension: Option<Extension<Exposure>>,
    Path(file): Path<String>,
) -> Response {
    let Some(code) = Code::from_file(&file) else {
        return crate::WorldError::NotFound { what: "QR code" }.into_response();
    };
    let Some(identity) = identity_of(&world) else {
        tracing::error!("the world's identity key is not hexadecimal: no join code drawn");
        return (StatusCode::INTERNAL_SERVER_ERROR, "Clé du monde illisible.").into_response();
    };
    match qr_png(&code.text(&base_url(&headers), &exposure(extension), identity)) {
        Ok(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            png,
        )
            .into_response(),
        Err(error) => {
            // Only an address longer than any QR code could hold gets here (a forged Host).
            tracing::warn!(%error, "QR code not drawn");
            (StatusCode::BAD_REQUEST, "Adresse trop longue pour un QR code.").into_response()
        }
    }
}

/// True when the page was reached on this machine's loopback address: a code of that address
/// would send the class's devices to themselves.
fn is_loopback(base: &str) -> bool {
    let authority = base.split_once("://").map_or(base, |(_, rest)| rest);
    authority == "localhost"
        || authority.starts_with("localhost:")
        || authority.starts_with("127.")
        || authority.starts_with("[::1]")
}

async fn welcome(headers: HeaderMap, extension: Option<Extension<Exposure>>) -> Html<String> {
    let base = base_url(&headers);
    let exposure = exposure(extension);
    let loopback = if is_loopback(&base) {
        r#"<p class="notice" role="note" data-testid="adresse-locale">Cette adresse n'est joignable que depuis cet ordinateur. Pour que les appareils de la classe puissent scanner le QR code, ouvrez cette page avec l'adresse réseau du serveur (par exemple https://192.168.1.20:8787, lancé avec <code>idn world serve --listen 0.0.0.0:8787</code>).</p>"#
    } else {
        ""
    };
    let unprotected = match exposure {
        Exposure::PlainOnNetwork => {
            r#"<div class="card notice" role="alert" data-testid="sans-https"><h2>Attention : ce monde est servi sans HTTPS</h2><p>Sur le Wi-Fi de la classe, n'importe qui peut lire et modifier le trafic (jetons d'accès, codes). Formateur : relancez le monde sans <code>--no-tls</code>.</p></div>"#
        }
        Exposure::Local | Exposure::Https { .. } => "",
    };
    let authority = exposure.authority().map(authority_card).unwrap_or_default();
    page(
        "Monde simulé de la classe",
        &format!(
            r#"{unprotected}<div class="card"><h1>Monde simulé de la classe</h1>
<p>Ce serveur simule les services de L'Identité Numérique La Poste pour la classe : compte La Poste, e-mails et SMS, courrier recommandé AR24, bureau de poste, horloge et demandes de connexion FranceConnect+.</p></div>
<div class="card" id="rejoindre"><h2>Rejoindre la classe</h2>
<p>Dans l'application L'Identité Numérique (simulation), ouvrez <b>Réglages</b>, puis <b>Rejoindre une classe</b> et <b>Scanner le QR code</b> :</p>
<p class="qr"><img src="/qr/rejoindre.png" width="264" height="264" alt="QR code pour rejoindre la classe : {base}" data-qr="rejoindre"></p>
<p>Ou saisissez l'adresse : <b data-testid="adresse">{base}</b></p>{loopback}</div>{authority}
<div class="card" id="smartphone"><h2>Continuer sur votre smartphone</h2>
<p>Vous avez commencé sur un ordinateur ? Scannez ce QR code avec votre smartphone pour installer l'application L'Identité Numérique et poursuivre votre parcours.</p>
<p class="qr"><img src="/qr/smartphone.png" width="264" height="264" alt="QR code pour continuer sur votre smartphone : {base}/application" data-qr="smartphone"></p></div>
<div class="card"><h2>Les services simulés</h2><ul>
<li><a href="/mcf">Mon Compte Formation</a> et <a href="/mce">Mon Compte Élu</a> (connexion avec FranceConnect+)</li>
<li><a href="/console">Console des formateurs</a></li>
<li><a href="/api/openapi.json">Description de l'API (OpenAPI)</a></li></ul></div>"#,
            base = esc(&base),
        ),
    )
}

/// The authority's card: what to compare, what to download, how to trust it and remove it on
/// each platform. Its fingerprint is shown as operating systems show it, for a person to compare.
fn authority_card(authority: &AuthorityCertificate) -> String {
    format!(
        r#"<div class="card" id="autorite"><h2>Faire confiance au monde de la classe</h2>
<p>Ce monde est servi en HTTPS sous une autorité de certification locale, créée pour cette formation. Elle ne peut garantir que des noms et adresses locaux (localhost, .local, réseaux privés) : jamais le site d'une banque ni d'un service réel.</p>
<p>Empreinte SHA-256 de l'autorité : <code data-testid="empreinte">{fingerprint}</code></p>
<p>Avant d'installer l'autorité, vérifiez que l'empreinte affichée par votre appareil est exactement celle projetée par le formateur. L'application de la classe n'en a pas besoin : le QR code « Rejoindre la classe » contient déjà cette empreinte.</p>
<p><a href="/autorite/idn-sandbox.crt" download>Télécharger l'autorité (idn-sandbox.crt)</a> · <a href="/autorite/idn-sandbox.pem" download>format PEM (idn-sandbox.pem)</a></p>
<details><summary>Android</summary><p>Téléchargez <b>idn-sandbox.crt</b>, puis ouvrez <b>Paramètres › Sécurité › Chiffrement et identifiants › Installer un certificat › Certificat CA</b> et choisissez le fichier. Android prévient qu'une autorité installée peut voir le trafic : c'est normal pour une autorité de formation. Pour la retirer : <b>Identifiants de confiance › Utilisateur</b>, touchez-la, puis <b>Supprimer</b>.</p></details>
<details><summary>iOS et iPadOS</summary><p>Ouvrez cette page dans Safari et touchez <b>idn-sandbox.crt</b>, puis <b>Réglages › Profil téléchargé › Installer</b>. Ensuite <b>Réglages › Général › Informations › Réglages des certificats</b> : activez la confiance totale pour « IDN Sandbox — autorité locale ». Pour la retirer : <b>Réglages › Général › VPN et gestion de l'appareil</b>, le profil, puis <b>Supprimer le profil</b>.</p></details>
<details><summary>macOS</summary><p>Téléchargez <b>idn-sandbox.crt</b> et ouvrez-le : il s'ajoute au <b>Trousseau d'accès</b> (trousseau « session »). Double-cliquez l'autorité, dépliez <b>Se fier</b> et choisissez <b>Toujours faire confiance</b>. Pour la retirer : supprimez-la du trousseau.</p></details>
<details><summary>Windows</summary><p>Téléchargez <b>idn-sandbox.crt</b>, ouvrez-le, puis <b>Installer le certificat… › Utilisateur actuel › Placer tous les certificats dans le magasin suivant › Autorités de certification racines de confiance</b>. Pour la retirer : <code>certmgr.msc</code>, le même magasin, clic droit › <b>Supprimer</b>.</p></details>
<details><summary>Debian, Chromium et Firefox</summary><p>Pour tout le système : <code>sudo cp idn-sandbox.pem /usr/local/share/ca-certificates/idn-sandbox.crt</code> puis <code>sudo update-ca-certificates</code> (pour la retirer : supprimez le fichier, puis <code>sudo update-ca-certificates --fresh</code>).</p>
<p>Chromium : <code>certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "IDN Sandbox" -i idn-sandbox.pem</code> (paquet <code>libnss3-tools</code> ; pour la retirer : <code>certutil -d sql:$HOME/.pki/nssdb -D -n "IDN Sandbox"</code>).</p>
<p>Firefox : <b>Paramètres › Vie privée et sécurité › Certificats › Afficher les certificats › Autorités › Importer</b>, cochez « Confirmer cette AC pour identifier des sites web ».</p>
<p>En ligne de commande : <code>idn --ca-cert idn-sandbox.pem …</code> ou <code>idn --ca-fingerprint {fingerprint} …</code>.</p></details>
<p><b>Retirez-la après la formation</b> : elle ne sert qu'à ce monde simulé.</p></div>"#,
        fingerprint = esc(&authority.fingerprint().to_string()),
    )
}

async fn application(headers: HeaderMap) -> Html<String> {
    let base = base_url(&headers);
    page(
        "Installer L'Identité Numérique",
        &format!(
            r#"<div class="card"><h1>Installer L'Identité Numérique (simulation)</h1>
<p>Dans ce bac à sable, l'application L'Identité Numérique est celle d'IDN Sandbox : installez le paquet fourni par votre formateur (Debian ou Ubuntu : <code>IDN Sandbox_0.1.0_amd64.deb</code>), ou lancez-la depuis le projet avec <code>bash scripts/run-app.sh</code>.</p>
<p>Ouvrez ensuite <b>Réglages</b>, <b>Rejoindre une classe</b>, et scannez le QR code « Rejoindre la classe » de la <a href="/">page d'accueil</a>, ou saisissez l'adresse <b>{base}</b>.</p>
<p>La vraie application se télécharge sur l'App Store ou Google Play ; elle n'est jamais contactée ici.</p></div>"#,
            base = esc(&base),
        ),
    )
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Simulation</title><style>{STYLE}
.qr img {{ image-rendering: pixelated; max-width: 100%; height: auto; }}</style></head>
<body class="theme-laposte"><div class="simulation" role="note">SIMULATION — IDN Sandbox : aucun service réel de La Poste ni de FranceConnect n'est contacté</div>
<header class="site"><span class="logo">L'Identité Numérique <b>La Poste</b></span><span class="sub">Monde simulé de la classe</span></header>
<main>{body}</main>
<footer>IDN Sandbox — simulation pédagogique. Les identités affichées sont fictives.</footer>
</body></html>"#,
        title = esc(title),
    ))
}

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemWallClock;
    use crate::WorldOptions;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get(app: &Router, path: &str, host: &str) -> (StatusCode, Vec<u8>) {
        let request = Request::get(path)
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        (
            status,
            response.into_body().collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    fn decoded(png: &[u8]) -> Vec<String> {
        idn_capture::read_qr_codes(&idn_capture::decode_still(png).unwrap())
    }

    #[tokio::test]
    async fn the_welcome_page_shows_the_qr_code_of_the_address_it_was_reached_by() {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(
            World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
                .await
                .unwrap(),
        );
        let identity = IdentityFingerprint::of(&hex::decode(world.keys().identity_public_key).unwrap());
        let app = crate::http::app(world);
        let (status, html) = get(&app, "/", "192.168.1.20:8787").await;
        assert_eq!(status, StatusCode::OK);
        let html = String::from_utf8(html).unwrap();
        assert!(html.contains("SIMULATION"), "every page says it is a simulation");
        assert!(
            html.contains("Continuer sur votre smartphone"),
            "the guides' step is on the page"
        );
        assert!(html.contains(r#"src="/qr/rejoindre.png""#) && html.contains(r#"src="/qr/smartphone.png""#));
        assert!(
            !html.contains("adresse-locale"),
            "a network address needs no warning"
        );
        let (_, local) = get(&app, "/", "127.0.0.1:8787").await;
        assert!(
            String::from_utf8(local).unwrap().contains("adresse-locale"),
            "a page reached on 127.0.0.1 warns that the class cannot use its code"
        );

        let (status, png) = get(&app, "/qr/rejoindre.png", "192.168.1.20:8787").await;
        assert_eq!(status, StatusCode::OK);
        let texts = decoded(&png);
        assert_eq!(texts.len(), 1, "{texts:?}");
        let join = JoinAddress::parse(&texts[0]).unwrap();
        assert_eq!(
            (join.base_url(), join.ca(), join.identity()),
            ("http://192.168.1.20:8787", None, Some(identity)),
            "the join code is the world's address as the class reaches it, with its identity key \
             and no authority for a plain world: {}",
            texts[0]
        );
        let (_, png) = get(&app, "/qr/smartphone.png", "classe.exemple:8080").await;
        assert_eq!(
            decoded(&png),
            vec![format!(
                "http://classe.exemple:8080/application{}",
                join.fragment()
            )],
            "the smartphone step leads to the install page, not to joining"
        );
        let (status, _) = get(&app, "/application", "classe.exemple:8080").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = get(&app, "/qr/autre.png", "classe.exemple:8080").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
