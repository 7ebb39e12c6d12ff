//! Who is using the web site: the account's credential (the same one the API issues) kept in a
//! cookie, and the sign-in ticket while « Se connecter » waits for its code. The cookies are
//! `HttpOnly`, `SameSite=Strict` and `Secure` under HTTPS; a form posted from another origin is
//! refused whatever cookie it carries (the `Origin` / `Sec-Fetch-Site` check OWASP recommends
//! beside `SameSite`).

use crate::access::{credentials, Principal};
use crate::api::CredentialKind;
use crate::console::cookie;
use crate::World;
use axum::http::{header, HeaderMap, HeaderValue};

/// The account's credential, for the site's pages only.
const ACCOUNT_COOKIE: &str = "idn_site";
/// The sign-in ticket and the email it was asked for, while the code is awaited.
const SIGN_IN_COOKIE: &str = "idn_site_connexion";
/// The postal procedure's request posted from this browser (`World::post_postal_request`).
const POSTAL_COOKIE: &str = "idn_site_courrier";
/// Where the cookies are sent: the site's own addresses, never the API or the console.
const COOKIE_PATH: &str = "/identite-numerique";

/// The account the site's cookie names, if its credential is a live account credential.
pub(super) async fn account(world: &World, headers: &HeaderMap) -> Option<Principal> {
    let token = cookie(headers, ACCOUNT_COOKIE)?;
    match credentials::authenticate(world, Some(&format!("Bearer {token}"))).await {
        Ok(
            principal @ Principal::Learner {
                kind: CredentialKind::Account,
                ..
            },
        ) => Some(principal),
        _ => None,
    }
}

/// The pending sign-in's ticket, if it is still live.
pub(super) async fn sign_in(world: &World, headers: &HeaderMap) -> Option<Principal> {
    let token = cookie(headers, SIGN_IN_COOKIE)?;
    match credentials::authenticate(world, Some(&format!("Bearer {token}"))).await {
        Ok(
            principal @ Principal::Learner {
                kind: CredentialKind::SignIn,
                ..
            },
        ) => Some(principal),
        _ => None,
    }
}

/// `Set-Cookie` keeping the account's credential for this browser session.
pub(super) fn keep_account(token: &str, secure: bool) -> HeaderValue {
    set_cookie(ACCOUNT_COOKIE, token, secure)
}

/// `Set-Cookie` keeping the sign-in ticket while the code is awaited.
pub(super) fn keep_sign_in(token: &str, secure: bool) -> HeaderValue {
    set_cookie(SIGN_IN_COOKIE, token, secure)
}

/// The token of the postal request this browser posted, if any.
pub(super) fn postal_request(headers: &HeaderMap) -> Option<String> {
    cookie(headers, POSTAL_COOKIE).filter(|token| !token.is_empty() && token.len() <= 128)
}

/// `Set-Cookie` keeping the postal request's token, so that its browser follows it for the
/// weeks the procedure takes (60 days), not only this browser session.
pub(super) fn keep_postal_request(token: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{POSTAL_COOKIE}={token}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=5184000{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `Set-Cookie`s forgetting both cookies (« Se déconnecter », or once the sign-in is done).
pub(super) fn forget(account: bool) -> Vec<HeaderValue> {
    let mut cleared = vec![expired(SIGN_IN_COOKIE)];
    if account {
        cleared.push(expired(ACCOUNT_COOKIE));
    }
    cleared
}

/// Whether a form was posted by the site's own pages: a browser names the origin of every
/// `POST` (`Origin`, or at least `Sec-Fetch-Site`); another site's page, even with our
/// cookie, is refused. A client sending neither (a script, not a browser) carries no cookie a
/// browser would have given it, so it is let through to the credential check.
pub(super) fn same_origin(headers: &HeaderMap, base: &str) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        return origin.to_str().is_ok_and(|origin| origin == base);
    }
    match headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
    {
        Some(site) => site == "same-origin" || site == "none",
        None => true,
    }
}

fn set_cookie(name: &str, value: &str, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn expired(name: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}=; Path={COOKIE_PATH}; HttpOnly; SameSite=Strict; Max-Age=0"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_sites_form_is_refused() {
        let base = "https://classe.local:8787";
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://classe.local:8787"),
        );
        assert!(same_origin(&headers, base));
        headers.insert(header::ORIGIN, HeaderValue::from_static("https://pirate.example"));
        assert!(!same_origin(&headers, base));
        let mut headers = HeaderMap::new();
        headers.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!same_origin(&headers, base));
        headers.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&headers, base));
    }

    #[test]
    fn the_cookies_stay_on_the_site_and_out_of_scripts() {
        let cookie = keep_account("idn_la_abc", true);
        let text = cookie.to_str().unwrap();
        for part in [
            "Path=/identite-numerique",
            "HttpOnly",
            "SameSite=Strict",
            "Secure",
        ] {
            assert!(text.contains(part), "{text}");
        }
        assert!(!keep_account("idn_la_abc", false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
