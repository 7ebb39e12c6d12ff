//! Access control of the console, enumerated from its route table: an anonymous request, a
//! learner (who has no staff session, whatever they send), an expired session and a session of
//! the wrong role are refused on every route, pages and JSON desk calls alike; forms without the
//! session's CSRF token, and desk calls without it in their header, are refused; sign-in checks
//! the password and sign-out ends the session; wrong passwords stop the client that typed them,
//! never another one.

use super::*;
use crate::clock::SystemWallClock;
use crate::store::{StaffAuditLine, StaffReads, StaffTestReads};
use crate::WorldOptions;
use axum::http::Request as HttpRequest;
use http_body_util::BodyExt;
use tower::ServiceExt;

mod postal_desk;

const PASSWORD: &str = "mot de passe du personnel";

struct Fixture {
    _dir: tempfile::TempDir,
    world: Arc<World>,
    app: Router,
    learner: String,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let world = Arc::new(
        World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
            .await
            .unwrap(),
    );
    for role in Role::ALL {
        add_staff(&world, &format!("{}@classe.example", role.code()), role, PASSWORD)
            .await
            .unwrap();
    }
    let learner = world.create_learner("camille@exemple.fr").await.unwrap().id;
    let app = crate::http::app(world.clone());
    Fixture {
        _dir: dir,
        world,
        app,
        learner,
    }
}

/// A concrete path for a route (parameters filled with the fixture's learner).
fn concrete(path: &str, learner: &str) -> String {
    path.replace("{id}", learner)
        .replace("{media_id}", "photo-inconnue")
        .replace("{job}", "application-inconnue")
        .replace("{code}", "CODEINCONNU")
}

/// A request to a route as its own client sends it: a page's form carries `csrf` in its body, a
/// JSON desk call sends a JSON body and the token in its `X-CSRF-Token` header.
async fn send_as_client(
    app: &Router,
    route: &ConsoleRoute,
    path: &str,
    cookie: Option<&str>,
    csrf: &str,
) -> Response {
    match route.surface {
        Surface::Page => send(app, &route.method, path, cookie, &format!("csrf={csrf}")).await,
        Surface::Json => send_json(app, &route.method, path, cookie, Some(csrf), "{}").await,
    }
}

async fn send_json(
    app: &Router,
    method: &Method,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: &str,
) -> Response {
    let mut request = HttpRequest::builder()
        .method(method.clone())
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if let Some(csrf) = csrf {
        request = request.header(CSRF_HEADER, csrf);
    }
    app.clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap()
}

async fn send(app: &Router, method: &Method, path: &str, cookie: Option<&str>, body: &str) -> Response {
    let mut request = HttpRequest::builder().method(method.clone()).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    if *method == Method::POST {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    app.clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .unwrap()
}

async fn text(response: Response) -> String {
    String::from_utf8_lossy(&response.into_body().collect().await.unwrap().to_bytes()).into_owned()
}

/// Signs in through the form, as a browser does; returns the session cookie and CSRF token.
async fn sign_in_as(app: &Router, world: &World, role: Role) -> (String, String) {
    let page = send(app, &Method::GET, "/console/connexion", None, "").await;
    let login_cookie = page
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with(&format!("{LOGIN_COOKIE}=")))
        .unwrap();
    let token = login_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let body = format!(
        "csrf={token}&email={}%40classe.example&password={}",
        role.code(),
        PASSWORD.replace(' ', "+")
    );
    let response = send(
        app,
        &Method::POST,
        "/console/connexion",
        Some(&format!("{LOGIN_COOKIE}={token}")),
        &body,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in succeeds");
    let set = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with(&format!("{SESSION_COOKIE}=")))
        .unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/console"),
        "session cookie is HttpOnly, SameSite=Strict, scoped to the console: {set}"
    );
    let cookie = set.split(';').next().unwrap().to_owned();
    let csrf = world.store().read().await.latest_csrf_token_of(role).unwrap();
    (cookie, csrf)
}

/// Refused: a sign-in redirect for pages, 401 otherwise — and never the page's content.
fn assert_signed_out(response: &Response, what: &str) {
    let status = response.status();
    let to_login = status == StatusCode::SEE_OTHER
        && response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap())
            == Some("/console/connexion");
    assert!(
        to_login || status == StatusCode::UNAUTHORIZED,
        "{what}: expected a refusal, got {status}"
    );
}

fn staff_routes() -> Vec<ConsoleRoute> {
    routes()
        .into_iter()
        .filter(|route| matches!(route.access, Access::Staff(_)))
        .collect()
}

#[tokio::test]
async fn only_the_sign_in_page_and_static_files_are_public() {
    let public: Vec<(Method, &str)> = routes()
        .into_iter()
        .filter(|route| matches!(route.access, Access::Public))
        .map(|route| (route.method, route.path))
        .collect();
    assert_eq!(
        public,
        vec![
            (Method::GET, "/console/connexion"),
            (Method::POST, "/console/connexion"),
            (Method::GET, "/console/static/style.css"),
            (Method::GET, "/console/static/console.js"),
            (Method::POST, "/console/api/connexion"),
        ],
        "a new public route must be a deliberate choice"
    );
}

#[tokio::test]
async fn anonymous_requests_and_learners_are_refused_on_every_console_route() {
    let fx = fixture().await;
    for route in staff_routes() {
        let path = concrete(route.path, &fx.learner);
        let anonymous = send(&fx.app, &route.method, &path, None, "csrf=x").await;
        assert_signed_out(&anonymous, &format!("anonymous {} {path}", route.method));
        // A learner has no staff session: whatever they put in the cookie (their id, a made-up
        // token) or send as a bearer token, they are refused.
        for cookie in [
            format!("{SESSION_COOKIE}={}", fx.learner),
            format!("{SESSION_COOKIE}={}", "ab".repeat(32)),
        ] {
            let response = send(&fx.app, &route.method, &path, Some(&cookie), "csrf=x").await;
            assert_signed_out(&response, &format!("learner {} {path}", route.method));
        }
        let mut request = HttpRequest::builder()
            .method(route.method.clone())
            .uri(&path)
            .header(header::AUTHORIZATION, format!("Bearer {}", fx.learner));
        if route.method != Method::GET {
            request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        }
        let response = fx
            .app
            .clone()
            .oneshot(request.body(Body::from("csrf=x")).unwrap())
            .await
            .unwrap();
        assert_signed_out(&response, &format!("learner bearer {} {path}", route.method));
    }
}

