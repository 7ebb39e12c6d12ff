//! The device's screens for a phone's browser (issue 17): the built `ui/dist` — the same screens
//! as the Tauri app, with the browser device of `ui/src/backend/web` — served at `/application/`
//! as an installable web app (manifest, icons, service worker), so that a learner who scans the
//! welcome page's « Continuer sur votre smartphone » QR code practises on their own phone. The
//! page calls this world's API on its own origin.
//!
//! The files are read from disk at each request, from `IDN_APP_DIR` when set, else from the
//! `ui/dist` of the source tree this binary was built from (`npm --prefix ui run build`, which
//! `scripts/test.sh` runs first): a world built before the screens, or without them, says so in
//! French instead of failing, and rebuilding the screens needs no new binary. Only plain names
//! (letters, digits, `.`, `-`, `_`; no leading dot) and known file types are served, so nothing
//! outside that folder can be reached.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use std::path::{Component, PathBuf};
use std::sync::Arc;

/// Where the built screens are read from (`IDN_APP_DIR` overrides the source tree's).
const DIR_VARIABLE: &str = "IDN_APP_DIR";
const SOURCE_TREE_DIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist");

/// The screens' content policy: the Tauri app's, with the page's own origin for the API (the
/// world), its service worker and its manifest. No inline script or style (Svelte needs none).
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The folder of the built screens.
#[derive(Debug, Clone)]
pub(crate) struct AppFiles {
    dir: PathBuf,
}

impl AppFiles {
    /// `IDN_APP_DIR`, else the source tree's `ui/dist`.
    fn located() -> AppFiles {
        let dir = std::env::var_os(DIR_VARIABLE)
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(SOURCE_TREE_DIST));
        AppFiles { dir }
    }

    /// The file at `path` (relative, `/`-separated) if it is one this router may serve: plain
    /// names only, a known type, inside the folder.
    async fn read(&self, path: &str) -> Result<(Vec<u8>, &'static str), Missing> {
        let content_type = content_type(path).ok_or(Missing::NotServed)?;
        if !path.split('/').all(plain_name) {
            return Err(Missing::NotServed);
        }
        let relative = std::path::Path::new(path);
        if !relative
            .components()
            .all(|part| matches!(part, Component::Normal(_)))
        {
            return Err(Missing::NotServed);
        }
        match tokio::fs::read(self.dir.join(relative)).await {
            Ok(bytes) => Ok((bytes, content_type)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Err(Missing::NotFound),
            Err(error) => {
                tracing::warn!(%error, path, "the phone app's file could not be read");
                Err(Missing::NotFound)
            }
        }
    }

    fn built(&self) -> bool {
        self.dir.join("index.html").is_file()
    }
}

/// Why a file is not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Missing {
    /// A name or a type this router never serves.
    NotServed,
    NotFound,
}

