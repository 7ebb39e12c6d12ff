//! The API's refusals of access, with their stable codes and what people read. A 401 carries
//! `WWW-Authenticate` (RFC 6750 §3).

use crate::api::CredentialKind;
use crate::WorldError;
use axum::http::header;
use axum::response::{IntoResponse, Response};

fn unauthenticated(code: &'static str, message_fr: &str) -> WorldError {
    WorldError::Unauthenticated {
        code,
        message_fr: message_fr.to_owned(),
    }
}

fn forbidden(code: &'static str, message_fr: &str) -> WorldError {
    WorldError::Forbidden {
        code,
        message_fr: message_fr.to_owned(),
    }
}

pub(crate) fn authentication_required() -> WorldError {
    unauthenticated(
        "authentication_required",
        "Identifiez-vous : cette action demande l'accès de l'apprenant ou d'un membre du personnel.",
    )
}

pub(crate) fn not_your_learner() -> WorldError {
    forbidden(
        "not_your_learner",
        "Cet accès ne permet pas d'agir pour un autre apprenant.",
    )
}

pub(crate) fn staff_required() -> WorldError {
    forbidden(
        "staff_required",
        "Cette action est réservée au personnel de la formation (formateur, assistance, guichet).",
    )
}

pub(crate) fn role_not_allowed() -> WorldError {
    forbidden("role_not_allowed", "Votre rôle ne permet pas cette action.")
}

pub(crate) fn learner_credential_required() -> WorldError {
    forbidden(
        "learner_credential_required",
        "Cette action se fait avec l'accès de l'apprenant, pas celui du personnel.",
    )
}

/// The learner's own route, with a credential of another kind.
pub(crate) fn wrong_kind(allowed: &[CredentialKind]) -> WorldError {
    if allowed == [CredentialKind::Device] {
        forbidden(
            "device_credential_required",
            "Seul le téléphone où l'Identité Numérique est activée peut faire cela.",
        )
    } else if allowed == [CredentialKind::SignIn] {
        forbidden(
            "sign_in_ticket_required",
            "Tapez d'abord votre identifiant et votre mot de passe : le code se confirme depuis la même connexion.",
        )
    } else {
        forbidden(
            "account_credential_required",
            "Connectez-vous d'abord avec votre compte La Poste (identifiant, mot de passe et code).",
        )
    }
}

/// The answer of a refusal: the API's error body, plus `WWW-Authenticate` for a 401.
pub(crate) fn answer(error: WorldError) -> Response {
    let unauthenticated = matches!(error, WorldError::Unauthenticated { .. });
    let mut response = error.into_response();
    if unauthenticated {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, super::www_authenticate());
    }
    response
}
