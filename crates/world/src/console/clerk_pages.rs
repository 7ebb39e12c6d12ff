//! The face-to-face desk's page: the clerk looks up a code, compares the confirmed identity
//! with the document presented, validates or sends the person away, decided by `desks.rs`.

use super::auth::StaffSession;
use super::desks;
use super::handlers::{identity_facts, Session, Shared};
use super::pages::{self, csrf, esc, notice, when};
use crate::api::{ClerkCase, ClerkRefusalReason, ClerkVerdict, CopiedDocument, DocumentKind};
use crate::WorldError;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct ClerkQuery {
    #[serde(default)]
    code: String,
}

fn clerk_body(code: &str, found: &str, result: &str) -> String {
    format!(
        r#"{result}<div class="card"><h1>Guichet face à face</h1><p>La personne présente sa pièce d'identité et son code de vérification en face à face (reçu par SMS ou par courrier).</p>
<form method="get" action="/console/guichet" class="row"><div><label for="code">Code de vérification en face à face</label><input type="text" id="code" name="code" value="{code}" autocomplete="off" required></div><div><button class="btn primary" type="submit" id="rechercher-code">Rechercher</button></div></form></div>{found}"#,
        code = esc(code),
        found = found,
        result = result,
    )
}

pub async fn clerk_page(
    State(world): Shared,
    Extension(session): Session,
    Query(query): Query<ClerkQuery>,
) -> Response {
    let code = query.code.trim().to_owned();
    let found = if code.is_empty() {
        String::new()
    } else {
        match desks::clerk_case(&world, &session, &code).await {
            Ok(case) => clerk_found(&session, &code, &case),
            Err(error) => notice("error", &error.message_fr()),
        }
    };
    pages::layout(&session, "Guichet face à face", &clerk_body(&code, &found, "")).into_response()
}

/// The identity to compare and the clerk's two forms (validate, send away).
fn clerk_found(session: &StaffSession, code: &str, case: &ClerkCase) -> String {
    let kinds: String = DocumentKind::ALL
        .iter()
        .map(|kind| {
            format!(
                r#"<option value="{}">{}</option>"#,
                kind.code(),
                esc(kind.label_fr())
            )
        })
        .collect();
    let reasons: String = ClerkRefusalReason::ALL
        .iter()
        .map(|reason| {
            format!(
                r#"<option value="{}">{}</option>"#,
                reason.code(),
                esc(&capitalized(reason.label_fr()))
            )
        })
        .collect();
    format!(
        r#"<div class="columns"><div class="card" id="fiche"><h2>Données confirmées dans l'application</h2><p>Code valable jusqu'au {until}.</p>{identity}</div>
<div class="card"><h2>Pièce présentée au guichet</h2><p class="hint">Recopiez ce que montre la pièce : le service compare avec les données confirmées.</p>
<form method="post" action="/console/guichet">{csrf}<input type="hidden" name="code" value="{code}"><input type="hidden" name="decision" value="valider">
<label for="type">Type de pièce</label><select id="type" name="document_type">{kinds}</select>
<label for="nom">Nom de naissance</label><input type="text" id="nom" name="birth_name" required>
<label for="naissance">Date de naissance</label><input type="date" id="naissance" name="birth_date" required>
<label for="fin">4 derniers caractères du numéro de la pièce</label><input type="text" id="fin" name="document_number_ending" maxlength="4" required>
<button class="btn primary" type="submit" id="valider">Valider l'identité</button></form>
<form method="post" action="/console/guichet">{csrf}<input type="hidden" name="code" value="{code}"><input type="hidden" name="decision" value="refuser"><label for="motif-guichet">Refuser (la personne repart sans validation)</label><select id="motif-guichet" name="reason">{reasons}</select><button class="btn danger" type="submit" id="refuser-guichet">Refuser</button></form></div></div>"#,
        until = when(case.valid_until),
        // A face-to-face code is only sent once the identity is confirmed.
        identity = identity_facts(Some(&case.identity), true),
        code = esc(code),
        csrf = csrf(session),
    )
}

/// The text with its first letter in capitals (a reason's wording opening an option).
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Deserialize)]
pub struct ClerkForm {
    code: String,
    decision: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    birth_name: String,
    #[serde(default)]
    birth_date: String,
    #[serde(default)]
    document_number_ending: String,
    #[serde(default)]
    reason: String,
}

pub async fn clerk_decide(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<ClerkForm>,
) -> Response {
    let code = form.code.trim().to_owned();
    let verdict = match form.decision.as_str() {
        "valider" => Ok(ClerkVerdict::Validate {
            code: code.clone(),
            presented: CopiedDocument {
                document_type: form.document_type,
                birth_name: form.birth_name,
                birth_date: form.birth_date,
                document_number_ending: form.document_number_ending,
            },
        }),
        "refuser" => Ok(ClerkVerdict::Refuse {
            code: code.clone(),
            reason: form.reason,
        }),
        _ => Err(WorldError::bad_request("invalid_decision", "Décision inconnue.")),
    };
    let outcome = match verdict {
        Ok(verdict) => desks::decide_clerk(&world, &session, &verdict).await,
        Err(error) => Err(error),
    };
    let (status, result, found) = match outcome {
        Ok(decided) => (StatusCode::OK, notice("success", &decided.message), String::new()),
        Err(error) => {
            // The person is still at the counter: the identity to compare stays on the page.
            let found = desks::clerk_case(&world, &session, &code)
                .await
                .map(|case| clerk_found(&session, &code, &case))
                .unwrap_or_default();
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                notice("error", &error.message_fr()),
                found,
            )
        }
    };
    let result = result.replacen("role=\"status\"", "role=\"status\" id=\"resultat-guichet\"", 1);
    (
        status,
        pages::layout(
            &session,
            "Guichet face à face",
            &clerk_body(&code, &found, &result),
        ),
    )
        .into_response()
}