/// Letters, digits, `.`, `-` and `_`, not starting with a dot (no `..`, no hidden file).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn content_type(path: &str) -> Option<&'static str> {
    let extension = path.rsplit_once('.')?.1;
    Some(match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// `/application` (the QR code's address), `/application/` and the files under it.
pub(crate) fn router() -> Router {
    router_serving(AppFiles::located())
}

fn router_serving(files: AppFiles) -> Router {
    Router::new()
        // Relative asset paths (vite `base: "./"`, which the Tauri app needs too) resolve under
        // `/application/` only: the bare address moves there (the QR fragment `#ca=…&id=…` stays,
        // browsers keep it across a redirect without one).
        .route(
            "/application",
            get(|| async { Redirect::permanent("/application/") }),
        )
        .route("/application/", get(index))
        .route("/application/{*path}", get(file))
        .with_state(Arc::new(files))
}

async fn index(State(files): State<Arc<AppFiles>>) -> Response {
    serve(&files, "index.html").await
}

async fn file(State(files): State<Arc<AppFiles>>, Path(path): Path<String>) -> Response {
    serve(&files, &path).await
}

async fn serve(files: &AppFiles, path: &str) -> Response {
    match files.read(path).await {
        Ok((bytes, content_type)) => {
            // Vite names the built scripts and styles by their hash: they never change.
            let cache = if path.starts_with("assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            let mut response = (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response();
            secure(&mut response);
            response
        }
        Err(Missing::NotFound) if path == "index.html" || !files.built() => not_built(files),
        Err(Missing::NotFound | Missing::NotServed) => crate::WorldError::NotFound {
            what: "fichier de l'application",
        }
        .into_response(),
    }
}

/// The same headers as the console's, with the screens' own policy.
fn secure(response: &mut Response) {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// A world without the built screens: the learner is told to ask the trainer, the trainer what
/// to run (503: the page exists, the files do not yet).
fn not_built(files: &AppFiles) -> Response {
    tracing::warn!(dir = %files.dir.display(), "the phone app is not built: npm --prefix ui run build");
    let page = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>L'Identité Numérique — simulation</title></head><body><p><strong>SIMULATION</strong> — aucun service réel n'est contacté.</p><h1>L'application pour smartphone n'est pas encore installée sur ce serveur</h1><p>Prévenez votre formateur.</p><p>Pour le formateur : construisez les écrans (<code>npm --prefix ui run build</code> dans le dossier du projet), ou indiquez leur dossier avec la variable <code>IDN_APP_DIR</code>, puis rechargez cette page.</p></body></html>";
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response();
    secure(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn built_app() -> (tempfile::TempDir, Router) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        std::fs::write(dir.path().join("index.html"), "<!doctype html><title>app</title>").unwrap();
        std::fs::write(dir.path().join("assets/index-abc123.js"), "console.log(1)").unwrap();
        std::fs::write(dir.path().join("manifest.webmanifest"), "{}").unwrap();
        std::fs::write(dir.path().join(".env"), "SECRET=1").unwrap();
        std::fs::write(dir.path().join("notes.sh"), "#!/bin/sh").unwrap();
        let router = router_serving(AppFiles {
            dir: dir.path().to_owned(),
        });
        (dir, router)
    }

    async fn get(router: &Router, uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = router
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_qr_codes_address_leads_to_the_screens_under_their_own_folder() {
        let (_dir, router) = built_app();
        let (status, headers, _) = get(&router, "/application").await;
        assert_eq!(
            status,
            StatusCode::PERMANENT_REDIRECT,
            "relative assets need the trailing slash"
        );
        assert_eq!(headers[header::LOCATION], "/application/");
        let (status, headers, body) = get(&router, "/application/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("<title>app</title>"));
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "no-cache",
            "a new build shows at the next load"
        );
        let policy = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            policy.contains("script-src 'self';") && !policy.contains("unsafe"),
            "{policy}"
        );
        assert!(
            policy.contains("connect-src 'self'"),
            "the page calls this world's API: {policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[tokio::test]
    async fn built_assets_are_cached_for_good_and_the_manifest_has_its_type() {
        let (_dir, router) = built_app();
        let (status, headers, body) = get(&router, "/application/assets/index-abc123.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "console.log(1)");
        assert_eq!(headers[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
        assert!(headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        let (status, headers, _) = get(&router, "/application/manifest.webmanifest").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/manifest+json");
    }

    #[tokio::test]
    async fn nothing_outside_the_built_screens_or_of_another_type_is_served() {
        let (dir, router) = built_app();
        std::fs::write(dir.path().parent().unwrap().join("outside.html"), "outside").ok();
        for uri in [
            "/application/../outside.html",
            "/application/%2e%2e/outside.html",
            "/application/assets/%2e%2e/%2e%2e/outside.html",
            "/application/.env",
            "/application/notes.sh",
            "/application/assets/missing.js",
            "/application/%2Fetc%2Fpasswd.txt",
            "/application/a%5Cb.html",
        ] {
            let (status, _, body) = get(&router, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri} must not be served: {body}");
            assert!(
                !body.contains("outside") && !body.contains("SECRET"),
                "{uri}: {body}"
            );
        }
    }

    #[tokio::test]
    async fn a_world_without_the_built_screens_says_what_to_run() {
        let dir = tempfile::tempdir().unwrap();
        let router = router_serving(AppFiles {
            dir: dir.path().join("dist"),
        });
        let (status, headers, body) = get(&router, "/application/").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        assert!(body.contains("SIMULATION"), "every page says it is a simulation");
        assert!(body.contains("npm --prefix ui run build"), "{body}");
    }
}