#[tokio::test]
async fn expired_and_signed_out_sessions_are_refused_on_every_console_route() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let response = send(&fx.app, &Method::GET, "/console/apprenants", Some(&cookie), "").await;
    assert_eq!(response.status(), StatusCode::OK, "a live session reads the list");
    let past = fx.world.wall_now() - chrono::TimeDelta::seconds(1);
    fx.world
        .store()
        .change(|tx| tx.expire_staff_sessions_at(past))
        .await
        .unwrap();
    for route in staff_routes() {
        let path = concrete(route.path, &fx.learner);
        let response = send_as_client(&fx.app, &route, &path, Some(&cookie), &csrf).await;
        assert_signed_out(&response, &format!("expired session {} {path}", route.method));
    }
    let left = fx.world.store().read().await.staff_session_count().unwrap();
    assert_eq!(left, 0, "an expired session is deleted when it is presented");

    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let out = send(
        &fx.app,
        &Method::POST,
        "/console/deconnexion",
        Some(&cookie),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = send(&fx.app, &Method::GET, "/console/apprenants", Some(&cookie), "").await;
    assert_signed_out(&after, "after sign-out");
}

#[tokio::test]
async fn a_session_of_the_wrong_role_is_refused_on_every_route_it_may_not_reach() {
    let fx = fixture().await;
    let mut checked = 0;
    for role in Role::ALL {
        let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, role).await;
        // Signing out is open to every role; it would end the session the loop goes on with.
        for route in staff_routes()
            .into_iter()
            .filter(|route| route.path != "/console/deconnexion" && route.path != "/console/api/deconnexion")
        {
            let Access::Staff(allowed) = route.access else {
                unreachable!()
            };
            let path = concrete(route.path, &fx.learner);
            let response = send_as_client(&fx.app, &route, &path, Some(&cookie), &csrf).await;
            if allowed.contains(&role) {
                assert!(
                    !matches!(
                        response.status(),
                        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
                    ) && !response.status().is_server_error(),
                    "{} may reach {} {path}, got {}",
                    role.code(),
                    route.method,
                    response.status()
                );
            } else {
                checked += 1;
                assert_eq!(
                    response.status(),
                    StatusCode::FORBIDDEN,
                    "{} may not reach {} {path}",
                    role.code(),
                    route.method
                );
            }
        }
    }
    assert!(
        checked > 20,
        "every role is refused somewhere ({checked} refusals checked)"
    );
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused_and_change_nothing() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let (_, other_csrf) = sign_in_as(&fx.app, &fx.world, Role::Reviewer).await;
    let before = fx.world.clock_view().now;
    for route in routes()
        .into_iter()
        .filter(|route| route.method == Method::POST && route.surface == Surface::Page)
    {
        if matches!(route.access, Access::Public) {
            continue;
        }
        let path = concrete(route.path, &fx.learner);
        for body in [
            String::new(),
            "csrf=".to_owned(),
            format!("csrf={other_csrf}"),
            format!("csrf={}", &csrf[..63]),
        ] {
            let response = send(&fx.app, &route.method, &path, Some(&cookie), &body).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "POST {path} with {body:?} must be refused"
            );
        }
    }
    let advance = send(
        &fx.app,
        &Method::POST,
        "/console/horloge/avancer",
        Some(&cookie),
        "amount=2&unit=heures",
    )
    .await;
    assert_eq!(advance.status(), StatusCode::FORBIDDEN);
    assert!(
        fx.world.clock_view().now - before < chrono::TimeDelta::hours(1),
        "the clock did not move"
    );
    let advance = send(
        &fx.app,
        &Method::POST,
        "/console/horloge/avancer",
        Some(&cookie),
        &format!("csrf={csrf}&amount=2&unit=heures"),
    )
    .await;
    assert_eq!(
        advance.status(),
        StatusCode::SEE_OTHER,
        "with its token the same form goes through"
    );
    assert!(fx.world.clock_view().now - before >= chrono::TimeDelta::hours(2));
}

#[tokio::test]
async fn desk_calls_without_the_sessions_csrf_header_are_refused_and_change_nothing() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let (_, other_csrf) = sign_in_as(&fx.app, &fx.world, Role::Reviewer).await;
    let mut checked = 0;
    for route in routes().into_iter().filter(|route| {
        route.surface == Surface::Json
            && route.method != Method::GET
            && matches!(route.access, Access::Staff(_))
    }) {
        let path = concrete(route.path, &fx.learner);
        for header_token in [None, Some(""), Some(other_csrf.as_str()), Some(&csrf[..63])] {
            let response = send_json(
                &fx.app,
                &route.method,
                &path,
                Some(&cookie),
                header_token,
                r#"{"desk": true}"#,
            )
            .await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{} {path} with {header_token:?} must be refused",
                route.method
            );
            let refusal: serde_json::Value = serde_json::from_str(&text(response).await).unwrap();
            assert_eq!(refusal["code"], "csrf_token_invalid", "a stable code: {refusal}");
        }
        // A cross-site form can send the token in its body, never in a header: not enough.
        let form = send(
            &fx.app,
            &route.method,
            &path,
            Some(&cookie),
            &format!("csrf={csrf}"),
        )
        .await;
        assert_eq!(
            form.status(),
            StatusCode::FORBIDDEN,
            "{path}: a form is no desk call"
        );
        checked += 1;
    }
    assert!(
        checked >= 4,
        "every state-changing desk call was tried ({checked})"
    );
    assert!(
        !fx.world.review_desk(&fx.learner).await.unwrap(),
        "the learner was not put on the review desk"
    );
    let path = format!("/console/api/apprenants/{}/revue", fx.learner);
    let response = send_json(
        &fx.app,
        &Method::PUT,
        &path,
        Some(&cookie),
        Some(&csrf),
        r#"{"desk": true}"#,
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "with its header the same call goes through"
    );
    assert!(fx.world.review_desk(&fx.learner).await.unwrap());
}

#[tokio::test]
async fn sign_in_refuses_a_wrong_password_a_missing_form_token_and_repeated_guesses() {
    let fx = fixture().await;
    let page = send(&fx.app, &Method::GET, "/console/connexion", None, "").await;
    let html = text(page).await;
    assert!(html.contains("SIMULATION"), "every page says it is a simulation");
    let token = "cd".repeat(32);
    let cookie = format!("{LOGIN_COOKIE}={token}");
    let attempt = |password: &'static str, with_token: bool| {
        let app = fx.app.clone();
        let cookie = cookie.clone();
        let token = token.clone();
        async move {
            let body = format!(
                "csrf={}&email=formateur%40classe.example&password={password}",
                if with_token { token.as_str() } else { "" }
            );
            send(&app, &Method::POST, "/console/connexion", Some(&cookie), &body).await
        }
    };
    assert_eq!(
        attempt("mauvais", false).await.status(),
        StatusCode::FORBIDDEN,
        "no form token"
    );
    for _ in 0..5 {
        let response = attempt("mauvais", true).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .all(|value| !value.to_str().unwrap().starts_with(&format!("{SESSION_COOKIE}="))),
            "a refused sign-in opens no session"
        );
    }
    let throttled = attempt("mot+de+passe+du+personnel", true).await;
    assert_eq!(
        throttled.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "after 5 failures even the right password waits"
    );
    let stored = fx
        .world
        .store()
        .read()
        .await
        .staff_credentials("formateur@classe.example")
        .unwrap()
        .expect("the trainer's account")
        .password_hash;
    assert!(stored.starts_with("$argon2id$") && !stored.contains(PASSWORD));
}

