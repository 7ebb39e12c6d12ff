//! The world's welcome page, what a trainer projects for the class: the QR code of the world's
//! own address that the app scans to join (Réglages → « Scanner le QR code »), and the QR code of
//! the guides' « Continuer sur votre smartphone » step, which leads to how to install the app.
//! QR codes are drawn with the `qrcode` crate and served as PNG; their address follows the one
//! the caller reached the world by (`federation::base_url`), so a LAN name or a proxy works.
//! Under its local authority, the page also hands out the authority's certificate with its
//! fingerprint and how to trust it on each platform. The QR codes carry, in their fragment
//! (`#ca=…&id=…`, `idn_api::join`), that fingerprint and the one of the world's identity key, so
//! that the app pins both: the projected screen is the channel the class trusts.

use crate::federation::{base_url, Page, Theme};
use crate::tls::AuthorityCertificate;
use crate::World;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use idn_api::join::{IdentityFingerprint, JoinAddress};
use std::net::SocketAddr;
use std::sync::Arc;

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
/// would send the class's devices to themselves (the console's empty class says so too).
pub(crate) fn is_loopback(base: &str) -> bool {
    let authority = base.split_once("://").map_or(base, |(_, rest)| rest);
    authority == "localhost"
        || authority.starts_with("localhost:")
        || authority.starts_with("127.")
        || authority.starts_with("[::1]")
}

/// The welcome page (`templates/welcome.html`).
#[derive(Template)]
#[template(path = "welcome.html")]
struct WelcomePage {
    theme: Theme,
    /// The address the page was reached by, which the QR codes carry.
    base: String,
    /// Reached on this machine's loopback address: the class cannot use it.
    loopback: bool,
    /// Served in plain HTTP on a network address: the class's traffic is readable.
    plain_on_network: bool,
    /// The local authority's SHA-256 fingerprint, when the world is served under it.
    authority: Option<String>,
    /// The class's name, when the trainer gave one.
    class_name: Option<String>,
}

async fn welcome(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    extension: Option<Extension<Exposure>>,
) -> Response {
    let base = base_url(&headers);
    let exposure = exposure(extension);
    let plain_on_network = match exposure {
        Exposure::PlainOnNetwork => true,
        Exposure::Local | Exposure::Https { .. } => false,
    };
    Page::new(WelcomePage {
        theme: Theme::Welcome,
        loopback: is_loopback(&base),
        base,
        plain_on_network,
        authority: exposure
            .authority()
            .map(|authority| authority.fingerprint().to_string()),
        class_name: world.class_name().map(str::to_owned),
    })
    .into_response()
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
        let (status, _) = get(&app, "/qr/autre.png", "classe.exemple:8080").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_welcome_page_escapes_its_address_and_keeps_the_banner_in_the_header() {
        let page = WelcomePage {
            theme: Theme::Welcome,
            base: r#"http://x"><script>alert('x')</script>"#.to_owned(),
            loopback: false,
            plain_on_network: true,
            authority: Some("AB:CD".to_owned()),
            class_name: Some("<b>Salle 12</b>".to_owned()),
        }
        .render()
        .unwrap();
        assert!(!page.contains("<script"), "the address is text, never markup");
        assert!(
            page.contains("Classe : <b>&#60;b&#62;Salle 12&#60;/b&#62;</b>"),
            "the class's name is shown, as text"
        );
        assert!(page.contains("http://x&#34;&#62;&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"));
        let (header, _) = page.split_once("</header>").unwrap();
        assert!(header.contains("SIMULATION") && header.contains("Monde simulé de la classe"));
        assert!(page.contains(r#"data-testid="sans-https""#));
        assert!(page.contains(r#"<code data-testid="empreinte">AB:CD</code>"#));
        assert!(page.contains("<summary>Debian, Chromium et Firefox</summary>"));
    }
}
