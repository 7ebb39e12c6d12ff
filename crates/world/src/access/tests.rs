//! The lifetimes of the API's credentials, through the router as a client meets them: a
//! credential works until its end on the wall clock, then answers 401 with its reason, whatever
//! the simulated class clock says (a trainer moving the class four weeks ahead must not sign
//! everyone out, and putting it back must not revive an old credential).

use crate::clock::WallClock;
use crate::{World, WorldOptions};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

/// A wall clock the test moves by hand.
struct MovedWall(Mutex<DateTime<Utc>>);

impl WallClock for MovedWall {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

impl MovedWall {
    fn advance(&self, by: TimeDelta) {
        *self.0.lock().unwrap() += by;
    }
}

async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    token: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, Option<String>, serde_json::Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().unwrap().to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    (status, challenge, json)
}

#[tokio::test]
async fn an_account_credential_ends_after_thirty_days_of_wall_time_whatever_the_class_clock() {
    let dir = tempfile::tempdir().unwrap();
    let wall = Arc::new(MovedWall(Mutex::new(
        DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z")
            .unwrap()
            .to_utc(),
    )));
    let world = Arc::new(
        World::open(WorldOptions::new(dir.path()), wall.clone())
            .await
            .unwrap(),
    );
    let app = crate::http::app(world.clone());

    let (status, _, opened) = call(
        &app,
        "POST",
        "/api/learners",
        None,
        Some(serde_json::json!({"email": "lea.martin@simulation.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{opened}");
    let id = opened["id"].as_str().unwrap().to_owned();
    let token = opened["credential"]["token"].as_str().unwrap().to_owned();
    let own_view = format!("/api/learners/{id}");

    // The class clock four weeks ahead: the credential's life is counted on the wall clock.
    world.advance_clock(TimeDelta::weeks(5)).await.unwrap();
    let (status, _, _) = call(&app, "GET", &own_view, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "simulated weeks do not end a credential");

    wall.advance(super::credentials::ACCOUNT_LIFETIME - TimeDelta::minutes(1));
    let (status, _, _) = call(&app, "GET", &own_view, Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "still valid a minute before its end");

    wall.advance(TimeDelta::minutes(2));
    let (status, challenge, refused) = call(&app, "GET", &own_view, Some(&token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["code"], "credential_expired");
    assert!(
        refused["message"].as_str().unwrap().contains("reconnectez-vous"),
        "the person is told to sign in again: {refused}"
    );
    assert!(challenge.unwrap().starts_with("Bearer"), "RFC 6750 challenge");

    // Public routes still answer a client holding an ended credential (it is about to sign in).
    let (status, _, _) = call(&app, "GET", "/api/status", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_sign_in_ticket_ends_after_ten_minutes_and_never_opens_the_learners_routes() {
    let dir = tempfile::tempdir().unwrap();
    let wall = Arc::new(MovedWall(Mutex::new(
        DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z")
            .unwrap()
            .to_utc(),
    )));
    let world = Arc::new(
        World::open(WorldOptions::new(dir.path()), wall.clone())
            .await
            .unwrap(),
    );
    let app = crate::http::app(world.clone());
    let (_, _, opened) = call(
        &app,
        "POST",
        "/api/learners",
        None,
        Some(serde_json::json!({"email": "lea.martin@simulation.example"})),
    )
    .await;
    let id = opened["id"].as_str().unwrap().to_owned();
    let ticket = world.issue_sign_in_ticket(&id).await.unwrap().token;

    let (status, _, refused) = call(&app, "GET", &format!("/api/learners/{id}"), Some(&ticket), None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a ticket is not a session: {refused}"
    );
    let (status, _, _) = call(
        &app,
        "GET",
        &format!("/api/learners/{id}/inbox"),
        Some(&ticket),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "it reads the code it sent");

    wall.advance(TimeDelta::minutes(11));
    let (status, _, refused) = call(
        &app,
        "GET",
        &format!("/api/learners/{id}/inbox"),
        Some(&ticket),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(refused["code"], "credential_expired");
}
