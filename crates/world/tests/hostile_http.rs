//! Hostile input against every endpoint of the world's router: random bytes, random JSON and
//! mutated valid requests. The world answers each with a clear error (stable code, French
//! message) and never a 5xx or a panic.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use idn_api::ClockMode;
use idn_world::clock::SystemWallClock;
use idn_world::{http, World, WorldOptions};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    learner: String,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut options = WorldOptions::new(dir.path());
        options.seed = Some(1);
        options.initial_clock = Some(ClockMode::Manual);
        let world = runtime
            .block_on(World::open(options, Arc::new(SystemWallClock)))
            .unwrap();
        let learner = runtime
            .block_on(world.create_learner("cible@simulation.example"))
            .unwrap()
            .id;
        Fixture {
            runtime,
            router: http::app(Arc::new(world)),
            learner,
            _dir: dir,
        }
    })
}

fn endpoints(learner: &str) -> Vec<(Method, String)> {
    vec![
        (Method::PUT, "/api/clock".into()),
        (Method::POST, "/api/clock/advance".into()),
        (Method::POST, "/api/learners".into()),
        (Method::POST, format!("/api/learners/{learner}/actions")),
        (Method::PUT, format!("/api/learners/{learner}/settings")),
        (Method::POST, format!("/api/learners/{learner}/media?kind=photo")),
        (Method::POST, format!("/api/learners/{learner}/media?kind=sound")),
        (Method::POST, format!("/api/learners/{learner}/activation")),
        (
            Method::POST,
            format!("/api/learners/{learner}/login-requests/x/approve"),
        ),
        (
            Method::POST,
            format!("/api/learners/{learner}/login-requests/x/decline"),
        ),
        (Method::POST, "/api/login-requests".into()),
        (Method::POST, "/api/clerk/validations".into()),
        (Method::GET, "/api/clerk/%00%ff".into()),
        (Method::GET, "/api/learners/inconnu/journal".into()),
        (Method::DELETE, "/api/learners".into()),
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(serde_json::Value::Number)
            .unwrap_or_default()),
        "\\PC{0,40}".prop_map(serde_json::Value::from),
        prop_oneof![
            Just("confirm_email"),
            Just("enter_identity"),
            Just("choose_verification"),
            Just("submit_visual_identification"),
            Just("accelerated"),
            Just("manual"),
            Just("real"),
            Just("refuse_next"),
            Just("+33639980001"),
            Just("cni"),
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::hash_map(
                prop_oneof![
                    Just("action".to_owned()),
                    Just("code".to_owned()),
                    Just("mode".to_owned()),
                    Just("seconds".to_owned()),
                    Just("factor".to_owned()),
                    Just("email".to_owned()),
                    Just("mobile".to_owned()),
                    Just("review".to_owned()),
                    Just("now".to_owned()),
                    "[a-z_]{1,12}",
                ],
                inner,
                0..5,
            )
            .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = (Vec<u8>, &'static str)> {
    prop_oneof![
        json_value().prop_map(|value| (serde_json::to_vec(&value).unwrap(), "application/json")),
        proptest::collection::vec(any::<u8>(), 0..256).prop_map(|bytes| (bytes, "application/json")),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|bytes| (bytes, "image/jpeg")),
        json_value().prop_map(|value| (serde_json::to_vec(&value).unwrap(), "text/plain")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn no_input_makes_the_world_fail(bodies in proptest::collection::vec(body(), 15)) {
        let fixture = fixture();
        for ((method, path), (bytes, content_type)) in endpoints(&fixture.learner).into_iter().zip(bodies) {
            let request = Request::builder()
                .method(method.clone())
                .uri(&path)
                .header("content-type", content_type)
                .header("x-content-sha256", "00")
                .body(Body::from(bytes))
                .unwrap();
            let response = fixture.runtime.block_on(fixture.router.clone().oneshot(request)).unwrap();
            let status = response.status();
            let bytes = fixture.runtime.block_on(response.into_body().collect()).unwrap().to_bytes();
            prop_assert!(status.as_u16() < 500, "{method} {path} answered {status}: {}", String::from_utf8_lossy(&bytes));
            if status != StatusCode::OK {
                let error: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
                    TestCaseError::fail(format!("{method} {path}: error body is not JSON: {}", String::from_utf8_lossy(&bytes)))
                })?;
                prop_assert!(error["code"].is_string() && error["message"].as_str().is_some_and(|m| !m.is_empty()), "{error}");
            }
        }
    }
}
