//! The console's pages and all their French text. Every page says "Simulation" at the top; every
//! value shown is escaped; every form carries the session's CSRF token.

use super::auth::{Role, StaffSession};
use axum::response::Html;
use chrono::{DateTime, Utc};

const SIMULATION_BANNER: &str =
    "SIMULATION — IDN Sandbox : console des formateurs et du support ; aucune personne ni aucun service réel";

/// French date and time of the simulated clock (UTC).
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%d/%m/%Y %H:%M").to_string()
}

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The hidden field every form of a session carries.
pub fn csrf(session: &StaffSession) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        esc(&session.csrf_token)
    )
}

fn document(title: &str, nav: &str, body: &str) -> Html<String> {
    document_with(title, nav, body, "")
}

fn document_with(title: &str, nav: &str, body: &str, head: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{head}
<title>{title} — Console (simulation)</title><link rel="stylesheet" href="/console/static/style.css">
<script src="/console/static/console.js" defer></script></head>
<body><div class="simulation" role="note">{SIMULATION_BANNER}</div>
<header class="site"><span class="logo">Console IDN Sandbox</span>{nav}</header>
<main>{body}</main>
<footer>IDN Sandbox — simulation pédagogique. Les identités affichées sont fictives.</footer>
</body></html>"#,
        title = esc(title),
    ))
}

/// The page layout of a signed-in staff member, with the links their role may follow.
pub fn layout(session: &StaffSession, title: &str, body: &str) -> Html<String> {
    layout_with(session, title, body, "")
}

/// A page that reloads itself every `seconds` (a scenario being applied), without script.
pub fn layout_refreshing(session: &StaffSession, title: &str, body: &str, seconds: u32) -> Html<String> {
    layout_with(
        session,
        title,
        body,
        &format!(r#"<meta http-equiv="refresh" content="{seconds}">"#),
    )
}

fn layout_with(session: &StaffSession, title: &str, body: &str, head: &str) -> Html<String> {
    let mut links = Vec::new();
    let role = session.role;
    let may = |roles: &[Role]| roles.contains(&role);
    if may(super::READERS) {
        links.push(("/console/apprenants", "Apprenants"));
    }
    if may(super::REVIEWERS) {
        links.push(("/console/revue", "Guichet de revue"));
    }
    if may(super::CLERKS) {
        links.push(("/console/guichet", "Guichet face à face"));
    }
    links.push(("/console/horloge", "Horloge"));
    if may(super::READERS) {
        links.push(("/console/scenarios", "Scénarios"));
    }
    if may(super::TRAINERS) {
        links.push(("/console/personnel", "Actions du personnel"));
    }
    let links: String = links
        .iter()
        .map(|(href, label)| format!(r#"<a href="{href}">{label}</a>"#))
        .collect();
    let nav = format!(
        r#"<nav aria-label="Console">{links}</nav><span class="who">{email} — {role}</span>
<form method="post" action="/console/deconnexion" class="inline">{csrf}<button type="submit" class="btn link" id="deconnexion">Se déconnecter</button></form>"#,
        email = esc(&session.email),
        role = esc(role.label_fr()),
        csrf = csrf(session),
    );
    document_with(title, &nav, body, head)
}

/// A refusal page (not signed in, wrong role, CSRF): says why, links to the sign-in.
pub fn refusal(title: &str, text: &str) -> Html<String> {
    document(
        title,
        "",
        &format!(
            r#"<div class="card"><h1>{}</h1><div class="error" role="alert">{}</div><p class="links"><a href="/console/connexion">Se connecter</a> · <a href="/console">Accueil de la console</a></p></div>"#,
            esc(title),
            esc(text)
        ),
    )
}

pub fn login(form_token: &str, error: Option<&str>) -> Html<String> {
    let error = error
        .map(|text| format!(r#"<div class="error" role="alert">{}</div>"#, esc(text)))
        .unwrap_or_default();
    document(
        "Connexion du personnel",
        "",
        &format!(
            r#"<div class="card narrow"><h1>Connexion du personnel</h1>
<p>Formateurs, agents de support, relecteurs AR24 et guichetiers. Les apprenants n'ont pas accès à cette console.</p>{error}
<form method="post" action="/console/connexion">
<input type="hidden" name="csrf" value="{token}">
<label for="email">Adresse électronique</label><input type="email" id="email" name="email" autocomplete="username" required>
<label for="password">Mot de passe</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button class="btn primary" type="submit" id="se-connecter">Se connecter</button>
</form>
<p class="hint">Le premier compte formateur se crée sur la machine du monde : <code>idn staff add --data-dir DOSSIER --role formateur --email … --password-stdin</code>.</p></div>"#,
            token = esc(form_token),
        ),
    )
}

pub const LOGIN_REFUSED: &str = "Adresse ou mot de passe incorrect.";
pub const LOGIN_THROTTLED: &str =
    "Trop d'essais de connexion pour cette adresse : attendez quelques minutes avant de réessayer.";
pub const LOGIN_FORM_EXPIRED: &str =
    "Le formulaire de connexion a expiré : rechargez la page et recommencez.";

/// A definition list of (label, value) pairs, values escaped.
pub fn facts(pairs: &[(&str, String)]) -> String {
    let items: String = pairs
        .iter()
        .map(|(label, value)| format!("<dt>{}</dt><dd>{}</dd>", esc(label), esc(value)))
        .collect();
    format!(r#"<dl class="facts">{items}</dl>"#)
}

pub fn notice(kind: &str, text: &str) -> String {
    format!(r#"<div class="{kind}" role="status">{}</div>"#, esc(text))
}
