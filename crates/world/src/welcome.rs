//! The world's welcome page, what a trainer projects for the class: the QR code of the world's
//! own address that the app scans to join (Réglages → « Scanner le QR code »), and the QR code of
//! the guides' « Continuer sur votre smartphone » step, which leads to how to install the app.
//! QR codes are drawn with the `qrcode` crate and served as PNG; their address follows the one
//! the caller reached the world by (`federation::base_url`), so a LAN name or a proxy works.

use crate::federation::base_url;
use crate::World;
use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
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

    /// The text the code carries, for a world reached at `base`.
    fn text(self, base: &str) -> String {
        match self {
            Code::Join => base.to_owned(),
            Code::Smartphone => format!("{base}/application"),
        }
    }
}

pub(crate) fn router(world: Arc<World>) -> Router {
    Router::new()
        .route("/", get(welcome))
        .route("/application", get(application))
        .route("/qr/{file}", get(qr_png_route))
        .with_state(world)
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

async fn qr_png_route(headers: HeaderMap, Path(file): Path<String>) -> Response {
    let Some(code) = Code::from_file(&file) else {
        return crate::WorldError::NotFound { what: "QR code" }.into_response();
    };
    match qr_png(&code.text(&base_url(&headers))) {
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

async fn welcome(headers: HeaderMap) -> Html<String> {
    let base = base_url(&headers);
    let loopback = if is_loopback(&base) {
        r#"<p class="notice" role="note" data-testid="adresse-locale">Cette adresse n'est joignable que depuis cet ordinateur. Pour que les appareils de la classe puissent scanner le QR code, ouvrez cette page avec l'adresse réseau du serveur (par exemple http://192.168.1.20:8787, lancé avec <code>idn world serve --listen 0.0.0.0:8787</code>).</p>"#
    } else {
        ""
    };
    page(
        "Monde simulé de la classe",
        &format!(
            r#"<div class="card"><h1>Monde simulé de la classe</h1>
<p>Ce serveur simule les services de L'Identité Numérique La Poste pour la classe : compte La Poste, e-mails et SMS, courrier recommandé AR24, bureau de poste, horloge et demandes de connexion FranceConnect+.</p></div>
<div class="card" id="rejoindre"><h2>Rejoindre la classe</h2>
<p>Dans l'application L'Identité Numérique (simulation), ouvrez <b>Réglages</b>, puis <b>Rejoindre une classe</b> et <b>Scanner le QR code</b> :</p>
<p class="qr"><img src="/qr/rejoindre.png" width="264" height="264" alt="QR code pour rejoindre la classe : {base}" data-qr="rejoindre"></p>
<p>Ou saisissez l'adresse : <b data-testid="adresse">{base}</b></p>{loopback}</div>
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

    fn decoded(png: &[u8]) -> idn_capture::QrReading {
        idn_capture::QrReading::of_frame(&idn_capture::decode_still(png).unwrap())
    }

    #[tokio::test]
    async fn the_welcome_page_shows_the_qr_code_of_the_address_it_was_reached_by() {
        let dir = tempfile::tempdir().unwrap();
        let world = Arc::new(
            World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
                .await
                .unwrap(),
        );
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
        assert_eq!(
            decoded(&png),
            idn_capture::QrReading::WorldAddress("http://192.168.1.20:8787".into()),
            "scanning the join code gives the world's address as the class reaches it"
        );
        let (_, png) = get(&app, "/qr/smartphone.png", "classe.exemple:8080").await;
        assert_eq!(
            decoded(&png),
            idn_capture::QrReading::NotAWorldAddress("http://classe.exemple:8080/application".into()),
            "the smartphone step leads to the install page, not to joining"
        );
        let (status, _) = get(&app, "/application", "classe.exemple:8080").await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = get(&app, "/qr/autre.png", "classe.exemple:8080").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
