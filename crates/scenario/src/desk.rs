//! The scenario engine at the console's desks: it signs in with the account its composition root
//! gave it (the sign-in form, the session cookie, the CSRF token every form carries) and decides
//! through the same forms a reviewer or a clerk submits, so that its decisions go through the
//! world's real surface and show in the staff audit under the engine's own address.

use crate::error::{Result, ScenarioError};
use idn_world::console::EngineAccount;

/// A signed-in console session of the engine.
pub(crate) struct ConsoleDesk {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

/// A review desk's decision, as the desk's form sends it.
pub(crate) enum Review<'a> {
    Accept,
    Refuse { reason: &'a str },
}

/// What the clerk copies from the document shown at the counter.
pub(crate) struct Presented<'a> {
    pub document_type: &'a str,
    pub birth_name: &'a str,
    pub birth_date: &'a str,
    pub document_number_ending: &'a str,
}

/// The value of the first `name="…" value="…"` pair of a page (tokens are hex: no unescaping).
fn hidden_value<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let before = format!(r#"name="{name}" value=""#);
    let start = html.find(&before)? + before.len();
    let end = html[start..].find('"')? + start;
    Some(&html[start..end])
}

fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The French notice a console page shows on a refusal, for the engine's error message.
fn notice(html: &str) -> String {
    let text = html
        .find(r#"class="error""#)
        .or_else(|| html.find("<h1>"))
        .map(|start| &html[start..])
        .and_then(|rest| rest.find('>').map(|end| &rest[end + 1..]))
        .and_then(|rest| rest.find("</").map(|end| &rest[..end]))
        .unwrap_or("refus sans message");
    text.trim().to_owned()
}

impl ConsoleDesk {
    pub(crate) async fn sign_in(base_url: &str, account: &EngineAccount) -> Result<Self> {
        let base = base_url.trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| unreachable(&base, error))?;
        let form = http
            .get(format!("{base}/console/connexion"))
            .send()
            .await
            .map_err(|error| unreachable(&base, error))?;
        let login_cookie = set_cookie(&form, "idn_console_login")
            .ok_or_else(|| refused("la console n'a pas servi son formulaire de connexion"))?;
        let token = login_cookie
            .split_once('=')
            .map(|(_, token)| token.to_owned())
            .unwrap_or_default();
        let signed = http
            .post(format!("{base}/console/connexion"))
            .header(reqwest::header::COOKIE, &login_cookie)
            .form(&[
                ("csrf", token.as_str()),
                ("email", account.email.as_str()),
                ("password", account.password.as_str()),
            ])
            .send()
            .await
            .map_err(|error| unreachable(&base, error))?;
        let cookie = set_cookie(&signed, "idn_console").ok_or_else(|| {
            refused("le compte du moteur de scénarios a été refusé à la connexion de la console")
        })?;
        let mut desk = Self {
            http,
            base,
            cookie,
            csrf: String::new(),
        };
        let (_, home) = desk.get("/console/horloge").await?;
        desk.csrf = hidden_value(&home, "csrf")
            .ok_or_else(|| refused("la console ne donne pas de jeton anti-CSRF"))?
            .to_owned();
        Ok(desk)
    }

    /// « Se déconnecter »: the session ends at once instead of lasting its 8 hours. A failure
    /// leaves a session that expires by itself, which is no reason to fail the scenario.
    pub(crate) async fn sign_out(self) {
        if let Err(error) = self.post("/console/deconnexion", &[]).await {
            tracing::warn!(%error, "the scenario engine could not sign out of the console");
        }
    }

    async fn get(&self, path: &str) -> Result<(u16, String)> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .send()
            .await
            .map_err(|error| unreachable(&self.base, error))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|error| unreachable(&self.base, error))?;
        Ok((status, text))
    }

    /// Sends a console form; anything but a redirect or a page is the desk's refusal.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Result<String> {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::COOKIE, &self.cookie)
            .form(&form)
            .send()
            .await
            .map_err(|error| unreachable(&self.base, error))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|error| unreachable(&self.base, error))?;
        if status.is_success() || status.is_redirection() {
            Ok(text)
        } else {
            Err(refused(&format!(
                "la console a refusé ({status}) : {}",
                notice(&text)
            )))
        }
    }

    /// « Revue manuelle » for this learner (the learner's page, a trainer's form): their next
    /// identification waits at the review desk.
    pub(crate) async fn put_on_review_desk(&self, learner: &str) -> Result<()> {
        self.post(
            &format!("/console/apprenants/{learner}/revue"),
            &[("mode", "manuelle")],
        )
        .await
        .map(drop)
    }

    /// The reviewer opens the identification (as a person does before deciding) and decides.
    pub(crate) async fn review(&self, learner: &str, decision: Review<'_>) -> Result<()> {
        let path = format!("/console/revue/{learner}");
        let (status, page) = self.get(&path).await?;
        if status != 200 {
            return Err(refused(&format!(
                "aucune identification de l'apprenant n'attend au bureau d'examen : {}",
                notice(&page)
            )));
        }
        let fields: Vec<(&str, &str)> = match decision {
            Review::Accept => vec![("decision", "accepter")],
            Review::Refuse { reason } => vec![("decision", "refuser"), ("reason", reason)],
        };
        self.post(&path, &fields).await.map(drop)
    }

    /// The clerk looks the code up (journaled in the staff audit), then validates with what the
    /// document shows.
    pub(crate) async fn clerk_validate(&self, code: &str, presented: &Presented<'_>) -> Result<()> {
        self.clerk_lookup(code).await?;
        self.post(
            "/console/guichet",
            &[
                ("code", code),
                ("decision", "valider"),
                ("document_type", presented.document_type),
                ("birth_name", presented.birth_name),
                ("birth_date", presented.birth_date),
                ("document_number_ending", presented.document_number_ending),
            ],
        )
        .await
        .map(drop)
    }

    /// The clerk looks the code up and sends the person away with this reason.
    pub(crate) async fn clerk_refuse(&self, code: &str, reason: &str) -> Result<()> {
        self.clerk_lookup(code).await?;
        self.post(
            "/console/guichet",
            &[("code", code), ("decision", "refuser"), ("reason", reason)],
        )
        .await
        .map(drop)
    }

    async fn clerk_lookup(&self, code: &str) -> Result<()> {
        let (_, page) = self.get(&format!("/console/guichet?code={code}")).await?;
        if page.contains(r#"id="fiche""#) {
            Ok(())
        } else {
            Err(refused(&format!(
                "le guichet ne trouve pas ce code : {}",
                notice(&page)
            )))
        }
    }
}

fn unreachable(base: &str, source: reqwest::Error) -> ScenarioError {
    idn_api::ClientError::Unreachable {
        url: base.to_owned(),
        source,
    }
    .into()
}

fn refused(message: &str) -> ScenarioError {
    ScenarioError::NotLanded(message.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_read_from_a_forms_hidden_field() {
        let html = r#"<form><input type="hidden" name="csrf" value="ab12"><input name="x" value="y"></form>"#;
        assert_eq!(hidden_value(html, "csrf"), Some("ab12"));
        assert_eq!(hidden_value("<p>rien</p>", "csrf"), None);
    }

    #[test]
    fn a_refusal_page_gives_its_french_notice() {
        let html =
            r#"<main><h1>Action impossible</h1><div class="error" role="status">Code inconnu.</div></main>"#;
        assert_eq!(notice(html), "Code inconnu.");
    }
}
