//! Support of `hostile_http.rs`: requests as plain data (so that they can be mutated, replayed
//! and sent twice at once), the in-process router that answers them, and the learners the
//! property starts from.

pub mod checks;
pub mod mutations;
pub mod population;
pub mod requests;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

/// One HTTP request, kept whole: the property mutates it, replays it and sends it twice at once.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: Method,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Outgoing {
    pub fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::GET,
            path: path.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn json(method: Method, path: impl Into<String>, body: &serde_json::Value) -> Self {
        Self {
            method,
            path: path.into(),
            headers: vec![("content-type", "application/json".to_owned())],
            body: serde_json::to_vec(body).expect("a JSON value serialises"),
        }
    }

    /// The same request presenting `token` (`Authorization: Bearer`), as its sender would.
    pub fn bearer(mut self, token: &str) -> Self {
        self.headers.retain(|(name, _)| *name != "authorization");
        self.headers.push(("authorization", format!("Bearer {token}")));
        self
    }

    /// The body as JSON, when it is JSON.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The world's answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn accepted(&self) -> bool {
        self.status.is_success()
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The refusal's stable code (empty when accepted or unreadable).
    pub fn code(&self) -> String {
        self.json()
            .and_then(|value| value["code"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).chars().take(600).collect()
    }
}

/// The world's router, driven in-process (style §15): no socket, the same handlers.
#[derive(Clone)]
pub struct Api {
    pub router: axum::Router,
}

impl Api {
    pub async fn send(&self, outgoing: &Outgoing) -> Reply {
        let mut request = Request::builder()
            .method(outgoing.method.clone())
            .uri(&outgoing.path);
        for (name, value) in &outgoing.headers {
            request = request.header(*name, value.as_bytes());
        }
        let request = request
            .body(Body::from(outgoing.body.clone()))
            .expect("every generated request is a valid HTTP request");
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router's service never fails");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("an in-process body is always readable")
            .to_bytes()
            .to_vec();
        Reply { status, body }
    }

    /// A read that must succeed (the property's own observations of the world), anonymous.
    pub async fn read<T: DeserializeOwned>(&self, path: &str) -> T {
        self.read_request(Outgoing::get(path)).await
    }

    /// A read that must succeed, presenting `token`.
    pub async fn read_as<T: DeserializeOwned>(&self, path: &str, token: &str) -> T {
        self.read_request(Outgoing::get(path).bearer(token)).await
    }

    async fn read_request<T: DeserializeOwned>(&self, outgoing: Outgoing) -> T {
        let path = outgoing.path.clone();
        let reply = self.send(&outgoing).await;
        assert!(
            reply.accepted(),
            "GET {path} answered {}: {}",
            reply.status,
            reply.text()
        );
        serde_json::from_slice(&reply.body).unwrap_or_else(|error| panic!("GET {path}: {error}"))
    }

    /// A step of building the population, which must be accepted.
    pub async fn must(&self, outgoing: Outgoing) -> serde_json::Value {
        let reply = self.send(&outgoing).await;
        assert!(
            reply.accepted(),
            "{} {} answered {}: {}",
            outgoing.method,
            outgoing.path,
            reply.status,
            reply.text()
        );
        reply.json().unwrap_or_default()
    }
}