#[tokio::test]
async fn staff_accounts_need_a_long_password_and_a_unique_address() {
    let fx = fixture().await;
    assert!(add_staff(&fx.world, "court@classe.example", Role::Clerk, "court")
        .await
        .is_err());
    assert!(
        add_staff(&fx.world, "formateur@classe.example", Role::Clerk, PASSWORD)
            .await
            .is_err(),
        "the address is taken"
    );
}

#[tokio::test]
async fn console_pages_carry_a_strict_content_security_policy() {
    let fx = fixture().await;
    let response = send(&fx.app, &Method::GET, "/console/connexion", None, "").await;
    let csp = response
        .headers()
        .get(header::CONTENT_SECURITY_POLICY)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
}

#[tokio::test]
async fn a_support_agent_moves_one_learners_time_and_only_their_code_expires() {
    let fx = fixture().await;
    let other = fx.world.create_learner("dominique@exemple.fr").await.unwrap().id;
    let class_before = fx.world.clock_view().now;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::SupportAgent).await;
    let path = format!("/console/apprenants/{}/horloge", fx.learner);
    let response = send(
        &fx.app,
        &Method::POST,
        &path,
        Some(&cookie),
        &format!("csrf={csrf}&amount=20&unit=minutes"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the form goes through");

    let moved = fx.world.situation(&fx.learner).await.unwrap();
    assert!(
        moved
            .blockers
            .iter()
            .any(|blocker| blocker.code == "code_expired:email"),
        "20 minutes later in their time, the 15-minute email code has expired: {:?}",
        moved.blockers
    );
    let untouched = fx.world.situation(&other).await.unwrap();
    assert!(
        untouched.blockers.is_empty(),
        "the other learner's code is still valid: {:?}",
        untouched.blockers
    );
    assert!(
        fx.world.clock_view().now - class_before < chrono::TimeDelta::minutes(10),
        "the class clock did not move"
    );
    let clock = fx.world.learner_clock(&fx.learner).await.unwrap();
    assert_eq!(clock.offset_seconds, 20 * 60);
    assert_eq!(fx.world.learner_clock(&other).await.unwrap().offset_seconds, 0);

    let journal = fx.world.journal(&fx.learner).await.unwrap();
    let line = journal
        .iter()
        .find(|entry| entry.action == "advance_learner_clock")
        .expect("the advance is journaled");
    assert_eq!(line.actor, "formateur");
    assert!(
        line.message.as_deref().unwrap_or_default().contains("20 min"),
        "the journal says by how much: {:?}",
        line.message
    );
    let audit = fx
        .world
        .store()
        .read()
        .await
        .latest_staff_audit(300)
        .unwrap()
        .iter()
        .filter(|line| {
            line.action == "learner_clock_advance" && line.learner_id.as_deref() == Some(fx.learner.as_str())
        })
        .count();
    assert_eq!(audit, 1, "the staff audit names who moved whose time");

    let page = text(
        send(
            &fx.app,
            &Method::GET,
            &format!("/console/apprenants/{}", fx.learner),
            Some(&cookie),
            "",
        )
        .await,
    )
    .await;
    assert!(
        page.contains("Horloge de l'apprenant") && page.contains("20 min d&#39;avance sur la classe"),
        "the learner's page shows their clock"
    );

    let backwards = send(
        &fx.app,
        &Method::POST,
        &path,
        Some(&cookie),
        &format!("csrf={csrf}&amount=-5&unit=heures"),
    )
    .await;
    assert_eq!(
        backwards.status(),
        StatusCode::BAD_REQUEST,
        "time does not go back"
    );
    assert_eq!(
        fx.world.learner_clock(&fx.learner).await.unwrap().offset_seconds,
        20 * 60
    );
}

// ----- sign-in throttled per client (issue 16) -----

const CLASSMATE: &str = "192.168.1.66";
const TRAINERS_LAPTOP: &str = "192.168.1.10";

/// The sign-in form posted from the client at `address` (as served with connection info).
async fn form_sign_in_from(app: &Router, address: &str, email: &str, password: &str) -> Response {
    let token = "ab".repeat(32);
    let body = format!(
        "csrf={token}&email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let peer: std::net::SocketAddr = format!("{address}:50000").parse().unwrap();
    let request = HttpRequest::builder()
        .method(Method::POST)
        .uri("/console/connexion")
        .header(header::COOKIE, format!("{LOGIN_COOKIE}={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .extension(axum::extract::ConnectInfo(peer))
        .body(Body::from(body))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

/// The desk API's JSON sign-in from the client at `address`.
async fn json_sign_in_from(app: &Router, address: &str, email: &str, password: &str) -> Response {
    let peer: std::net::SocketAddr = format!("{address}:50000").parse().unwrap();
    let body = serde_json::json!({ "email": email, "password": password }).to_string();
    let request = HttpRequest::builder()
        .method(Method::POST)
        .uri("/console/api/connexion")
        .header(header::CONTENT_TYPE, "application/json")
        .extension(axum::extract::ConnectInfo(peer))
        .body(Body::from(body))
        .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

/// `Retry-After` in seconds, which a throttled answer must carry.
fn retry_after(response: &Response) -> u64 {
    let value = response
        .headers()
        .get(header::RETRY_AFTER)
        .expect("a throttled answer says when to come back (Retry-After)");
    value.to_str().unwrap().parse().expect("Retry-After in seconds")
}

#[tokio::test]
async fn a_classmates_wrong_passwords_stop_the_classmate_and_never_the_trainer() {
    let fx = fixture().await;
    let trainer = "formateur@classe.example";
    for attempt in 1..=5 {
        let response = form_sign_in_from(&fx.app, CLASSMATE, trainer, "mauvais mot de passe").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "wrong password {attempt}"
        );
    }
    let stopped = form_sign_in_from(&fx.app, CLASSMATE, trainer, PASSWORD).await;
    assert_eq!(
        stopped.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "after 5 wrong passwords the guessing client waits, even with the right one"
    );
    let wait = retry_after(&stopped);
    assert!(
        (1..=15 * 60).contains(&wait),
        "until the oldest failure leaves the 15 minutes: {wait} s"
    );
    let page = text(stopped).await;
    assert!(
        page.contains("Trop de tentatives depuis cet appareil : réessayez dans ")
            && page.contains(" minutes."),
        "the page says why and for how long, in French: {page}"
    );
    assert!(!page.contains(SESSION_COOKIE), "and opens nothing");

    let trainer_signs_in = form_sign_in_from(&fx.app, TRAINERS_LAPTOP, trainer, PASSWORD).await;
    assert_eq!(
        trainer_signs_in.status(),
        StatusCode::SEE_OTHER,
        "the trainer, on their own device, signs in as if nothing happened"
    );
    for _ in 0..10 {
        let response = form_sign_in_from(&fx.app, CLASSMATE, trainer, "encore faux").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let again = form_sign_in_from(&fx.app, TRAINERS_LAPTOP, trainer, PASSWORD).await;
    assert_eq!(
        again.status(),
        StatusCode::SEE_OTHER,
        "more guesses from the classmate change nothing for the trainer"
    );

    let audit = fx.world.store().read().await.latest_staff_audit(50).unwrap();
    let failed_from_classmate = audit
        .iter()
        .filter(|line| line.action == "login_failed" && line.detail.as_deref() == Some(CLASSMATE))
        .count();
    assert_eq!(
        failed_from_classmate, 5,
        "each wrong password checked is audited with the address it came from; refusals before any check are not failures"
    );
    assert!(
        audit
            .iter()
            .any(|line| line.action == "login" && line.detail.as_deref() == Some(TRAINERS_LAPTOP)),
        "a sign-in is audited with its address too"
    );
}

#[tokio::test]
async fn the_json_sign_in_stops_a_guessing_client_with_429_retry_after_and_a_french_message() {
    let fx = fixture().await;
    let reviewer = "relecteur@classe.example";
    for _ in 0..5 {
        let response = json_sign_in_from(&fx.app, CLASSMATE, reviewer, "pas le bon").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let stopped = json_sign_in_from(&fx.app, CLASSMATE, reviewer, PASSWORD).await;
    assert_eq!(stopped.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=15 * 60).contains(&retry_after(&stopped)));
    let body: serde_json::Value = serde_json::from_str(&text(stopped).await).unwrap();
    assert_eq!(body["code"], "too_many_requests", "a stable code for programs");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Trop de tentatives depuis cet appareil : réessayez dans "),
        "{message}"
    );
    let form = form_sign_in_from(&fx.app, CLASSMATE, reviewer, PASSWORD).await;
    assert_eq!(
        form.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one lock for the client and the account, whichever sign-in"
    );
    let elsewhere = json_sign_in_from(&fx.app, TRAINERS_LAPTOP, reviewer, PASSWORD).await;
    assert_eq!(
        elsewhere.status(),
        StatusCode::OK,
        "the reviewer signs in from another device"
    );
}

#[tokio::test]
async fn a_client_trying_many_addresses_is_stopped_at_its_quota_and_others_are_not() {
    let fx = fixture().await;
    let quota = crate::throttle::AttemptQuota::PASSWORD_ATTEMPTS_PER_ADDRESS.burst;
    for attempt in 0..quota {
        let guess = format!("inconnu{attempt}@classe.example");
        let response = json_sign_in_from(&fx.app, CLASSMATE, &guess, "devinette").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: each address is new, so no lock of an account stops it"
        );
    }
    let stopped = json_sign_in_from(&fx.app, CLASSMATE, "formateur@classe.example", PASSWORD).await;
    assert_eq!(
        stopped.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "past {quota} password checks the client waits, whatever the account"
    );
    assert!(retry_after(&stopped) >= 1);
    let body: serde_json::Value = serde_json::from_str(&text(stopped).await).unwrap();
    assert_eq!(body["code"], "too_many_requests");
    let trainer = json_sign_in_from(&fx.app, TRAINERS_LAPTOP, "formateur@classe.example", PASSWORD).await;
    assert_eq!(
        trainer.status(),
        StatusCode::OK,
        "another client keeps its own allowance"
    );
}

#[tokio::test]
async fn guesses_from_many_clients_on_one_account_stop_at_the_accounts_bound() {
    let fx = fixture().await;
    let clerk = "guichetier@classe.example";
    // 46 wrong passwords already audited from 12 clients (4 each, under every client's lock),
    // written directly: each one through the form would cost a hash.
    let at = fx.world.wall_now();
    for failure in 0..46u8 {
        let address = format!("10.0.0.{}", 1 + failure / 4);
        fx.world
            .store()
            .change(|tx| tx.append_failed_sign_in_from(clerk, &address, at))
            .await
            .unwrap();
    }
    let counted = fx
        .world
        .store()
        .read()
        .await
        .failed_sign_ins_since(clerk, at - auth::THROTTLE_WINDOW)
        .unwrap();
    assert_eq!(counted, 46);
    for client in 13..=16u8 {
        let response = json_sign_in_from(&fx.app, &format!("10.0.0.{client}"), clerk, "devinette").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "failure {} of 50",
            46 + client - 12
        );
    }
    let owner = json_sign_in_from(&fx.app, TRAINERS_LAPTOP, clerk, PASSWORD).await;
    assert_eq!(
        owner.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "at 50 wrong passwords in 15 minutes, from 16 clients, the account waits, whoever signs in"
    );
    let body: serde_json::Value = serde_json::from_str(&text(owner).await).unwrap();
    assert_eq!(body["code"], "login_throttled", "the account's own bound");
}

/// The clock page lists the class clock's changes with who made them; a trainer brings the
/// class back with « Revenir à ce moment » and « Revenir à l'heure réelle » (each audited), and
/// the page says in plain French what that does to learners. A support agent reads the history
/// without the buttons.
#[tokio::test]
async fn a_trainer_brings_the_class_clock_back_from_its_history() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let response = send(
        &fx.app,
        &Method::POST,
        "/console/horloge/avancer",
        Some(&cookie),
        &format!("csrf={csrf}&amount=4&unit=semaines"),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "the demo moves the class 4 weeks"
    );
    let history = fx.world.clock_history().await.unwrap();
    let demo = &history[0];
    assert_eq!(
        demo.by.as_deref(),
        Some("formateur@classe.example"),
        "who moved it"
    );

    let page = text(send(&fx.app, &Method::GET, "/console/horloge", Some(&cookie), "").await).await;
    assert!(page.contains("Historique de l'horloge"), "{page}");
    assert!(page.contains("formateur@classe.example"));
    assert!(page.contains("Revenir à ce moment") && page.contains("Revenir à l'heure réelle"));
    assert!(
        page.contains("les apprenants qui ont agi après ce moment restent à leur heure"),
        "what a move back does is said"
    );

    let to = demo.before.to_rfc3339().replace('+', "%2B").replace(':', "%3A");
    let response = send(
        &fx.app,
        &Method::POST,
        "/console/horloge/revenir",
        Some(&cookie),
        &format!("csrf={csrf}&to={to}"),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "« Revenir à ce moment »"
    );
    let now = fx.world.clock_view().now;
    assert!(
        now >= demo.before && now - demo.before < chrono::TimeDelta::minutes(1),
        "the class is back at the moment before the demo: {now}"
    );
    let response = send(
        &fx.app,
        &Method::POST,
        "/console/horloge/heure-reelle",
        Some(&cookie),
        &format!("csrf={csrf}"),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "« Revenir à l'heure réelle »"
    );
    assert_eq!(fx.world.clock_view().mode, crate::api::ClockMode::Real);
    let audited: Vec<String> = fx
        .world
        .store()
        .read()
        .await
        .latest_staff_audit(50)
        .unwrap()
        .into_iter()
        .map(|line| line.action)
        .filter(|action| action.starts_with("clock_"))
        .collect();
    for action in ["clock_advance", "clock_rewind", "clock_real_time"] {
        assert!(
            audited.iter().any(|done| done == action),
            "{action} audited: {audited:?}"
        );
    }

    let (support, _) = sign_in_as(&fx.app, &fx.world, Role::SupportAgent).await;
    let page = text(send(&fx.app, &Method::GET, "/console/horloge", Some(&support), "").await).await;
    assert!(
        page.contains("Historique de l'horloge"),
        "support reads the history"
    );
    assert!(
        !page.contains("Revenir à ce moment") && !page.contains("id=\"heure-reelle\""),
        "only a trainer moves the class clock"
    );
}

// ----- the class at a glance (issue 19 item 5) -----

#[test]
fn a_learners_rank_follows_the_journeys_step_order_and_a_locked_identity_stays_at_the_end() {
    use super::class_overview::step_rank;
    use crate::api::Step;
    assert_eq!(
        step_rank(Step::EmailCode),
        (1, 16),
        "the first thing a learner does"
    );
    assert_eq!(step_rank(Step::Review), (13, 16));
    assert_eq!(
        step_rank(Step::Enrolled),
        (16, 16),
        "the identity active is the end"
    );
    assert_eq!(
        step_rank(Step::Locked),
        (16, 16),
        "a locked identity was active first: not a 17th step"
    );
    let ranks: Vec<usize> = Step::ALL[..Step::ALL.len() - 1]
        .iter()
        .map(|step| step_rank(*step).0)
        .collect();
    assert!(
        ranks.windows(2).all(|pair| pair[0] + 1 == pair[1]),
        "ranks follow Step::ALL one by one: {ranks:?}"
    );
}

/// The console as a browser reaches it at `host` (the join code names the address it was
/// reached by).
async fn get_at(app: &Router, path: &str, cookie: &str, host: &str) -> String {
    let request = HttpRequest::builder()
        .uri(path)
        .header(header::COOKIE, cookie)
        .header(header::HOST, host)
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    text(response).await
}

#[tokio::test]
async fn an_empty_class_shows_the_trainer_how_to_join_with_the_qr_code_and_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let world = Arc::new(
        World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
            .await
            .unwrap(),
    );
    add_staff(&world, "formateur@classe.example", Role::Trainer, PASSWORD)
        .await
        .unwrap();
    let app = crate::http::app(world.clone());
    let (cookie, _) = sign_in_as(&app, &world, Role::Trainer).await;
    for path in ["/console/apprenants", "/console/apprenants/lignes?q="] {
        let page = get_at(&app, path, &cookie, "salle-12.local:8787").await;
        assert!(
            page.contains(r#"<img src="/qr/rejoindre.png""#),
            "{path}: the welcome page's join QR code: {page}"
        );
        assert!(
            page.contains(r#"<b id="adresse-classe">http://salle-12.local:8787</b>"#),
            "{path}: and the address to type"
        );
        assert!(
            !page.contains("n'est joignable que depuis cet ordinateur"),
            "a network address needs no warning"
        );
        assert!(!page.contains(r#"id="repartition""#), "no chart of nobody");
    }
    let on_loopback = get_at(&app, "/console/apprenants", &cookie, "127.0.0.1:8787").await;
    assert!(
        on_loopback.contains("n'est joignable que depuis cet ordinateur"),
        "opened on loopback, the trainer is told the phones cannot reach that address"
    );
}

#[tokio::test]
async fn the_class_at_a_glance_shows_a_new_learner_by_address_at_step_one_and_the_counts() {
    let fx = fixture().await;
    let (cookie, _) = sign_in_as(&fx.app, &fx.world, Role::SupportAgent).await;
    let page = text(send(&fx.app, &Method::GET, "/console/apprenants", Some(&cookie), "").await).await;
    let row = format!(r#"<tr data-learner="{}" data-step="email_code">"#, fx.learner);
    assert!(page.contains(&row), "the learner's row: {page}");
    assert!(
        page.contains(">camille@exemple.fr</a>"),
        "no name typed yet: the email names them"
    );
    assert!(page.contains(r#"<span class="rank">1/16</span> Code reçu par e-mail"#));
    assert!(
        page.contains("moins d&#39;une minute"),
        "idle for less than a minute, in real time"
    );
    assert!(
        page.contains(r#"<tr data-step="email_code"><th scope="row">1. Code reçu par e-mail</th>"#)
            && page.contains(
                r#"<meter min="0" max="1" value="1" aria-hidden="true"></meter></td><td class="count">1</td>"#
            ),
        "one learner at the email code in the chart, with the value in text"
    );
    assert!(
        page.contains(r#"<tr data-step="enrolled" class="empty">"#),
        "the steps nobody stands at are there too, empty"
    );
    let visible = visible_text(&page);
    assert!(
        !visible.contains(&fx.learner),
        "no identifier column: ids stay in links and attributes"
    );
}

#[tokio::test]
async fn hostile_values_on_the_learners_and_clerk_pages_are_shown_as_text() {
    let fx = fixture().await;
    let (cookie, _) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let hostile = "%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27%3E%3Cimg+src%3Dx%3E";
    for path in [
        format!("/console/apprenants?q={hostile}"),
        format!("/console/apprenants/lignes?q={hostile}"),
        format!("/console/guichet?code={hostile}"),
    ] {
        let page = text(send(&fx.app, &Method::GET, &path, Some(&cookie), "").await).await;
        assert!(
            !page.contains("<script>alert") && !page.contains("<img src=x>") && !page.contains(r#""'>"#),
            "{path}: nothing typed becomes markup: {page}"
        );
        assert!(
            page.contains("&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#62;&#60;img src=x&#62;"),
            "{path}: it is shown as typed, escaped once by askama: {page}"
        );
    }
    let search = text(
        send(
            &fx.app,
            &Method::GET,
            &format!("/console/apprenants?q={hostile}"),
            Some(&cookie),
            "",
        )
        .await,
    )
    .await;
    assert!(
        search.contains("Aucun apprenant ne correspond à"),
        "the search found nobody and says so"
    );
}

/// The text of a page without its tags (what a person reads).
fn visible_text(html: &str) -> String {
    let mut visible = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => visible.push(c),
            _ => {}
        }
    }
    visible
}

// ----- one time for everyone (issue 19 item 2) -----

/// What a person reads on a page: its visible text, with askama's escaped apostrophes read back.
fn page_text(html: &str) -> String {
    visible_text(html).replace("&#39;", "'")
}

/// A wall clock stopped at one moment, so that a page's times are read exactly.
struct StoppedWall(chrono::DateTime<chrono::Utc>);

impl crate::clock::WallClock for StoppedWall {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0
    }
}

/// A world whose wall clock reads `wall` (RFC 3339), with a signed-in trainer and one learner.
async fn trainer_at(wall: &str) -> (Fixture, String) {
    let dir = tempfile::tempdir().unwrap();
    let wall = StoppedWall(wall.parse().unwrap());
    let world = Arc::new(
        World::open(WorldOptions::new(dir.path()), Arc::new(wall))
            .await
            .unwrap(),
    );
    add_staff(&world, "formateur@classe.example", Role::Trainer, PASSWORD)
        .await
        .unwrap();
    let learner = world.create_learner("camille@exemple.fr").await.unwrap().id;
    let app = crate::http::app(world.clone());
    let (cookie, _) = sign_in_as(&app, &world, Role::Trainer).await;
    let fixture = Fixture {
        _dir: dir,
        world,
        app,
        learner,
    };
    (fixture, cookie)
}

#[tokio::test]
async fn the_clock_page_reads_paris_time_and_says_when_the_simulation_leaves_real_time() {
    // 07:17 UTC on 3 December is 08:17 in Paris (winter, UTC+1).
    let (fx, cookie) = trainer_at("2026-12-03T07:17:00Z").await;
    let page =
        page_text(&text(send(&fx.app, &Method::GET, "/console/horloge", Some(&cookie), "").await).await);
    assert!(
        page.contains("Heure de la classe (heure de Paris, l'heure réelle) :03/12/2026 08:17:00"),
        "on real time the clock reads Paris time and says it is the real time: {page}"
    );
    assert!(
        !page.contains("UTC") && !page.contains("Heure de la simulation"),
        "no UTC, and no « heure de la simulation » while it is the real time: {page}"
    );

    let moved = "2026-12-05T10:00:00Z".parse().unwrap();
    fx.world
        .set_clock(crate::api::ClockMode::Manual, Some(moved))
        .await
        .unwrap();
    let page =
        page_text(&text(send(&fx.app, &Method::GET, "/console/horloge", Some(&cookie), "").await).await);
    assert!(
        page.contains("Heure de la simulation (heure de Paris) :05/12/2026 11:00:00"),
        "a moved clock is named « heure de la simulation », in Paris time: {page}"
    );
    assert!(
        page.contains(
            "Heure réelle : 03/12/2026 08:17:00 ; la simulation est en avance de 2 j 2 h sur l'heure réelle."
        ),
        "the real time and the gap are beside it: {page}"
    );
    assert!(!page.contains("UTC"), "{page}");
}

#[tokio::test]
async fn summer_time_reads_two_hours_ahead_of_utc_on_the_clock_page() {
    let (fx, cookie) = trainer_at("2026-07-15T07:17:00Z").await;
    let page =
        page_text(&text(send(&fx.app, &Method::GET, "/console/horloge", Some(&cookie), "").await).await);
    assert!(
        page.contains("15/07/2026 09:17:00"),
        "July is UTC+2 in Paris: {page}"
    );
}

#[tokio::test]
async fn the_staff_audit_reads_real_paris_time_with_the_simulations_time_beside_it() {
    let (fx, cookie) = trainer_at("2026-12-03T07:17:00Z").await;
    let page =
        page_text(&text(send(&fx.app, &Method::GET, "/console/personnel", Some(&cookie), "").await).await);
    assert!(
        page.contains("à l'heure réelle (heure de Paris)") && page.contains("03/12/2026 08:17:00"),
        "the trainer's sign-in is audited at 08:17:00 Paris time: {page}"
    );
    assert!(
        !page.contains("UTC") && !page.contains("Heure de la simulation"),
        "{page}"
    );

    fx.world.advance_clock(chrono::TimeDelta::days(3)).await.unwrap();
    let page =
        page_text(&text(send(&fx.app, &Method::GET, "/console/personnel", Some(&cookie), "").await).await);
    assert!(
        page.contains(
            "Heure de la simulation : 06/12/2026 08:17:00, en avance de 3 j 0 h sur l'heure réelle"
        ),
        "an advanced class says its time beside the real one: {page}"
    );
}

#[tokio::test]
async fn a_learners_email_code_received_at_eight_seventeen_reads_valid_until_eight_thirty_two() {
    let (fx, cookie) = trainer_at("2026-12-03T07:17:00Z").await;
    let inbox = fx.world.inbox(&fx.learner).await.unwrap();
    let code = inbox
        .iter()
        .find(|message| message.code.is_some())
        .expect("the new learner was sent a code");
    assert!(
        code.body.contains("valable jusqu'au 03/12/2026 à 08:32") && !code.body.contains("UTC"),
        "the email's expiry reads in Paris time, 15 minutes after it arrives: {}",
        code.body
    );
    let page = page_text(
        &text(
            send(
                &fx.app,
                &Method::GET,
                &format!("/console/apprenants/{}", fx.learner),
                Some(&cookie),
                "",
            )
            .await,
        )
        .await,
    );
    assert!(
        page.contains("03/12/2026 08:17"),
        "the learner's page shows the message received at 08:17 Paris time: {page}"
    );
}

// ----- quick help on a learner's page (issue 19 item 5) -----

/// The learner's page as `cookie` reads it.
async fn learner_page(fx: &Fixture, cookie: &str) -> String {
    let path = format!("/console/apprenants/{}", fx.learner);
    text(send(&fx.app, &Method::GET, &path, Some(cookie), "").await).await
}

async fn give_help(fx: &Fixture, cookie: &str, body: &str) -> Response {
    let path = format!("/console/apprenants/{}/aide", fx.learner);
    send(&fx.app, &Method::POST, &path, Some(cookie), body).await
}

async fn help_audit(fx: &Fixture) -> Vec<StaffAuditLine> {
    fx.world
        .store()
        .read()
        .await
        .latest_staff_audit(300)
        .unwrap()
        .into_iter()
        .filter(|line| line.action.starts_with("help_"))
        .collect()
}

#[tokio::test]
async fn quick_help_offers_what_applies_at_the_email_code_and_a_resend_reaches_the_learner() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::SupportAgent).await;
    let page = learner_page(&fx, &cookie).await;
    assert!(
        page.contains("Aide rapide")
            && page.contains("data-aide=\"renvoyer_code\"")
            && page.contains("data-aide=\"horloge:expiration_code\"")
            && page.contains("data-aide=\"situation:code_expire\""),
        "waiting for the email code: resend, pass its expiry, the expired-code situation"
    );
    for absent in [
        "fin_blocage_connexion",
        "refaire_verification",
        "situation:demande_de_connexion",
        "situation:identification_refusee",
        "horloge:revue",
    ] {
        assert!(
            !page.contains(&format!("data-aide=\"{absent}")),
            "{absent} does not apply at the email code"
        );
    }

    let response = give_help(&fx, &cookie, &format!("csrf={csrf}&aide=renvoyer_code")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "the help is given");
    let location = response.headers()[header::LOCATION].to_str().unwrap().to_owned();
    let codes = fx
        .world
        .inbox(&fx.learner)
        .await
        .unwrap()
        .iter()
        .filter(|message| message.code.is_some())
        .count();
    assert_eq!(codes, 2, "the learner received a second email code");
    let situation = fx.world.situation(&fx.learner).await.unwrap();
    assert_eq!(
        situation.pending_code.unwrap().resends_left,
        2,
        "the journey's resend limit counts it"
    );
    let journal = fx.world.journal(&fx.learner).await.unwrap();
    let line = journal.last().unwrap();
    assert_eq!(
        (line.actor.as_str(), line.action.as_str(), line.outcome.as_str()),
        ("formateur", "resend_email_code", "ok"),
        "the learner's journal says staff asked for it"
    );
    let audit = help_audit(&fx).await;
    assert_eq!(audit.len(), 1, "one audit line");
    assert_eq!(audit[0].action, "help_resend_code");
    assert_eq!(audit[0].learner_id.as_deref(), Some(fx.learner.as_str()));
    assert_eq!(audit[0].staff_email, "agent_support@classe.example");

    let after = text(send(&fx.app, &Method::GET, &location, Some(&cookie), "").await).await;
    assert!(
        after.contains("Aide apportée : un nouveau code a été envoyé"),
        "the page says what was done"
    );
    let (trainer, _) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let audit_page = text(send(&fx.app, &Method::GET, "/console/personnel", Some(&trainer), "").await).await;
    assert!(
        audit_page.contains("Aide rapide : code renvoyé"),
        "the staff actions page names the help in French"
    );
}

#[tokio::test]
async fn passing_the_code_expiry_in_one_click_expires_only_this_learners_code_and_offers_a_new_one() {
    let fx = fixture().await;
    let other = fx.world.create_learner("dominique@exemple.fr").await.unwrap().id;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let response = give_help(
        &fx,
        &cookie,
        &format!("csrf={csrf}&aide=horloge%3Aexpiration_code"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let moved = fx.world.situation(&fx.learner).await.unwrap();
    assert!(
        moved
            .blockers
            .iter()
            .any(|blocker| blocker.code == "code_expired:email"),
        "their email code expired: {:?}",
        moved.blockers
    );
    assert!(fx.world.situation(&other).await.unwrap().blockers.is_empty());
    let page = learner_page(&fx, &cookie).await;
    assert!(
        page.contains("Débloquer : renvoyer le code par e-mail"),
        "an expired code is unlocked by a new one"
    );
    assert!(
        !page.contains("data-aide=\"horloge:expiration_code\""),
        "the expiry is passed: no longer offered"
    );
    assert_eq!(help_audit(&fx).await[0].action, "help_clock");
}

#[tokio::test]
async fn a_help_that_does_not_apply_is_refused_in_french_and_changes_nothing() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let before = fx.world.journal(&fx.learner).await.unwrap().len();
    for aide in [
        "situation%3Acode_secret_oublie",
        "fin_blocage_connexion",
        "tout_debloquer",
    ] {
        let response = give_help(&fx, &cookie, &format!("csrf={csrf}&aide={aide}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{aide}");
        let page = text(response).await;
        assert!(
            page.contains("ne s&#39;applique pas") || page.contains("Aide inconnue"),
            "a French reason for {aide}: {page}"
        );
    }
    assert_eq!(fx.world.journal(&fx.learner).await.unwrap().len(), before);
    assert!(help_audit(&fx).await.is_empty(), "nothing done, nothing audited");
}

#[tokio::test]
async fn quick_help_needs_the_sessions_csrf_token_and_a_role_that_reads_learners() {
    let fx = fixture().await;
    let (cookie, _) = sign_in_as(&fx.app, &fx.world, Role::Trainer).await;
    let forged = give_help(&fx, &cookie, "csrf=faux&aide=horloge%3Aexpiration_code").await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN, "no CSRF token, no help");
    for role in [Role::Clerk, Role::Reviewer] {
        let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, role).await;
        let response = give_help(
            &fx,
            &cookie,
            &format!("csrf={csrf}&aide=horloge%3Aexpiration_code"),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{role:?} may not move a learner's clock"
        );
    }
    assert_eq!(
        fx.world.learner_clock(&fx.learner).await.unwrap().offset_seconds,
        0
    );
    assert!(help_audit(&fx).await.is_empty());
}

// ----- the class's name (issue 19 item 1: joining confirms the class by name) -----

#[tokio::test]
async fn the_class_name_shows_on_the_welcome_page_the_console_header_and_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = WorldOptions::new(dir.path());
    options.class_name = Some(crate::ClassName::parse("Salle 12 <mardi>").unwrap());
    let world = Arc::new(World::open(options, Arc::new(SystemWallClock)).await.unwrap());
    add_staff(&world, "formateur@classe.example", Role::Trainer, PASSWORD)
        .await
        .unwrap();
    let app = crate::http::app(world.clone());

    let status: serde_json::Value =
        serde_json::from_str(&text(send(&app, &Method::GET, "/api/status", None, "").await).await).unwrap();
    assert_eq!(
        status["class_name"], "Salle 12 <mardi>",
        "a joining device reads the name"
    );

    let welcome = text(send(&app, &Method::GET, "/", None, "").await).await;
    assert!(
        welcome.contains("Classe : <b>Salle 12 &#60;mardi&#62;</b>"),
        "the projected page names the class, escaped"
    );
    let (cookie, _) = sign_in_as(&app, &world, Role::Trainer).await;
    let page = text(send(&app, &Method::GET, "/console/apprenants", Some(&cookie), "").await).await;
    assert!(
        page.contains("data-testid=\"classe\">Salle 12 &#60;mardi&#62;</span>"),
        "the console's header names the class"
    );

    let unnamed = fixture().await;
    let status: serde_json::Value =
        serde_json::from_str(&text(send(&unnamed.app, &Method::GET, "/api/status", None, "").await).await)
            .unwrap();
    assert!(status.get("class_name").is_none(), "no name given, none sent");
}

// ----- the console read for people (issue 19 items 2 and 5) -----

#[test]
fn a_class_advanced_by_three_days_and_read_seconds_later_is_three_days_ahead() {
    let wall: chrono::DateTime<chrono::Utc> = "2026-12-04T15:15:47Z".parse().unwrap();
    let simulated = wall + chrono::TimeDelta::days(3) - chrono::TimeDelta::seconds(2);
    let time = pages::SimulationTime::of(simulated, wall).expect("three days apart");
    assert_eq!(time.gap, "en avance de 3 j 0 h sur l'heure réelle");
    let behind = pages::SimulationTime::of(wall - chrono::TimeDelta::seconds(89), wall).unwrap();
    assert_eq!(behind.gap, "en retard de 1 min sur l'heure réelle");
}

/// The class at a glance's live part, as the page's script fetches it.
async fn overview_text(fx: &Fixture, cookie: &str) -> (String, String) {
    let html = text(
        send(
            &fx.app,
            &Method::GET,
            "/console/apprenants/lignes",
            Some(cookie),
            "",
        )
        .await,
    )
    .await;
    (page_text(&html), html)
}

#[tokio::test]
async fn the_class_at_a_glance_is_stamped_in_paris_time_and_names_the_simulations_time() {
    // 07:17 UTC is 08:17 in Paris: the list's « mise à jour » stamp must not take the
    // browser's zone, so the overview carries the class's time for the script.
    let (fx, cookie) = trainer_at("2026-12-03T07:17:00Z").await;
    let (page, html) = overview_text(&fx, &cookie).await;
    assert!(
        html.contains(r#"data-updated="08:17:00 (heure de Paris)""#),
        "the overview says when it was read, in Paris time: {html}"
    );
    assert!(!page.contains("Heure de la simulation"), "on real time: {page}");

    fx.world.advance_clock(chrono::TimeDelta::days(3)).await.unwrap();
    let (page, _) = overview_text(&fx, &cookie).await;
    assert!(
        page.contains(
            "Heure de la simulation : 06/12/2026 08:17:00, en avance de 3 j 0 h sur l'heure réelle (heure réelle : 03/12/2026 08:17:00)"
        ),
        "an advanced class shows its time above the learners: {page}"
    );
}

#[tokio::test]
async fn a_learners_blockers_read_in_french_without_their_codes() {
    let (fx, cookie) = trainer_at("2026-12-03T07:17:00Z").await;
    // A day later the email code has expired: a blocker.
    fx.world.advance_clock(chrono::TimeDelta::days(1)).await.unwrap();
    let situation = fx.world.situation(&fx.learner).await.unwrap();
    let blocker = situation.blockers.first().expect("the expired email code blocks");
    let html = learner_page(&fx, &cookie).await;
    let page = page_text(&html);
    assert!(page.contains(&blocker.label), "the blocker in French: {page}");
    assert!(
        !page.contains(&blocker.code),
        "its code ({}) is data, not text: {page}",
        blocker.code
    );
    let (overview, _) = overview_text(&fx, &cookie).await;
    assert!(
        overview.contains(&blocker.label) && !overview.contains(&blocker.code),
        "{overview}"
    );
}

#[tokio::test]
async fn the_staff_actions_read_learners_by_name_and_codes_in_french() {
    let (fx, cookie) = trainer_at("2026-12-03T07:17:00Z").await;
    let at: chrono::DateTime<chrono::Utc> = "2026-12-03T07:17:00Z".parse().unwrap();
    let lines = [
        ("login_failed", None, Some("192.168.1.20")),
        ("review", Some(fx.learner.clone()), Some("refuse:lunettes")),
        (
            "api GET /api/learners/{id}/inbox",
            Some(fx.learner.clone()),
            Some("HTTP 200 · jeton cb75ae76-83c7-49ee-ad1b-0f68e001b27e"),
        ),
        ("set_class_review_mode", None, Some("manuelle")),
    ]
    .map(|(action, learner, detail)| StaffAuditLine {
        at,
        staff_email: "relecteur@classe.example".to_owned(),
        action: action.to_owned(),
        learner_id: learner,
        detail: detail.map(str::to_owned),
    });
    for line in &lines {
        fx.world
            .store()
            .change(|tx| tx.append_staff_audit(line))
            .await
            .unwrap();
    }
    let html = text(send(&fx.app, &Method::GET, "/console/personnel", Some(&cookie), "").await).await;
    let page = page_text(&html);
    let glasses = idn_journey::verification::RefusalReason::from_code("lunettes")
        .expect("a reason of the catalogue")
        .label_fr();
    for expected in [
        "Connexion refusée (adresse ou mot de passe incorrect)",
        "depuis l'adresse 192.168.1.20",
        &format!("identification refusée : {glasses}"),
        "Lecture par l'API (jeton d'accès) : /api/learners/{id}/inbox",
        "réussie · jeton cb75ae76",
        "revue manuelle (guichet de revue)",
        "camille@exemple.fr",
    ] {
        assert!(page.contains(expected), "« {expected} » on the page: {page}");
    }
    for raw in [
        "login_failed",
        "refuse:lunettes",
        "HTTP 200",
        "0f68e001b27e",
        fx.learner.as_str(),
    ] {
        assert!(!page.contains(raw), "no raw « {raw} » for people: {page}");
    }
    assert!(
        html.contains(&format!(
            r#"<a href="/console/apprenants/{}">camille@exemple.fr</a>"#,
            fx.learner
        )),
        "the learner's name leads to their page: {html}"
    );
}
